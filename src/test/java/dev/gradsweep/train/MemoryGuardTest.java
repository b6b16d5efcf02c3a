package dev.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MemoryGuardTest {
    @Test
    void sizesParseLikeJavaCpps() {
        assertEquals(6L << 30, MemoryGuard.parseBytes("6g"));
        assertEquals(1536L << 20, MemoryGuard.parseBytes("1536M"));
        assertEquals(512L << 10, MemoryGuard.parseBytes("512k"));
        assertEquals(1000, MemoryGuard.parseBytes("1000"));
        assertEquals(0, MemoryGuard.parseBytes(""));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MemoryGuard.parseBytes("6 gigs"));
        assertTrue(e.getMessage().contains(MemoryGuard.PROPERTY), e.getMessage());
    }
}
