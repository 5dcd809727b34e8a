package io.pullback.metric.representation;

import io.pullback.linalg.Blas;
import io.pullback.linalg.DenseOps;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.BlockData;
import io.pullback.model.LayeredModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * EKFAC, the eigenvalue-corrected K-FAC (George et al. 2018): per layer l, K-FAC's Kronecker
 * eigenbasis {@code Q_l = U_S ⊗ U_A} (eigenvectors of the factors {@code S_l = U_S Λ_S U_Sᵀ},
 * {@code A_l = U_A Λ_A U_Aᵀ} of {@link KfacMetric}), with the diagonal re-estimated in that basis
 * from the factor rows: {@code Ĝ_l = Q_l diag(D_l) Q_lᵀ},
 * {@code D_l[o', i'] = E_w[Σ_i (U_Sᵀ δ_i)[o']² (U_Aᵀ ã)[i']²] = (Q_lᵀ G_l Q_l)[(o',i'), (o',i')]}
 * ({@link EkfacSum}); cross-layer entries are zero. K-FAC is {@code Q_l (Λ_S ⊗ Λ_A) Q_lᵀ}, another
 * diagonal in the same basis, and {@code D_l} is the diagonal closest to {@code G_l} in Frobenius
 * norm, so {@code ‖G − Ĝ_EKFAC‖_F ≤ ‖G − Ĝ_KFAC‖_F}; exact for one affine layer with the
 * {@code function} metric (then {@code G = I ⊗ A}), like K-FAC.
 *
 * <p>Products: {@code (Ĝ v)_l = U_S (D_l ∘ (U_Sᵀ V_l U_A)) U_Aᵀ} ({@code V_l} the layer's part of
 * v as {@code q × p}, {@code p = in_l + 1}, {@code q = out_l}). Solves are exact for every λ:
 * {@code (Ĝ + λI)⁻¹} is {@code Q (D + λ)⁻¹ Qᵀ} (on parameters outside every layer, none for the
 * layered models, Ĝ is 0). Trace {@code Σ D}; Frobenius norm {@code ‖D‖}; diagonal
 * {@code (U_S∘U_S) D (U_A∘U_A)ᵀ}.
 *
 * <p>Build: two data passes (the factors A, S, then D in their eigenbasis), with two
 * {@code dsyevd} per layer ({@code ~(p³ + q³)·9}) on the driver between them. Exports per layer:
 * {@code ekfac_layer{l}_UA} (p×p, column j the eigenvector j), {@code ekfac_layer{l}_US} (q×q),
 * {@code ekfac_layer{l}_D} (q×p, the corrected eigenvalues) and {@code ekfac_layer{l}_index} (q×p:
 * the θ index of entry (o, i)), so that {@code G[idx[o,i], idx[o2,i2]] =
 * Σ US[o,o']·UA[i,i']·D[o',i']·US[o2,o']·UA[i2,i']} without the model.
 *
 * <p>Costs per layer: memory {@code 8(p² + q² + 2qp)}; products and solves {@code 4qp(p + q)}
 * flops.
 */
public final class EkfacMetric implements MetricRepresentation {
  private final int n;
  private final int[][] index;
  /** Per layer U_A (p×p), U_S (q×q), row-major; D (q×p) row-major. */
  private final double[][] ua;
  private final double[][] us;
  private final double[][] d;
  private final int[] p;
  private final int[] q;

  /**
   * @param index per layer the θ index of entry (o, i), row-major {@code q × p} (kept)
   * @param ua per layer U_A, row-major p×p, column j the eigenvector j (kept)
   * @param us per layer U_S, row-major q×q (kept)
   * @param d per layer the corrected eigenvalues, row-major q×p, all ≥ 0 (kept)
   */
  EkfacMetric(int n, int[][] index, double[][] ua, double[][] us, double[][] d) {
    this.n = n;
    this.index = index;
    this.ua = ua;
    this.us = us;
    this.d = d;
    this.p = new int[ua.length];
    this.q = new int[ua.length];
    for (int l = 0; l < ua.length; l++) {
      p[l] = (int) Math.round(Math.sqrt(ua[l].length));
      q[l] = (int) Math.round(Math.sqrt(us[l].length));
      if (index[l].length != p[l] * q[l] || d[l].length != p[l] * q[l]) {
        throw new IllegalArgumentException("layer " + l + ": index map of " + index[l].length + " and D of " + d[l].length
            + " entries for factors " + p[l] + " and " + q[l]);
      }
    }
  }

