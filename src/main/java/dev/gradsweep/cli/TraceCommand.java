package dev.gradsweep.cli;

import dev.gradsweep.closedform.AnchorChain;
import dev.gradsweep.grid.Activation;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "trace",
        mixinStandardHelpOptions = true,
        description = {
            "The closed-form anchor chain: one unit per layer, every weight --weight, bias 0, input --input.",
            "Prints per layer z, f(z), f'(z), the back-propagated gradient delta = dL/da (output gradient 1) and dL/dw.",
            "Defaults reproduce the classic worked example (4 sigmoid layers, w = 0.1): delta_1 = 1.56e-05."
        })
final class TraceCommand implements Callable<Integer> {
    @Option(names = "--depth", defaultValue = "4", description = "Layers (default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(names = "--weight", defaultValue = "0.1", description = "Every weight (default: ${DEFAULT-VALUE}).")
    double weight;

    @Option(names = "--input", defaultValue = "1.0", description = "Input x (default: ${DEFAULT-VALUE}).")
    double input;

    @Option(
            names = "--activation",
            defaultValue = "sigmoid",
            description = "One of " + AnchorChain.SUPPORTED_NAMES + " (default: ${DEFAULT-VALUE}).")
    String activation;

    @Option(
            names = "--lr",
            defaultValue = "0.01",
            description = "Learning rate for the update line (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--format", defaultValue = "table", description = "table, csv or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Override
    public Integer call() {
        Activation act = Activation.parse(activation.toLowerCase());
        if (act == null || !AnchorChain.SUPPORTED.contains(act))
            throw new IllegalArgumentException("--activation: '" + activation + "' has no closed form here; allowed: "
                    + AnchorChain.SUPPORTED_NAMES);
        if (depth < 1 || depth > 10_000) throw new IllegalArgumentException("--depth must be 1..10000");
        List<AnchorChain.Layer> rows = AnchorChain.compute(depth, weight, input, act, 1.0);
        switch (format) {
            case "csv":
                System.out.println("layer,z,a,slope,delta,grad_w");
                printRows(rows, "%d,%.17g,%.17g,%.17g,%.17g,%.17g");
                break;
            case "json":
                printRows(rows, "{\"layer\":%d,\"z\":%s,\"a\":%s,\"slope\":%s,\"delta\":%s,\"grad_w\":%s}");
                break;
            case "table": {
                System.out.printf(
                        "Anchor chain: %d x 1-unit %s layers, w = %s, b = 0, x = %s, output gradient 1 (layer 1 = nearest the input)%n",
                        depth, act.key, weight, input);
                System.out.println("| layer |        z |     f(z) |    f'(z) | delta = dL/da |    dL/dw |");
                System.out.println("|------:|---------:|---------:|---------:|--------------:|---------:|");
                printRows(rows, "| %5d | %8.4f | %8.4f | %8.4f | %13.4e | %8.3e |");
                AnchorChain.Layer first = rows.get(0), last = rows.get(rows.size() - 1);
                System.out.println(String.format(
                        Locale.ROOT,
                        "delta last/first = %,.0f; toward the input delta shrinks %.4fx per layer (1 / (w f'(z)))",
                        last.delta() / first.delta(),
                        rows.size() > 1 ? rows.get(1).delta() / rows.get(0).delta() : Double.NaN));
                System.out.println(String.format(
                        Locale.ROOT,
                        "update with lr %s: layer 1 moves %.3e, layer %d moves %.3e",
                        lr,
                        lr * first.delta(),
                        depth,
                        lr * last.delta()));
                break;
            }
            default:
                throw new IllegalArgumentException("--format: unknown '" + format + "'; allowed: table, csv, json");
        }
        return 0;
    }

    /** One line per layer: {@code rowFormat} takes layer, z, a, slope, delta, dL/dw in that order. */
    private static void printRows(List<AnchorChain.Layer> rows, String rowFormat) {
        for (AnchorChain.Layer l : rows)
            System.out.println(
                    String.format(Locale.ROOT, rowFormat, l.layer(), l.z(), l.a(), l.slope(), l.delta(), l.gradW()));
    }
}
