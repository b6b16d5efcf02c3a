package dev.gradsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.RuntimeOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code gradsweep doctor} on this (CPU) machine: the environment lines, the path in use, agreement and exit code. */
class DoctorCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private PrintStream oldOut;

    @BeforeEach
    void capture() {
        oldOut = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(oldOut);
        System.clearProperty(RuntimeOptions.PORTABLE.key());
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void reportsTheEnvironmentAndAgreesOnBothPaths() {
        assertEquals(0, Main.execute("doctor", "--steps", "2"), out());
        String o = out();
        assertTrue(o.contains("backend        cpu"), o);
        assertTrue(o.contains("nd4j           1.0.0-M2.1"), o);
        assertTrue(o.contains("cuda           not present"), o);
        assertTrue(o.contains("path           host-direct"), o);
        assertTrue(o.contains("check float32  agree") && o.contains("check float64  agree"), o);
        assertTrue(o.contains("transf float32 agree") && o.contains("transf float64 agree"), o);
        assertTrue(o.contains("conv float32   agree") && o.contains("conv float64   agree"), o);
        out.reset();
        System.setProperty(RuntimeOptions.PORTABLE.key(), "true");
        assertEquals(0, Main.execute("doctor", "--steps", "2"), out());
        assertTrue(out().contains("path           portable (forced by -Dgradsweep.portable=true)"), out());
        assertTrue(out().contains("check float64  agree"), out());
    }

    @Test
    void badStepsIsBadInput() {
        assertEquals(2, Main.execute("doctor", "--steps", "0"));
    }
}
