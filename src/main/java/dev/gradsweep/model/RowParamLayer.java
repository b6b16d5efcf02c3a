package dev.gradsweep.model;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A width-preserving layer whose parameters are a few [1 × k] rows with fixed initial values (layer norm's gain and
 * bias, ReZero's α). Written natively, with explicit backward passes: DL4J M2.1's SameDiffLayer returned gradients
 * that disagreed with finite differences (2× for y = α·x).
 */
public abstract class RowParamLayer extends FeedForwardLayer {
    /** Parameter names in flat-buffer order. */
    abstract List<String> keys();

    abstract long length(String key);

    abstract double initialValue(String key);

    abstract BaseLayer<?> newImpl(NeuralNetConfiguration conf, DataType dataType);

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(
            NeuralNetConfiguration conf,
            Collection<TrainingListener> listeners,
            int layerIndex,
            INDArray paramsView,
            boolean initializeParams,
            DataType dataType) {
        BaseLayer<?> ret = newImpl(conf, dataType);
        ret.setListeners(listeners);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(paramsView);
        ret.setParamTable(initializer().init(conf, paramsView, initializeParams));
        ret.setConf(conf);
        return ret;
    }

    @Override
    public ParamInitializer initializer() {
        return Init.INSTANCE;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.feedForward(getNOut());
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        return new LayerMemoryReport.Builder(layerName, getClass(), inputType, inputType)
                .standardMemory(0, 0)
                .workingMemory(0, 0, MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    /** Slices the layer's flat view into its rows, in {@link #keys()} order. */
    static final class Init implements ParamInitializer {
        static final Init INSTANCE = new Init();

        private static RowParamLayer of(Layer l) {
            return (RowParamLayer) l;
        }

        @Override
        public long numParams(NeuralNetConfiguration conf) {
            return numParams(conf.getLayer());
        }

        @Override
        public long numParams(Layer layer) {
            long n = 0;
            for (String k : of(layer).keys()) n += of(layer).length(k);
            return n;
        }

        @Override
        public List<String> paramKeys(Layer layer) {
            return of(layer).keys();
        }

        @Override
        public List<String> weightKeys(Layer layer) {
            return of(layer).keys();
        }

        @Override
        public List<String> biasKeys(Layer layer) {
            return List.of();
        }

        @Override
        public boolean isWeightParam(Layer layer, String key) {
            return true;
        }

        @Override
        public boolean isBiasParam(Layer layer, String key) {
            return false;
        }

        @Override
        public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
            Map<String, INDArray> m = getGradientsFromFlattened(conf, paramsView);
            if (initializeParams)
                for (Map.Entry<String, INDArray> e : m.entrySet())
                    e.getValue().assign(of(conf.getLayer()).initialValue(e.getKey()));
            return m;
        }

        @Override
        public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray view) {
            RowParamLayer l = of(conf.getLayer());
            INDArray flat = view.reshape(view.length());
            Map<String, INDArray> m = new LinkedHashMap<>();
            long at = 0;
            for (String k : l.keys()) {
                long n = l.length(k);
                m.put(k, flat.get(NDArrayIndex.interval(at, at + n)).reshape(1, n));
                at += n;
            }
            return m;
        }
    }
}
