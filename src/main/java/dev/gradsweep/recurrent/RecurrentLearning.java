package dev.gradsweep.recurrent;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.RecInit;
import dev.gradsweep.grid.TrainSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Learning experiments on the sequence tasks, too slow for unit tests: prints one line per run with the held-out
 * loss at checkpoints, the chance level and the wall time.
 * <pre>java -cp gradsweep.jar dev.gradsweep.recurrent.RecurrentLearning EXPERIMENT [steps] [seq_len] [seed]</pre>
 * <ul>
 * <li>{@code cells}: adding, lstm vs gru vs tanh rnn (orthogonal W_h), width 64, batch 32, Adam 1e-3, clip norm:1.</li>
 * <li>{@code irnn}: adding, relu rnn with identity W_h (Le et al. 2015) vs tanh rnn with standard init.</li>
 * <li>{@code clip}: adding, tanh rnn with spectral:ρ > 1 and SGD, with and without norm clipping (Pascanu et al. 2013).</li>
 * </ul>
 */
public final class RecurrentLearning {
    record Run(String label, Cell cell, Activation act, String rec, String in, TrainSpec train) {}

    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "cells";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
        int seqLen = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 1;
        int batch = 32, width = 64;
        List<Run> runs = new ArrayList<>();
        TrainSpec adam = new TrainSpec(steps, batch, TrainSpec.Optimizer.ADAM, 1e-3, "norm:1", TrainSpec.DType.FLOAT32);
        switch (what) {
            case "cells":
                runs.add(new Run("lstm", Cell.LSTM, Activation.TANH, "orthogonal", "xavier", adam));
                runs.add(new Run("gru", Cell.GRU, Activation.TANH, "orthogonal", "xavier", adam));
                runs.add(new Run("rnn tanh", Cell.RNN, Activation.TANH, "orthogonal", "xavier", adam));
                break;
            case "irnn":
                runs.add(new Run("rnn relu identity", Cell.RNN, Activation.RELU, "identity", "xavier", adam));
                runs.add(new Run("rnn tanh standard", Cell.RNN, Activation.TANH, "normal:1", "standard", adam));
                break;
            case "clip": {
                TrainSpec sgd =
                        new TrainSpec(steps, batch, TrainSpec.Optimizer.SGD, 0.05, "none", TrainSpec.DType.FLOAT32);
                TrainSpec clipped =
                        new TrainSpec(steps, batch, TrainSpec.Optimizer.SGD, 0.05, "norm:1", TrainSpec.DType.FLOAT32);
                runs.add(new Run(
                        "rnn tanh spectral:1.5 unclipped", Cell.RNN, Activation.TANH, "spectral:1.5", "xavier", sgd));
                runs.add(new Run(
                        "rnn tanh spectral:1.5 norm:1", Cell.RNN, Activation.TANH, "spectral:1.5", "xavier", clipped));
                break;
            }
            default:
                throw new IllegalArgumentException("experiment: cells, irnn or clip");
        }
        SequenceTask task = new AddingTask();
        System.out.printf(
                "%s: adding T=%d, width %d, batch %d, %d steps, seed %d; chance MSE %.4f%n",
                what, seqLen, width, batch, steps, seed, task.chanceLoss());
        for (Run r : runs) {
            RecurrentSpec spec = RecurrentSpec.of(
                    r.cell,
                    r.act,
                    1,
                    width,
                    task,
                    seqLen,
                    RecInit.parse(r.rec),
                    Init.parse(r.in),
                    TrainSpec.DType.FLOAT32,
                    seed);
            RecurrentTrainer tr = new RecurrentTrainer(spec, task, r.train);
            long t0 = System.nanoTime();
            StringBuilder curve = new StringBuilder();
            double maxGrad = 0;
            int every = Math.max(1, steps / 10);
            while (tr.hasNext()) {
                StepResult s = tr.step(false);
                if (s.finite()) maxGrad = Math.max(maxGrad, s.gradL2());
                if ((s.step() + 1) % every == 0) curve.append(String.format(" %d:%.4f", s.step() + 1, tr.evaluate(4)));
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            System.out.printf(
                    "%-34s %s eval MSE at steps:%s | max grad %.3g | %.0f s%n",
                    r.label, tr.diverged() ? "DIVERGED at step " + tr.stepsDone() : "ok", curve, maxGrad, wall);
        }
    }
}
