package dev.gradsweep.simd;

import java.nio.ByteBuffer;

/**
 * Float32 values in a host buffer from float index {@code at}: value i at byte (at + i) << 2 of {@code bytes} (native
 * order). The SIMD kernels take one of these per array in place of a (buffer, offset) pair of arguments, and unpack
 * it once before their loops.
 */
public record Floats(ByteBuffer bytes, int at) {}
