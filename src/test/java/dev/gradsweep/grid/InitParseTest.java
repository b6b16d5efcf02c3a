package dev.gradsweep.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The shared initializer grammar: what each axis accepts, rejects and how it canonicalises. */
class InitParseTest {
    @Test
    void everyBareKindRoundTrips() {
        for (Init.Kind k : Init.Kind.values()) {
            if (k == Init.Kind.NORMAL || k == Init.Kind.CONSTANT) continue;
            Init i = Init.parse(" " + k.name() + " ");
            assertEquals(k, i.kind);
            assertEquals(i, Init.parse(i.toString()));
        }
    }

    @Test
    void numbersAreCanonicalAndRanged() {
        assertEquals("normal:0.05", Init.parse("normal:5e-2").toString());
        assertEquals("constant:-1", Init.parse("constant:-1.0").toString());
        assertEquals("spectral:0.5", RecInit.parse("SPECTRAL:0.50").toString());
        assertNull(Init.parse("normal:-0.1"), "σw below 0");
        assertNull(Init.parse("constant:Infinity"), "not finite");
        assertNull(Init.parse("normal"), "number missing");
        assertNull(Init.parse("xavier:1"), "number unwanted");
        assertNull(Init.parse("normal:x"), "not a number");
        assertNull(Init.parse("identity"), "a recurrent-only kind");
        assertNull(RecInit.parse("spectral:-1"), "ρ below 0");
        assertNull(RecInit.parse("identity:1"), "number unwanted");
        assertNull(RecInit.parse("xavier"), "a feed-forward-only kind");
    }
}