  /**
   * Builds EKFAC over the data: K-FAC's factors ({@link KfacSum}, one pass), their eigenvectors,
   * then the corrected diagonal ({@link EkfacSum}, one more pass).
   */
  static EkfacMetric build(LayeredModel model, BlockData data, FactorRows rows, double[] theta) {
    double w = data.weightSum();
    KfacMetric kfac = KfacMetric.fromSum(model, data.sum(new KfacSum(rows, theta)), w);
    int layers = model.layers();
    double[][] uaCol = new double[layers][];
    double[][] usCol = new double[layers][];
    for (int l = 0; l < layers; l++) {
      uaCol[l] = kfac.factorA(l);
      DenseOps.eigh(uaCol[l], model.layerInputs(l) + 1);
      usCol[l] = kfac.factorS(l);
      DenseOps.eigh(usCol[l], model.layerOutputs(l));
    }
    double[] sum = data.sum(new EkfacSum(rows, theta, uaCol, usCol));
    double[][] d = new double[layers][];
    double[][] ua = new double[layers][];
    double[][] us = new double[layers][];
    int off = 0;
    for (int l = 0; l < layers; l++) {
      int pl = model.layerInputs(l) + 1;
      int ql = model.layerOutputs(l);
      d[l] = new double[pl * ql];
      for (int t = 0; t < d[l].length; t++) d[l][t] = sum[off + t] / w;
      off += pl * ql;
      ua[l] = transpose(uaCol[l], pl);
      us[l] = transpose(usCol[l], ql);
    }
    return new EkfacMetric(model.numParams(), KfacMetric.indexMaps(model), ua, us, d);
  }

  /**
   * A stored EKFAC metric: per layer {@code ekfac_layer{l}_UA}, {@code _US}, {@code _D} and
   * {@code _index}, layers counted from 0 while {@code _UA} exists.
   *
   * @throws io.pullback.PullbackException (data) for missing or mis-shaped files
   */
  static EkfacMetric read(StoredArrays files, int n) {
    List<double[]> uas = new ArrayList<>();
    List<double[]> uss = new ArrayList<>();
    List<double[]> ds = new ArrayList<>();
    List<int[]> maps = new ArrayList<>();
    for (int l = 0; files.has("ekfac_layer" + l + "_UA"); l++) {
      String name = "ekfac_layer" + l;
      NpyArray a = files.square(name + "_UA");
      NpyArray s = files.square(name + "_US");
      int pl = (int) a.shape()[0];
      int ql = (int) s.shape()[0];
      double[] dl = files.matrix(name + "_D", ql, pl);
      for (int t = 0; t < dl.length; t++) {
        if (!(dl[t] >= 0) || Double.isInfinite(dl[t])) {
          throw io.pullback.PullbackException.data(files.location(name + "_D") + ": entry " + t + " is " + dl[t]
              + "; corrected eigenvalues are finite and >= 0");
        }
      }
      uas.add(a.data());
      uss.add(s.data());
      ds.add(dl);
      maps.add(KfacMetric.readIndex(files, name + "_index", ql, pl, n));
    }
    return new EkfacMetric(n, maps.toArray(int[][]::new), uas.toArray(double[][]::new), uss.toArray(double[][]::new),
        ds.toArray(double[][]::new));
  }

  private static double[] transpose(double[] m, int size) {
    double[] t = new double[size * size];
    for (int i = 0; i < size; i++) for (int j = 0; j < size; j++) t[i * size + j] = m[j * size + i];
    return t;
  }

  @Override public RepresentationKind kind() { return RepresentationKind.EKFAC; }
  @Override public boolean exact() { return false; }
  @Override public int n() { return n; }

  /** Row-major {@code C (m×k') = op(A)·op(B)} with {@code k} the inner size (lda, ldb: row lengths). */
  private static double[] gemm(String ta, String tb, int m, int cols, int k, double[] a, int lda, double[] b, int ldb) {
    double[] c = new double[m * cols];
    Blas.get().dgemm(tb, ta, cols, m, k, 1.0, b, ldb, a, lda, 0.0, c, cols);
    return c;
  }

