package dev.gradsweep.api;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.grid.RunConfig;
import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Loads a grid's {@link ModelFactory} and builds its networks, with the errors a user needs: each names
 * {@code model.class} and the class, and says what to change. The driver checks every configuration this way before
 * the sweep trains ({@link #checkAll}); the executors build with {@link #build}.
 */
public final class Factories {
    private Factories() {}

    /** The factory class, instantiated: found, a {@link ModelFactory}, with a public no-argument constructor. */
    public static ModelFactory load(String className) {
        String at = "model.class " + className + ": ";
        Class<?> c;
        try {
            ClassLoader cl = Thread.currentThread().getContextClassLoader();
            c = Class.forName(className, true, cl != null ? cl : Factories.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new BadInputException(
                    at + "not found on the classpath (bin/gradsweep --jars your.jar, or spark-submit"
                            + " --jars your.jar)" + (e instanceof LinkageError ? ": " + e : ""));
        }
        if (!ModelFactory.class.isAssignableFrom(c))
            throw new BadInputException(at + "does not implement " + ModelFactory.class.getName());
        if (c.isInterface() || Modifier.isAbstract(c.getModifiers()))
            throw new BadInputException(at + "is abstract; name a concrete class");
        try {
            Constructor<?> k = c.getConstructor();
            return (ModelFactory) k.newInstance();
        } catch (NoSuchMethodException e) {
            throw new BadInputException(at + "has no public no-argument constructor");
        } catch (InvocationTargetException e) {
            throw new BadInputException(at + "its constructor threw " + e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new BadInputException(at + "cannot be instantiated: " + e);
        }
    }

    /**
     * The run's network, built by its factory and initialised: a MultiLayerNetwork or ComputationGraph with one input
     * and one output, of the run's data type, with the run's updater on every trained layer.
     */
    public static Model build(RunConfig rc) {
        return build(load(rc.user.factoryClass), rc);
    }

    static Model build(ModelFactory f, RunConfig rc) {
        ModelRequest req = ModelRequest.of(rc);
        String at = "model.class " + rc.user.factoryClass + ": ";
        Model m;
        try {
            m = f.build(req);
        } catch (Exception | LinkageError e) {
            throw new BadInputException(at + "build failed for " + req + ": " + e);
        }
        if (m == null) throw new BadInputException(at + "build returned null for " + req);
        if (m instanceof MultiLayerNetwork n) {
            n.init(); // a no-op when the factory did
        } else if (m instanceof ComputationGraph g) {
            if (g.getConfiguration().getNetworkInputs().size() != 1
                    || g.getConfiguration().getNetworkOutputs().size() != 1)
                throw new BadInputException(at + "its ComputationGraph has "
                        + g.getConfiguration().getNetworkInputs()
                        + " inputs and " + g.getConfiguration().getNetworkOutputs() + " outputs; gradsweep trains"
                        + " graphs with one of each");
            g.init();
        } else
            throw new BadInputException(at + "build returned a " + m.getClass().getName()
                    + "; return a MultiLayerNetwork or a ComputationGraph");
        if (m.params().dataType() != req.dataType())
            throw new BadInputException(at + "its parameters are " + m.params().dataType() + " but the run's dtype is "
                    + rc.train.dtype + ": build with .dataType(run.dataType())");
        Updaters.require(m, req, at);
        return m;
    }

    /**
     * Builds each configuration of the sweep once (the first seed of each) and feeds it two rows of zeros: a build
     * that throws, or a network whose input or output does not fit the task, stops the sweep before it trains.
     */
    public static void checkAll(List<RunConfig> runs, PrintStream err) {
        Map<String, RunConfig> configs = new LinkedHashMap<>();
        for (RunConfig rc : runs)
            if (rc.user != null) configs.putIfAbsent(rc.canonical().replaceAll(";seed=-?\\d+", ""), rc);
        if (configs.isEmpty()) return;
        ModelFactory f = load(configs.values().iterator().next().user.factoryClass);
        int i = 0;
        for (RunConfig rc : configs.values()) {
            Model m = build(f, rc);
            fits(m, rc);
            if (++i % 50 == 0) err.println("checked " + i + " of " + configs.size() + " factory configurations");
        }
    }

    private static void fits(Model m, RunConfig rc) {
        String at = "model.class " + rc.user.factoryClass + ": " + ModelRequest.of(rc) + ": ";
        INDArray x = Nd4j.zeros(m.params().dataType(), 2, rc.task.inputs);
        INDArray y;
        try {
            y = m instanceof MultiLayerNetwork n ? n.output(x) : ((ComputationGraph) m).outputSingle(x);
        } catch (RuntimeException e) {
            throw new BadInputException(at + "the network does not take the task's rows of " + rc.task.inputs
                    + " features (" + e.getMessage() + ")");
        }
        if (y.rank() != 2 || y.size(0) != 2 || y.size(1) != rc.task.outputs)
            throw new BadInputException(at + "the network's output is " + java.util.Arrays.toString(y.shape())
                    + " for 2 rows; the task needs [2, " + rc.task.outputs + "]"
                    + (ModelRequest.of(rc).classification() ? " (one column per class)" : ""));
    }
}
