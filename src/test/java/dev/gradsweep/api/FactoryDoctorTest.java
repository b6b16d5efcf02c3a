package dev.gradsweep.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.Doctor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * doctor --grid: a factory's network (a MultiLayerNetwork, and a graph with batch norm and a bias-less layer) is
 * checked on both memory paths and precisions like gradsweep's own nets: every params and layers value the listener
 * records equals plain ND4J reductions of DL4J's own arrays.
 */
class FactoryDoctorTest {
    @ParameterizedTest
    @CsvSource({"Good, float32", "Good, float64", "Graph, float32", "Graph, float64"})
    void aFactorysNetworkPassesTheDoctorOnBothPaths(String factory, String dtype) {
        RunConfig rc = FactoriesTest.runs("dev.gradsweep.api.TestFactories$" + factory, dtype)
                .get(0);
        for (TrainingMemory m : new TrainingMemory[] {TrainingMemory.hostDirect(), TrainingMemory.portable()}) {
            Doctor.Result r = FactoryDoctor.check(rc, 3, m);
            assertTrue(r.ok(), factory + " " + dtype + " " + m.name() + ": " + r.disagreement());
            // 3 steps × (W and b of two layers, or 7 arrays of the graph) × 8 columns, plus the layers' columns
            assertTrue(r.compared() >= 3 * 4 * 8, m.name() + " compared " + r.compared());
        }
    }
}
