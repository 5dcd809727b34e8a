package io.pullback.metric;

import io.pullback.data.ExampleBlock;
import io.pullback.linalg.Blas;
import io.pullback.model.LayeredModel;

/**
 * {@code R_blockᵀ (R_block V)} for s vectors at once on a {@link LayeredModel}, from the per-layer
 * structure of the factor rows: row {@code (b, i)} restricted to layer l is
 * {@code δ_l[(b,i), o] · ã_l[b, j]} ({@code ã = [a_l; 1]}, the δ's the back-propagated
 * coefficient rows of {@link LayeredModel#layerStatistics}). So, per layer,
 * <pre>
 *   Y_t   = Ã_l V_{t,l}ᵀ                   (B × q, one dgemm over all t: B × p × s·q)
 *   (R V)[(b,i), t] += Σ_o δ[(b,i), o] · Y_t[b, o]
 *   E_t[b, o] = Σ_i δ[(b,i), o] · (R V)[(b,i), t]
 *   (Rᵀ R V)_{t,l} = E_tᵀ Ã_l                (one dgemm over all t: B × p × s·q)
 * </pre>
 * with {@code p = in_l + 1}, {@code q = out_l}. Cost per block: one forward pass and the
 * back-propagation of {@code B·r} cotangents ({@code 2·B·P·(1 + r)} flops for an MLP, P ≈ N),
 * then {@code 4·B·N·s + 4·B·r·s·Σ q_l} flops; memory {@code O(B·(r·Σ q + Σ p) + s·(B + P)·max q)}
 * doubles. Cheaper than forward/reverse mode ({@code 8·B·N·s}) when {@code r ≤ 2s}.
 *
 * <p>Not thread-safe; buffers grow to the largest block and are reused.
 */
final class LayeredGramProducts {
  private final FactorRows rows;
  private final LayeredModel model;
  private final int[][] index;
  private final LayerStatistics stats;
  private double[] packed = new double[0];
  private double[] y = new double[0];
  private double[] rv = new double[0];
  private double[] grad = new double[0];

  LayeredGramProducts(FactorRows rows) {
    this.rows = rows;
    this.stats = new LayerStatistics(rows, "the layered block product");
    this.model = stats.model();
    int layers = model.layers();
    this.index = new int[layers][];
    for (int l = 0; l < layers; l++) {
      int p = model.layerInputs(l) + 1;
      int q = model.layerOutputs(l);
      index[l] = new int[q * p];
      for (int o = 0; o < q; o++) {
        for (int i = 0; i < p; i++) index[l][o * p + i] = model.paramIndex(l, o, i);
      }
    }
  }

  /** {@code acc[t·N + j] += (R_blockᵀ R_block v_t)_j} for t &lt; s ({@code v[t·N + j]}). */
  void add(double[] theta, ExampleBlock block, double[] v, int s, double[] acc) {
    int b = block.rows();
    int r = rows.rowsPerExample();
    stats.compute(theta, block);
    int br = b * r;
    if (rv.length < br * s) rv = new double[br * s];
    java.util.Arrays.fill(rv, 0, br * s, 0.0);
    for (int l = 0; l < index.length; l++) project(l, b, r, v, s);
    for (int l = 0; l < index.length; l++) pullBack(l, b, r, s, acc);
  }

  /** {@code rv += δ_l · (Ã_l V_lᵀ)} for every vector. */
  private void project(int l, int b, int r, double[] v, int s) {
    int in = model.layerInputs(l);
    int p = in + 1;
    int q = model.layerOutputs(l);
    int n = model.numParams();
    int sq = s * q;
    if (packed.length < p * sq) packed = new double[p * sq];
    // Column (t, o) of the in × (s·q) matrix: V_t[o, 0..in) (the bias row p−1 is added below).
    for (int t = 0; t < s; t++) {
      for (int o = 0; o < q; o++) {
        int dst = (t * q + o) * in;
        int src = o * p;
        for (int i = 0; i < in; i++) packed[dst + i] = v[t * n + index[l][src + i]];
      }
    }
    if (y.length < b * sq) y = new double[b * sq];
    Blas.get().dgemm("N", "N", b, sq, in, 1.0, stats.inputs()[l], 0, b, packed, 0, in, 0.0, y, 0, b);
    int br = b * r;
    double[] d = stats.deltas()[l];
    for (int t = 0; t < s; t++) {
      for (int o = 0; o < q; o++) {
        double bias = v[t * n + index[l][o * p + in]];
        int yc = (t * q + o) * b;
        int dc = o * br;
        int rc = t * br;
        for (int e = 0; e < b; e++) {
          double ye = y[yc + e] + bias;
          for (int i = 0; i < r; i++) rv[rc + e * r + i] += d[dc + e * r + i] * ye;
        }
      }
    }
  }

  /** {@code acc_t += Rᵀ (R v_t)} on layer l's parameters. */
  private void pullBack(int l, int b, int r, int s, double[] acc) {
    int in = model.layerInputs(l);
    int p = in + 1;
    int q = model.layerOutputs(l);
    int n = model.numParams();
    int sq = s * q;
    int br = b * r;
    double[] d = stats.deltas()[l];
    // E (B × s·q) reuses y: E_t[b, o] = Σ_i δ[(b,i), o] · rv[(b,i), t].
    for (int t = 0; t < s; t++) {
      for (int o = 0; o < q; o++) {
        int yc = (t * q + o) * b;
        int dc = o * br;
        int rc = t * br;
        for (int e = 0; e < b; e++) {
          double sum = 0;
          for (int i = 0; i < r; i++) sum += d[dc + e * r + i] * rv[rc + e * r + i];
          y[yc + e] = sum;
        }
      }
    }
    if (grad.length < in * sq) grad = new double[Math.max(1, in * sq)];
    Blas.get().dgemm("T", "N", in, sq, b, 1.0, stats.inputs()[l], 0, b, y, 0, b, 0.0, grad, 0, in);
    for (int t = 0; t < s; t++) {
      for (int o = 0; o < q; o++) {
        int col = t * q + o;
        int src = col * in;
        int map = o * p;
        int base = t * n;
        for (int i = 0; i < in; i++) acc[base + index[l][map + i]] += grad[src + i];
        double bias = 0;
        for (int e = 0; e < b; e++) bias += y[col * b + e];
        acc[base + index[l][map + in]] += bias;
      }
    }
  }
}
