package dev.gradsweep.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A CLI test that reads what the commands print on stderr (their messages); stdout is dropped. */
abstract class CapturedStreams {
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldErr, oldOut;

    @BeforeEach
    void capture() {
        oldErr = System.err;
        oldOut = System.out;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStreams() {
        System.setErr(oldErr);
        System.setOut(oldOut);
    }

    /** Stderr since the last call: the messages of the last command. */
    String takeErr() {
        String s = err.toString(StandardCharsets.UTF_8);
        err.reset();
        return s;
    }
}