  /** {@code U_S (f(D) ∘ (U_Sᵀ V U_A)) U_Aᵀ} for layer l, with f(D) = D (products) or 1/(D + λ) (solves). */
  private double[] layerApply(double[] v, int l, double lambda, boolean inverse) {
    int pl = p[l];
    int ql = q[l];
    double[] m = new double[ql * pl];
    for (int t = 0; t < m.length; t++) m[t] = v[index[l][t]];
    double[] x = gemm("T", "N", ql, pl, ql, us[l], ql, gemm("N", "N", ql, pl, pl, m, pl, ua[l], pl), pl);
    for (int t = 0; t < x.length; t++) {
      if (!inverse) {
        x[t] *= d[l][t];
      } else {
        double s = d[l][t] + lambda;
        if (!(s > 0)) {
          throw new IllegalArgumentException("ekfac layer " + l + ": corrected eigenvalue " + d[l][t] + " plus damping " + lambda
              + " is not positive; use a damping > 0");
        }
        x[t] /= s;
      }
    }
    return gemm("N", "N", ql, pl, ql, us[l], ql, gemm("N", "T", ql, pl, pl, x, pl, ua[l], pl), pl);
  }

  private double[] apply(double[] v, double lambda, boolean inverse) {
    Checks.length(v, n);
    double[] y = new double[n];
    for (int l = 0; l < ua.length; l++) {
      double[] part = layerApply(v, l, lambda, inverse);
      for (int t = 0; t < part.length; t++) y[index[l][t]] = part[t];
    }
    return y;
  }

  @Override
  public double[] multiply(double[] v) {
    return apply(v, 0, false);
  }

  @Override
  public double[] solve(double[] v, double lambda) {
    Checks.lambda(lambda);
    return apply(v, lambda, true);
  }

  @Override
  public double trace() {
    double t = 0;
    for (double[] dl : d) for (double x : dl) t += x;
    return t;
  }

  @Override
  public double[] diagonal() {
    double[] diag = new double[n];
    for (int l = 0; l < ua.length; l++) {
      double[] us2 = squares(us[l]);
      double[] ua2 = squares(ua[l]);
      double[] part = gemm("N", "T", q[l], p[l], p[l], gemm("N", "N", q[l], p[l], q[l], us2, q[l], d[l], p[l]), p[l], ua2, p[l]);
      for (int t = 0; t < part.length; t++) diag[index[l][t]] = part[t];
    }
    return diag;
  }

  private static double[] squares(double[] m) {
    double[] s = new double[m.length];
    for (int t = 0; t < m.length; t++) s[t] = m[t] * m[t];
    return s;
  }

  @Override
  public double frobeniusNorm() {
    double s = 0;
    for (double[] dl : d) for (double x : dl) s += x * x;
    return Math.sqrt(s);
  }

  /** Column by column: the layer product of every unit vector of the layer ({@code (qp)²(p + q)·4} flops per layer). */
  @Override
  public double[] toDense() {
    MetricRepresentation.requireDenseFits(kind(), n);
    double[] g = new double[n * n];
    double[] e = new double[n];
    for (int l = 0; l < ua.length; l++) {
      for (int c = 0; c < index[l].length; c++) {
        int col = index[l][c];
        e[col] = 1.0;
        double[] part = layerApply(e, l, 0, false);
        e[col] = 0.0;
        for (int t = 0; t < part.length; t++) g[index[l][t] * n + col] = part[t];
      }
    }
    return g;
  }

  @Override
  public Map<String, NpyArray> exports() {
    Map<String, NpyArray> out = new LinkedHashMap<>();
    for (int l = 0; l < ua.length; l++) {
      out.put("ekfac_layer" + l + "_UA", new NpyArray(ua[l], new long[] {p[l], p[l]}));
      out.put("ekfac_layer" + l + "_US", new NpyArray(us[l], new long[] {q[l], q[l]}));
      out.put("ekfac_layer" + l + "_D", new NpyArray(d[l], new long[] {q[l], p[l]}));
      double[] stored = new double[index[l].length];
      for (int t = 0; t < stored.length; t++) stored[t] = index[l][t];
      out.put("ekfac_layer" + l + "_index", new NpyArray(stored, new long[] {q[l], p[l]}));
    }
    return out;
  }

  @Override
  public Map<String, Object> details() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("layers", ua.length);
    m.put("build_passes", 2);
    return m;
  }
}
