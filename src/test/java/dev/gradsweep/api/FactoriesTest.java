package dev.gradsweep.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A grid's model factory is loaded, built and checked on the driver, with errors that name the class. */
class FactoriesTest {
    static List<RunConfig> runs(String factory) {
        return runs(factory, "float32");
    }

    static List<RunConfig> runs(String factory, String dtype) {
        return GridSpec.parse(
                        String.join(
                                "\n",
                                "name: f",
                                "model: {class: " + factory + "}",
                                "task: {kind: spirals, samples: 64}",
                                "train: {steps: 3, batch: 8, optimizer: adam, lr: 0.01, dtype: " + dtype + "}",
                                "axes:",
                                "  custom: {hidden: [4, 6]}",
                                ""),
                        "g.yaml")
                .expand();
    }

    static String name(Class<?> c) {
        return c.getName();
    }

    @Test
    void aFactoryThatFollowsTheContractBuildsEveryConfiguration() {
        List<RunConfig> runs = runs(name(TestFactories.Good.class));
        Factories.checkAll(runs, new PrintStream(new ByteArrayOutputStream()));
        Model m = Factories.build(runs.get(1));
        MultiLayerNetwork n = assertInstanceOf(MultiLayerNetwork.class, m);
        assertEquals(6, n.getLayer(0).getParam("W").columns()); // the run's custom value reached the factory
        assertEquals(runs.get(1).seed, n.getLayerWiseConfigurations().getConf(0).getSeed());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "no.such.Factory|not found on the classpath",
                "java.lang.String|does not implement dev.gradsweep.api.ModelFactory",
                "dev.gradsweep.api.ModelFactory|is abstract",
                "dev.gradsweep.api.TestFactories$NoDefaultConstructor|no public no-argument constructor",
                "dev.gradsweep.api.TestFactories$Throws|build failed for run",
                "dev.gradsweep.api.TestFactories$WrongOutputs|the task needs [2, 2] (one column per class)",
                "dev.gradsweep.api.TestFactories$WrongInputs|does not take the task's rows of 2 features",
                "dev.gradsweep.api.TestFactories$OwnUpdater|build with .updater(run.updater())",
            })
    void eachMistakeIsAnErrorNamingTheClass(String factory, String hint) {
        BadInputException e = assertThrows(
                BadInputException.class,
                () -> Factories.checkAll(runs(factory), new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().startsWith("model.class " + factory + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(hint), e.getMessage());
    }
}
