package com.example;

import dev.gradsweep.api.Gradsweep;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * A user's own training loop with gradsweep's listener: {@link SmallCnn} on this program's own data (8 × 8 images of
 * a horizontal or a vertical bar in noise), a few epochs of DL4J's {@code fit}; every step's per-layer statistics go
 * into a gradsweep output that {@code gradsweep sql} and {@code gradsweep report} read.
 *
 * <p>Arguments: the output directory (default results/own-model-once) and the number of epochs (default 3).
 */
public final class TrainOnce {
    static final int SIDE = 8, EXAMPLES = 256, BATCH = 32;

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "results/own-model-once");
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        MultiLayerNetwork net =
                SmallCnn.network(new int[] {1, SIDE, SIDE}, 2, 4, 3, 42, new Adam(0.01), DataType.FLOAT);
        net.init();
        var data = new ListDataSetIterator<>(bars(new Random(7)).asList(), BATCH);
        // what the runs table should say about this run; loss_baseline: ln 2, the best constant guess of 2 balanced classes
        Map<String, Object> config =
                Map.of("optimizer", "adam", "lr", 0.01, "batch", BATCH, "seed", 42, "loss_baseline", Math.log(2));
        String runId = Gradsweep.record(out, "own-small-cnn", config, listener -> {
            net.addListeners(listener);
            for (int e = 0; e < epochs; e++) {
                data.reset();
                net.fit(data);
            }
        });
        System.out.println("recorded run " + runId + " into " + out + " (loss " + net.score() + ")");
    }

    /** Balanced images: a horizontal (class 0) or vertical (class 1) bar at a random place, in Gaussian noise. */
    static DataSet bars(Random rng) {
        float[] x = new float[EXAMPLES * SIDE * SIDE];
        float[] y = new float[EXAMPLES * 2];
        for (int i = 0; i < EXAMPLES; i++) {
            int cls = i % 2, at = rng.nextInt(SIDE);
            for (int r = 0; r < SIDE; r++)
                for (int c = 0; c < SIDE; c++)
                    x[(i * SIDE + r) * SIDE + c] =
                            (float) (0.3 * rng.nextGaussian() + ((cls == 0 ? r : c) == at ? 1 : 0));
            y[i * 2 + cls] = 1;
        }
        return new DataSet(
                Nd4j.create(x, new long[] {EXAMPLES, SIDE * SIDE}), Nd4j.create(y, new long[] {EXAMPLES, 2}));
    }
}
