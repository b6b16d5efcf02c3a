package dev.gradsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The report's regenerate command repeats what the user gave and nothing else (no default restated). */
class ReportCommandTest {
    static String command(String... args) {
        ReportCommand rc = new ReportCommand();
        CommandLine cl = new CommandLine(rc);
        CommandLine.ParseResult pr = cl.parseArgs(args);
        return ReportCommand.regenerateCommand(pr, rc.in, rc.to, rc.grid);
    }

    @Test
    void defaultsStayImplicit() {
        assertEquals("bin/gradsweep report --in r --to o", command("--in", "r", "--to", "o"));
        // a default given explicitly is repeated as given: the user chose it
        assertEquals(
                "bin/gradsweep report --in r --to o --max-lines 3 --steps 0,5 --conf vanish_ratio=1e-4",
                command(
                        "--in",
                        "r",
                        "--to",
                        "o",
                        "--max-lines",
                        "3",
                        "--steps",
                        "0,5",
                        "--conf",
                        "vanish_ratio=1e-4",
                        "--master",
                        "local[2]"));
    }

    @Test
    void withTheGridTheSweepComesFirst() {
        assertEquals(
                "bin/gradsweep sweep --grid g.yaml --out r --resume && \\\n  bin/gradsweep report --in r --to o --grid g.yaml",
                command("--grid", "g.yaml", "--in", "r", "--to", "o"));
    }
}
