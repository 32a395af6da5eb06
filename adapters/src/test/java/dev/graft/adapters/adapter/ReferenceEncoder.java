package dev.graft.adapters.adapter;

import dev.graft.adapters.bottleneck.Bottleneck;
import dev.graft.adapters.ia3.Ia3;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.nn.Erf;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.bert.BertConfig;
import dev.graft.backbones.bert.BertLayerWeights;
import dev.graft.backbones.bert.BertWeights;
import dev.graft.backbones.bert.LayerNormWeights;
import dev.graft.backbones.bert.Linear;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.kernels.Activation;
import java.util.List;

/**
 * The adapted BERT forward pass in plain Java and double precision, written from the papers' equations and sharing
 * no code with the encoder or the hooks: the oracle for the adapted encoder. Any of the three adapters may be null.
 */
final class ReferenceEncoder {
    private final BertWeights w;
    private final BertConfig c;
    private final Lora lora;
    private final Bottleneck bottleneck;
    private final Ia3 ia3;

    ReferenceEncoder(BertWeights w, Lora lora, Bottleneck bottleneck, Ia3 ia3) {
        this.w = w;
        this.c = w.config();
        this.lora = lora;
        this.bottleneck = bottleneck;
        this.ia3 = ia3;
    }

    /** The last hidden states [batch · tokens · hidden], as floats. */
    float[] lastHidden(TokenBatch batch) {
        int b = batch.batchSize();
        int t = batch.tokens();
        int n = b * t;
        int h = c.hiddenSize();
        double[][] x = new double[n][h];
        for (int r = 0; r < n; r++) {
            int id = batch.inputIds().getInt(r);
            int type = batch.tokenTypeIds().getInt(r);
            for (int j = 0; j < h; j++) {
                x[r][j] = w.wordEmbeddings().getFloat((long) id * h + j) + w.positionEmbeddings().getFloat((long) (r % t) * h + j)
                        + w.tokenTypeEmbeddings().getFloat((long) type * h + j);
            }
            x[r] = layerNorm(x[r], w.embeddingNorm());
        }
        for (int layer = 0; layer < c.numLayers(); layer++) {
            x = layer(layer, w.layers().get(layer), x, batch);
        }
        float[] out = new float[n * h];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < h; j++) {
                out[r * h + j] = (float) x[r][j];
            }
        }
        return out;
    }

    private double[][] layer(int layer, BertLayerWeights l, double[][] x, TokenBatch batch) {
        int n = x.length;
        int t = batch.tokens();
        int heads = c.numHeads();
        int d = c.headSize();
        int h = c.hiddenSize();
        double[][] ctx = new double[n][h];
        double[][] q = new double[n][];
        double[][] k = new double[n][];
        double[][] v = new double[n][];
        for (int r = 0; r < n; r++) {
            q[r] = project(layer, SiteKind.QUERY, l.query(), x[r]);
            k[r] = scale(layer, SiteKind.KEY_SCALE, project(layer, SiteKind.KEY, l.key(), x[r]));
            v[r] = scale(layer, SiteKind.VALUE_SCALE, project(layer, SiteKind.VALUE, l.value(), x[r]));
        }
        for (int s = 0; s < batch.batchSize(); s++) {
            for (int hd = 0; hd < heads; hd++) {
                for (int i = 0; i < t; i++) {
                    double[] score = new double[t];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < t; j++) {
                        if (batch.attentionMask().getInt((long) s * t + j) == 0) {
                            score[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        for (int e = 0; e < d; e++) {
                            dot += q[s * t + i][hd * d + e] * k[s * t + j][hd * d + e];
                        }
                        score[j] = dot / Math.sqrt(d);
                        max = Math.max(max, score[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < t; j++) {
                        score[j] = score[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(score[j] - max);
                        sum += score[j];
                    }
                    for (int j = 0; j < t; j++) {
                        for (int e = 0; e < d; e++) {
                            ctx[s * t + i][hd * d + e] += score[j] / sum * v[s * t + j][hd * d + e];
                        }
                    }
                }
            }
        }
        double[][] y = new double[n][];
        for (int r = 0; r < n; r++) {
            ctx[r] = scale(layer, SiteKind.CONTEXT_SCALE, ctx[r]);
            double[] a = adapted(layer, SiteKind.AFTER_ATTENTION, project(layer, SiteKind.ATTENTION_OUTPUT,
                    l.attentionOutput(), ctx[r]));
            double[] mid = layerNorm(add(x[r], a), l.attentionNorm());
            double[] inter = project(layer, SiteKind.INTERMEDIATE, l.intermediate(), mid);
            for (int j = 0; j < inter.length; j++) {
                inter[j] = gelu(inter[j]);
            }
            inter = scale(layer, SiteKind.INTERMEDIATE_SCALE, inter);
            double[] f = adapted(layer, SiteKind.AFTER_FFN, project(layer, SiteKind.OUTPUT, l.output(), inter));
            y[r] = layerNorm(add(mid, f), l.outputNorm());
        }
        return y;
    }

    /** x·Wᵀ + b + (alpha/r)·B·A·x. */
    private double[] project(int layer, SiteKind kind, Linear lin, double[] in) {
        int nIn = lin.in();
        int nOut = lin.out();
        float[] wt = lin.weight().toFloatArray();
        float[] bias = lin.bias().toFloatArray();
        double[] y = new double[nOut];
        for (int o = 0; o < nOut; o++) {
            double s = bias[o];
            for (int i = 0; i < nIn; i++) {
                s += (lin.outIn() ? wt[o * nIn + i] : wt[i * nOut + o]) * in[i];
            }
            y[o] = s;
        }
        Parameter a = lora == null ? null : lora.a(new Site(layer, kind));
        if (a != null) {
            int r = lora.config().r();
            float[] av = a.values();
            float[] bv = lora.b(new Site(layer, kind)).values();
            double[] ax = new double[r];
            for (int k = 0; k < r; k++) {
                for (int i = 0; i < nIn; i++) {
                    ax[k] += av[k * nIn + i] * in[i];
                }
            }
            for (int o = 0; o < nOut; o++) {
                double s = 0;
                for (int k = 0; k < r; k++) {
                    s += bv[o * r + k] * ax[k];
                }
                y[o] += lora.config().scaling() * s;
            }
        }
        return y;
    }

    /** h + up(act(down·h + bd)) + bu. */
    private double[] adapted(int layer, SiteKind kind, double[] h) {
        List<Parameter> p = bottleneck == null ? null : bottleneck.parameters(new Site(layer, kind));
        if (p == null) {
            return h;
        }
        float[] down = p.get(0).values();
        float[] db = p.get(1).values();
        float[] up = p.get(2).values();
        float[] ub = p.get(3).values();
        int m = db.length;
        int width = h.length;
        double[] z = new double[m];
        for (int i = 0; i < m; i++) {
            double s = db[i];
            for (int j = 0; j < width; j++) {
                s += down[i * width + j] * h[j];
            }
            z[i] = act(bottleneck.config().nonLinearity(), s);
        }
        double[] out = h.clone();
        for (int j = 0; j < width; j++) {
            double s = ub[j];
            for (int i = 0; i < m; i++) {
                s += up[j * m + i] * z[i];
            }
            out[j] += s;
        }
        return out;
    }

    private double[] scale(int layer, SiteKind kind, double[] y) {
        Parameter l = ia3 == null ? null : ia3.scaling(new Site(layer, kind));
        if (l == null) {
            return y;
        }
        double[] out = y.clone();
        for (int j = 0; j < y.length; j++) {
            out[j] *= l.values()[j];
        }
        return out;
    }

    private double[] layerNorm(double[] x, LayerNormWeights norm) {
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double inv = 1 / Math.sqrt(var + c.layerNormEps());
        double[] out = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            out[j] = (x[j] - mean) * inv * norm.gamma().getFloat(j) + norm.beta().getFloat(j);
        }
        return out;
    }

    private static double[] add(double[] a, double[] b) {
        double[] s = new double[a.length];
        for (int j = 0; j < a.length; j++) {
            s[j] = a[j] + b[j];
        }
        return s;
    }

    private static double gelu(double x) {
        return 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2)));
    }

    private static double act(Activation a, double x) {
        return switch (a) {
            case NONE -> x;
            case RELU -> Math.max(0, x);
            case GELU -> gelu(x);
            case TANH -> Math.tanh(x);
        };
    }
}
