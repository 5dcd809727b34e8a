package io.pullback.metric.representation;

import io.pullback.linalg.Blas;
import io.pullback.linalg.DenseMetricSolver;
import io.pullback.linalg.DenseOps;
import io.pullback.model.LayeredModel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * K-FAC (Martens &amp; Grosse 2015): per layer l, {@code Ĝ_l = S_l ⊗ A_l} on that layer's parameters
 * ({@code W_l[o, i]} and {@code b_l[o]} as the entries {@code (o, i)} of a {@code q × p} matrix,
 * {@code p = in_l + 1}, {@code q = out_l}), with {@code A_l = E_w[ã ãᵀ]} (inputs with a trailing 1)
 * and {@code S_l = E_w[Σ_i δ_i δ_iᵀ]} (the back-propagated factor-row coefficients); cross-layer
 * entries are zero. Exact for a single affine layer with the {@code function} metric (then
 * {@code S = I}).
 *
 * <p>Products: {@code (Ĝ v)_l = S_l V_l A_l} ({@code V_l} the layer's part of v as {@code q × p}).
 * Solves use <b>factored Tikhonov damping</b>: {@code (S + γ/π·I)⁻¹ V (A + πγ·I)⁻¹} with
 * {@code γ = √λ} and {@code π = √((tr A / p) / (tr S / q))}; for λ = 0 this is the exact inverse
 * of {@code S ⊗ A}, for λ &gt; 0 it approximates {@code (Ĝ + λI)⁻¹} (it adds
 * {@code γ(π S ⊗ I + I ⊗ A/π)} instead of λI, which cross terms make larger than λI).
 *
 * <p>Exports, per layer: {@code kfac_layer{l}_A} (p×p), {@code kfac_layer{l}_S} (q×q) and
 * {@code kfac_layer{l}_index} (q×p: the θ index of entry (o, i)), so that
 * {@code G[idx[o,i], idx[o',i']] = S[o,o']·A[i,i']} without the model.
 *
 * <p>Costs per layer: memory {@code 8(p² + q²)}; products {@code 2qp(p + q)} flops; solves two
 * Choleskys ({@code (p³ + q³)/3}) per new λ, then {@code 2qp(p + q)}.
 */
public final class KfacMetric implements MetricRepresentation {
  private final int n;
  /** Per layer, the θ index of entry (o, i): row-major q × p. */
  private final int[][] index;
  private final int[] inputs;
  private final int[] outputs;
  private final double[][] a;
  private final double[][] s;

  /**
   * @param a per layer {@code A_l}, row-major {@code p × p} (kept)
   * @param s per layer {@code S_l}, row-major {@code q × q} (kept)
   */
  public KfacMetric(LayeredModel model, double[][] a, double[][] s) {
    this(model.numParams(), indexMaps(model), a, s);
  }

  /**
   * From the factors and the index maps alone (no model): what {@link #exports()} stores, so a
   * stored K-FAC metric reads back through {@link #read}.
   *
   * @param index per layer the θ index of entry (o, i), row-major {@code q × p} (kept)
   */
  KfacMetric(int n, int[][] index, double[][] a, double[][] s) {
    this.n = n;
    this.index = index;
    this.a = a;
    this.s = s;
    this.inputs = new int[a.length];
    this.outputs = new int[a.length];
    for (int l = 0; l < a.length; l++) {
      inputs[l] = (int) Math.round(Math.sqrt(a[l].length));
      outputs[l] = (int) Math.round(Math.sqrt(s[l].length));
      if (index[l].length != inputs[l] * outputs[l]) {
        throw new IllegalArgumentException("layer " + l + ": index map of " + index[l].length + " entries for factors "
            + inputs[l] + " and " + outputs[l]);
      }
    }
  }

  /** The model's θ index of every layer entry (o, i). */
  static int[][] indexMaps(LayeredModel model) {
    int[][] index = new int[model.layers()][];
    for (int l = 0; l < index.length; l++) {
      int p = model.layerInputs(l) + 1;
      int q = model.layerOutputs(l);
      index[l] = new int[q * p];
      for (int o = 0; o < q; o++) {
        for (int i = 0; i < p; i++) index[l][o * p + i] = model.paramIndex(l, o, i);
      }
    }
    return index;
  }

  /**
   * A stored K-FAC metric: per layer {@code kfac_layer{l}_A}, {@code _S} and {@code _index}, layers
   * counted from 0 while {@code _A} exists. Cost: reading the factors, {@code O(Σ p² + q²)} memory.
   *
   * @throws io.pullback.PullbackException (data) for missing or mis-shaped files
   */
  static KfacMetric read(StoredArrays files, int n) {
    java.util.List<double[]> as = new java.util.ArrayList<>();
    java.util.List<double[]> ss = new java.util.ArrayList<>();
    java.util.List<int[]> maps = new java.util.ArrayList<>();
    for (int l = 0; files.has("kfac_layer" + l + "_A"); l++) {
      NpyArray a = files.square("kfac_layer" + l + "_A");
      NpyArray s = files.square("kfac_layer" + l + "_S");
      int p = (int) a.shape()[0];
      int q = (int) s.shape()[0];
      as.add(a.data());
      ss.add(s.data());
      maps.add(readIndex(files, "kfac_layer" + l + "_index", q, p, n));
    }
    return new KfacMetric(n, maps.toArray(int[][]::new), as.toArray(double[][]::new), ss.toArray(double[][]::new));
  }

  /** A stored q×p index map (θ index of entry (o, i)); a data error for a non-integer or out-of-range entry. */
  static int[] readIndex(StoredArrays files, String name, int q, int p, int n) {
    double[] idx = files.matrix(name, q, p);
    int[] map = new int[idx.length];
    for (int k = 0; k < map.length; k++) {
      map[k] = (int) idx[k];
      if (map[k] != idx[k] || map[k] < 0 || map[k] >= n) {
        throw io.pullback.PullbackException.data(files.location(name) + ": entry " + k + " is " + idx[k]
            + ", not a parameter index in [0, " + n + ")");
      }
    }
    return map;
  }

  /** From the summed factors of {@link KfacSum}, divided by the weight total. */
  static KfacMetric fromSum(LayeredModel model, double[] sum, double weightSum) {
    int layers = model.layers();
    double[][] a = new double[layers][];
    double[][] s = new double[layers][];
    int off = 0;
    for (int l = 0; l < layers; l++) {
      int p = model.layerInputs(l) + 1;
      int q = model.layerOutputs(l);
      a[l] = DenseOps.symmetrisedBlock(sum, off, p, weightSum);
      off += p * p;
      s[l] = DenseOps.symmetrisedBlock(sum, off, q, weightSum);
      off += q * q;
    }
    return new KfacMetric(model, a, s);
  }

  /** The number of layers. */
  public int layers() { return a.length; }

  /** {@code A_l}, row-major {@code p × p}, {@code p = in_l + 1} (a copy). */
  public double[] factorA(int layer) { return a[layer].clone(); }

  /** {@code S_l}, row-major {@code q × q}, {@code q = out_l} (a copy). */
  public double[] factorS(int layer) { return s[layer].clone(); }

  /** The θ index of layer l's entry (o, i), row-major {@code q × p} (the stored array: not to be modified). */
  public int[] indexMap(int layer) { return index[layer]; }

  @Override public RepresentationKind kind() { return RepresentationKind.KFAC; }
  @Override public boolean exact() { return false; }
  @Override public int n() { return n; }

  private int p(int l) { return inputs[l]; }
  private int q(int l) { return outputs[l]; }

  /** Layer l's part of v as row-major q × p. */
  private double[] gather(double[] v, int l) {
    int p = p(l);
    int q = q(l);
    double[] m = new double[q * p];
    for (int o = 0; o < q; o++) {
      for (int i = 0; i < p; i++) m[o * p + i] = v[index[l][o * p + i]];
    }
    return m;
  }

  private void scatter(double[] m, int l, double[] out) {
    int p = p(l);
    int q = q(l);
    for (int o = 0; o < q; o++) {
      for (int i = 0; i < p; i++) out[index[l][o * p + i]] = m[o * p + i];
    }
  }

  /** Row-major {@code L (q×q) · M (q×p) · R (p×p)}. */
  private static double[] sandwich(double[] left, double[] m, double[] right, int q, int p) {
    double[] t = new double[q * p];
    double[] y = new double[q * p];
    // Row-major X is column-major Xᵀ: (L M R)ᵀ = Rᵀ Mᵀ Lᵀ = R Mᵀ L for symmetric L, R.
    Blas.get().dgemm("N", "N", p, q, q, 1.0, m, p, left, q, 0.0, t, p);
    Blas.get().dgemm("N", "N", p, q, p, 1.0, right, p, t, p, 0.0, y, p);
    return y;
  }

  @Override
  public double[] multiply(double[] v) {
    Checks.length(v, n);
    double[] y = new double[n];
    for (int l = 0; l < a.length; l++) scatter(sandwich(s[l], gather(v, l), a[l], q(l), p(l)), l, y);
    return y;
  }

  private final Map<Double, double[][][]> inverses = new LinkedHashMap<>();

  @Override
  public double[] solve(double[] v, double lambda) {
    Checks.length(v, n);
    Checks.lambda(lambda);
    double[][][] inv = inverses.computeIfAbsent(lambda, this::dampedInverses);
    if (inverses.size() > 4) inverses.remove(inverses.keySet().iterator().next());
    double[] x = new double[n];
    for (int l = 0; l < a.length; l++) scatter(sandwich(inv[l][1], gather(v, l), inv[l][0], q(l), p(l)), l, x);
    return x;
  }

  /** Per layer {(A + πγI)⁻¹, (S + γ/π I)⁻¹} as dense symmetric matrices. */
  private double[][][] dampedInverses(double lambda) {
    double[][][] inv = new double[a.length][][];
    double gamma = Math.sqrt(lambda);
    for (int l = 0; l < a.length; l++) {
      int p = p(l);
      int q = q(l);
      double pi = 1.0;
      if (gamma > 0) {
        double ta = trace(a[l], p) / p;
        double ts = trace(s[l], q) / q;
        if (ta > 0 && ts > 0) pi = Math.sqrt(ta / ts);
      }
      inv[l] = new double[][] {inverse(a[l], p, pi * gamma, l, "A"), inverse(s[l], q, gamma / pi, l, "S")};
    }
    return inv;
  }

  private static double[] inverse(double[] m, int size, double shift, int layer, String name) {
    DenseMetricSolver solver = new DenseMetricSolver(m, size, false);
    double[] inv = new double[size * size];
    double[] e = new double[size];
    try {
      for (int j = 0; j < size; j++) {
        java.util.Arrays.fill(e, 0.0);
        e[j] = 1.0;
        double[] col = solver.solve(e, shift);
        for (int i = 0; i < size; i++) inv[i * size + j] = col[i];
      }
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException("kfac factor " + name + " of layer " + layer + " plus damping " + shift
          + " is not positive definite; use a damping > 0 (" + ex.getMessage() + ")", ex);
    }
    return inv;
  }

  private static double trace(double[] m, int size) {
    double t = 0;
    for (int i = 0; i < size; i++) t += m[i * size + i];
    return t;
  }

  @Override
  public double trace() {
    double t = 0;
    for (int l = 0; l < a.length; l++) t += trace(a[l], p(l)) * trace(s[l], q(l));
    return t;
  }

  @Override
  public double[] diagonal() {
    double[] d = new double[n];
    for (int l = 0; l < a.length; l++) {
      int p = p(l);
      int q = q(l);
      for (int o = 0; o < q; o++) {
        for (int i = 0; i < p; i++) d[index[l][o * p + i]] = s[l][o * q + o] * a[l][i * p + i];
      }
    }
    return d;
  }

  @Override
  public double frobeniusNorm() {
    double t = 0;
    for (int l = 0; l < a.length; l++) {
      double f = DenseOps.frobenius(a[l]) * DenseOps.frobenius(s[l]);
      t += f * f;
    }
    return Math.sqrt(t);
  }

  @Override
  public double[] toDense() {
    MetricRepresentation.requireDenseFits(kind(), n);
    double[] g = new double[n * n];
    for (int l = 0; l < a.length; l++) {
      int p = p(l);
      int q = q(l);
      for (int o = 0; o < q; o++) {
        for (int i = 0; i < p; i++) {
          int row = index[l][o * p + i];
          for (int o2 = 0; o2 < q; o2++) {
            for (int i2 = 0; i2 < p; i2++) {
              g[row * n + index[l][o2 * p + i2]] = s[l][o * q + o2] * a[l][i * p + i2];
            }
          }
        }
      }
    }
    return g;
  }

  @Override
  public Map<String, NpyArray> exports() {
    Map<String, NpyArray> out = new LinkedHashMap<>();
    for (int l = 0; l < a.length; l++) {
      out.put("kfac_layer" + l + "_A", new NpyArray(a[l], new long[] {p(l), p(l)}));
      out.put("kfac_layer" + l + "_S", new NpyArray(s[l], new long[] {q(l), q(l)}));
      double[] stored = new double[q(l) * p(l)];
      for (int o = 0; o < q(l); o++) {
        for (int i = 0; i < p(l); i++) stored[o * p(l) + i] = index[l][o * p(l) + i];
      }
      out.put("kfac_layer" + l + "_index", new NpyArray(stored, new long[] {q(l), p(l)}));
    }
    return out;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("layers", a.length);
  }
}
