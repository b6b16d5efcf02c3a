package dev.gradsweep.hostmem;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Where an array's first element sits in the NIO view of its data buffer ({@code asNioFloat()/asNioDouble()}). */
public final class HostMemory {
    private HostMemory() {}

    public static int offset(INDArray a) {
        // A view's DataBuffer carries the view's offset into the parent's memory, which asNio*() wraps from its start;
        // a.offset() repeats that same offset, so it must not be added twice.
        DataBuffer buf = a.data();
        return (int) (buf.offset() != 0 ? buf.offset() : a.offset());
    }
}
