package dev.gradsweep.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.conv.ConvNet;
import dev.gradsweep.conv.ConvRun;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.sweep.Threads;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench}'s conv nets: the shapes, selected by prefix, soaked as a sweep's run. */
class ConvBenchTest {
    /**
     * The bench nets are ResNet-20's layout by their parameter count, derived by hand: 3 × 3 convs without bias (a
     * batch norm follows each) 3·16·9 + 6·16·16·9 + (16·32 + 5·32·32)·9 + (32·64 + 5·64·64)·9 = 267,696; γ and β of
     * the 19 norms 2·(16 + 6·16 + 6·32 + 6·64) = 1,376; the head 64·10 + 10 = 650: 269,722 for the plain twin. The
     * ResNet adds the two stage transitions' 1 × 1 projections and their norms: 16·32 + 32·64 + 2·(32 + 64) = 2,752.
     */
    @Test
    void netsHaveResNet20sParameters() {
        assertEquals(269_722, params(ConvBench.PLAIN));
        assertEquals(269_722 + 2_752, params(ConvBench.RESNET));
        assertEquals(ConvBench.NETS, ConvBench.selected("resnet_conv"));
        assertEquals(List.of(ConvBench.PLAIN), ConvBench.selected("resnet_conv20_p"));
        assertEquals(ConvBench.NETS, ConvBench.selected("all"));
    }

    private static long params(String net) {
        RunConfig rc = ConvBench.runConfig(net);
        ConvNet n = new ConvNet(
                ConvRun.spec(rc, Tasks.generate(rc.task, rc.seed)), rc.train.batch, TrainingMemory.portable());
        return n.params().length();
    }

    /** {@code --soak} of a conv net: one row, engine conv; it trains as a sweep's run, its rows in Parquet files. */
    @Test
    void soakTrainsAConvNetAsASweepRun(@TempDir Path tmp) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Threads.apply(1);
        MemorySoak.run(
                3,
                ConvBench.RESNET,
                List.of("dl4j"),
                1,
                tmp,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream()));
        List<String[]> rows = out.toString(StandardCharsets.UTF_8)
                .lines()
                .skip(2)
                .map(l -> l.split("\\|", -1))
                .toList();
        assertEquals(1, rows.size());
        assertEquals(" " + ConvBench.RESNET + " ", rows.get(0)[1]);
        assertEquals(" conv ", rows.get(0)[2]);
        try (var files = Files.walk(tmp.resolve(ConvBench.RESNET))) {
            assertTrue(files.anyMatch(f -> f.toString().endsWith(".parquet")), "Parquet files of the run's rows");
        }
    }
}
