package io.pullback.model;

import dev.ludovic.netlib.blas.BLAS;
import io.pullback.data.ExampleBlock;
import io.pullback.linalg.Blas;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A fully connected network {@code D → h_1 → … → h_L → K}: hidden layers
 * {@code a_l = σ_l(W_l a_{l−1} + b_l)} with an {@link Activation} σ_l per hidden layer (the same
 * for all, or e.g. {@code sigmoid} with a {@code linear} code layer), a linear output layer
 * {@code f = W_{L+1} a_L + b_{L+1}} ({@code a_0 = x}). The outputs parametrise
 * {@link OutputDistribution#GAUSSIAN} by default (means, σ = 1), or
 * {@link OutputDistribution#CATEGORICAL_SOFTMAX} (K ≥ 2 logits), or
 * {@link OutputDistribution#BERNOULLI_LOGIT} (K ≥ 1 logits of independent Bernoulli outputs,
 * {@code p_k = sigmoid(f_k)}: a binary classifier for K = 1, the autoencoder's pixels for K = D).
 * L = 0 (no hidden layer) is allowed.
 *
 * <p><b>Layout.</b> Layers in order l = 1..L+1, each {@code W_l} row-major ({@code out × in}:
 * {@code θ[off_l + o·in + i]}) followed by {@code b_l} ({@code θ[off_l + out·in + o]}).
 * N = Σ_l (in_l + 1)·out_l.
 *
 * <p><b>Jacobian</b> (batched over the block; no per-example pass): a forward pass with one
 * {@code dgemm} per layer keeps every activation {@code A_l} and derivative {@code σ'(Z_l)} as
 * column-major {@code B × width} matrices; then for each output k a backward pass over the whole
 * block: {@code δ_L = W_{L+1}[k,:] ∘ σ'(Z_L)}, {@code δ_{l−1} = (δ_l W_l) ∘ σ'(Z_{l−1})} (one
 * {@code dgemm} per layer), and {@code ∂f_k/∂W_l[o,i] = δ_l[o]·a_{l−1}[i]},
 * {@code ∂f_k/∂b_l[o] = δ_l[o]} written into rows {@code b·K + k}. The K backward passes keep
 * their δ's interleaved by output, so each Jacobian column is then written contiguously.
 *
 * <p><b>Cost</b> per block of B examples, with {@code P = Σ_l in_l·out_l ≈ N}: forward
 * {@code 2·B·P} flops; Jacobian {@code ≈ 2·B·K·P} flops for the backward passes plus the
 * {@code B·K·N} writes. Work memory per thread: {@code B·(2·Σ widths + 2·max width + K·Σ hidden widths + K·max width)} doubles.
 *
 * <p><b>Initial parameters.</b> Layer by layer in layout order from {@code SplittableRandom(seed)}:
 * {@code W_l[o,i] ~ N(0, 1/in_l)} (fan-in {@code in_l}), {@code b_l = 0}.
 *
 * <p><b>Limits.</b> ReLU is not differentiable at 0; its derivative is taken as 0 there, so
 * finite differences disagree with the Jacobian for examples with a pre-activation within the step
 * of 0.
 */
public final class MlpModel implements LayeredModel {
  private static final long serialVersionUID = 1L;

  /** widths[0] = D, widths[1..L] hidden, widths[L+1] = K. */
  private final int[] widths;
  /** activations[l−1] of hidden layer l = 1..L. */
  private final Activation[] activations;
  private final OutputDistribution distribution;
  /** offW[l] for l = 1..L+1: start of W_l; offB[l] = offW[l] + out·in. */
  private final int[] offW;
  private final int[] offB;
  private final int numParams;
  private final Scratch scratch = new Scratch(12);

  /** A Gaussian-output network. */
  public MlpModel(int inputDim, int[] hidden, int outputs, Activation activation) {
    this(inputDim, hidden, outputs, activation, OutputDistribution.GAUSSIAN);
  }

  /** One activation for every hidden layer. */
  public MlpModel(int inputDim, int[] hidden, int outputs, Activation activation, OutputDistribution distribution) {
    this(inputDim, hidden, outputs, fill(activation, hidden == null ? 0 : hidden.length), distribution);
  }

  /**
   * @param activations one per hidden layer ({@code activations[l−1]} for hidden layer l), same
   *     length as {@code hidden}
   */
  public MlpModel(int inputDim, int[] hidden, int outputs, Activation[] activations, OutputDistribution distribution) {
    ModelChecks.positive("inputDim", inputDim);
    ModelChecks.positive("outputs", outputs);
    int[] h = hidden == null ? new int[0] : hidden;
    if (activations == null || activations.length != h.length || Arrays.asList(activations).contains(null)) {
      throw new IllegalArgumentException("activation must be given for each of the " + h.length
          + " hidden layers; valid: " + ModelChecks.activationNames());
    }
    if (distribution == null) throw new IllegalArgumentException("distribution must be given");
    if (distribution == OutputDistribution.CATEGORICAL_SOFTMAX && outputs < 2) {
      throw new IllegalArgumentException("outputs (K) must be >= 2 for categorical (softmax) outputs, got " + outputs);
    }
    widths = new int[h.length + 2];
    widths[0] = inputDim;
    for (int i = 0; i < h.length; i++) {
      if (h[i] < 1) {
        throw new IllegalArgumentException("hidden width " + (i + 1) + " must be >= 1, got " + h[i]
            + " (hidden = " + Arrays.toString(h) + ")");
      }
      widths[i + 1] = h[i];
    }
    widths[h.length + 1] = outputs;
    this.activations = activations.clone();
    this.distribution = distribution;
    int layers = widths.length - 1;
    offW = new int[layers + 1];
    offB = new int[layers + 1];
    long off = 0;
    for (int l = 1; l <= layers; l++) {
      offW[l] = (int) off;
      off += (long) widths[l] * widths[l - 1];
      offB[l] = (int) off;
      off += widths[l];
      if (off > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("the network has more than 2^31 parameters: " + Arrays.toString(widths));
      }
    }
    numParams = (int) off;
  }

  /** The widths {@code [D, h_1, …, h_L, K]} (a copy). */
  public int[] widths() { return widths.clone(); }
  /** The hidden layers' activations, {@code [σ_1, …, σ_L]} (a copy). */
  public Activation[] activations() { return activations.clone(); }

  private static Activation[] fill(Activation a, int layers) {
    Activation[] all = new Activation[layers];
    Arrays.fill(all, a);
    return all;
  }

  /** "tanh" when every hidden layer has it, else the comma list. */
  private String activationText() {
    if (activations.length == 0) return "no";
    boolean same = Arrays.stream(activations).allMatch(a -> a == activations[0]);
    if (same) return activations[0].toString();
    StringBuilder s = new StringBuilder();
    for (Activation a : activations) s.append(s.length() == 0 ? "" : ",").append(a);
    return s.toString();
  }
  /** Index in θ of {@code W_l[0,0]}, l = 1..L+1. */
  public int weightOffset(int layer) { return offW[layer]; }
  /** Index in θ of {@code b_l[0]}, l = 1..L+1. */
  public int biasOffset(int layer) { return offB[layer]; }

  @Override public String kind() { return "mlp"; }
  @Override public int inputDim() { return widths[0]; }
  @Override public int outputDim() { return widths[widths.length - 1]; }
  @Override public int numParams() { return numParams; }
  @Override public OutputDistribution distribution() { return distribution; }

  @Override
  public String parameterLayout() {
    StringBuilder s = new StringBuilder("mlp (widths ").append(Arrays.toString(widths)).append(", ")
        .append(activationText()).append(" hidden, linear output, ").append(distribution)
        .append("): layers in order, each W_l row-major (out x in) then b_l;");
    for (int l = 1; l < widths.length; l++) {
      s.append(" W").append(l).append(" [").append(offW[l]).append(',').append(offB[l]).append(") ")
          .append(widths[l]).append('x').append(widths[l - 1]).append(", b").append(l).append(" [")
          .append(offB[l]).append(',').append(offB[l] + widths[l]).append(");");
    }
    return s.append(" N = ").append(numParams).toString();
  }

  /** Offsets of A_0..A_L in the activation buffer (B·Σ widths[0..L]). */
  private int actOffset(int l, int rows) {
    int off = 0;
    for (int i = 0; i < l; i++) off += widths[i] * rows;
    return off;
  }

  /**
   * Forward pass over the block. Leaves in scratch: slot 0 = A_0..A_L (column-major B × width each),
   * slot 1 = σ'(Z_1)..σ'(Z_L) (same offsets shifted by A_0), slot 2 = outputs column-major B × K.
   */
  private void forwardPass(double[] theta, ExampleBlock block) {
    int rows = block.rows();
    int layers = widths.length - 1;
    int actTotal = actOffset(layers, rows);
    double[] acts = scratch.get(0, Math.max(1, actTotal));
    double[] derivs = scratch.get(1, Math.max(1, actTotal));
    double[] outZ = scratch.get(2, Math.max(1, rows * outputDim()));
    int d = widths[0];
    double[] x = block.features();
    io.pullback.linalg.Transpose.rowToColumnMajor(x, rows, d, acts, 0, rows, 1);
    if (rows == 0) return;
    BLAS blas = Blas.get();
    for (int l = 1; l <= layers; l++) {
      int in = widths[l - 1];
      int out = widths[l];
      boolean hidden = l < layers;
      double[] target = hidden ? acts : outZ;
      int tOff = hidden ? actOffset(l, rows) : 0;
      blas.dgemm("N", "N", rows, out, in, 1.0, acts, actOffset(l - 1, rows), rows,
          theta, offW[l], in, 0.0, target, tOff, rows);
      for (int o = 0; o < out; o++) {
        double bias = theta[offB[l] + o];
        int col = tOff + o * rows;
        for (int b = 0; b < rows; b++) target[col + b] += bias;
      }
      if (hidden) activations[l - 1].apply(target, tOff, rows * out, derivs, tOff);
    }
  }

  @Override
  public void forward(double[] theta, ExampleBlock block, double[] out) {
    ModelChecks.forward(this, theta, block, out);
    forwardPass(theta, block);
    copyOutputs(block.rows(), out);
  }

  private void copyOutputs(int rows, double[] out) {
    int k = outputDim();
    double[] outZ = scratch.get(2, Math.max(1, rows * k));
    for (int o = 0; o < k; o++) {
      for (int b = 0; b < rows; b++) out[b * k + o] = outZ[o * rows + b];
    }
  }

  @Override
  public void jacobian(double[] theta, ExampleBlock block, double[] out, double[] jac) {
    ModelChecks.jacobian(this, theta, block, out, jac);
    int rows = block.rows();
    int layers = widths.length - 1;
    int kOut = outputDim();
    int bk = rows * kOut;
    forwardPass(theta, block);
    copyOutputs(rows, out);
    if (rows == 0) return;
    double[] acts = scratch.get(0, 1);
    double[] derivs = scratch.get(1, 1);
    int maxWidth = 0;
    for (int l = 1; l < layers; l++) maxWidth = Math.max(maxWidth, widths[l]);
    double[] delta = scratch.get(3, Math.max(1, rows * maxWidth));
    double[] next = scratch.get(4, Math.max(1, rows * maxWidth));
    double[] deltas = scratch.get(5, Math.max(1, deltaOffset(layers, rows)));
    int maxIn = 0;
    for (int l = 1; l < layers; l++) maxIn = Math.max(maxIn, widths[l - 1]);
    double[] expanded = kOut > 1 ? scratch.get(6, Math.max(1, bk * maxIn)) : null;
    BLAS blas = Blas.get();

    // Output-layer columns: only row b·K + k of column (k, i) is non-zero, so clear them first.
    Arrays.fill(jac, offW[layers] * bk, numParams * bk, 0.0);
    int inL = widths[layers - 1];
    int aL = actOffset(layers - 1, rows);
    for (int k = 0; k < kOut; k++) {
      for (int i = 0; i < inL; i++) {
        int col = (offW[layers] + k * inL + i) * bk + k;
        int src = aL + i * rows;
        for (int b = 0; b < rows; b++) jac[col + b * kOut] = acts[src + b];
      }
      int biasCol = (offB[layers] + k) * bk + k;
      for (int b = 0; b < rows; b++) jac[biasCol + b * kOut] = 1.0;
      if (layers == 1) continue;

      // δ_L = W_{L+1}[k,:] ∘ σ'(Z_L), column-major B × h_L.
      for (int i = 0; i < inL; i++) {
        double w = theta[offW[layers] + k * inL + i];
        int src = aL + i * rows;
        int dst = i * rows;
        for (int b = 0; b < rows; b++) delta[dst + b] = w * derivs[src + b];
      }
      for (int l = layers - 1; l >= 1; l--) {
        int in = widths[l - 1];
        int outW = widths[l];
        // Keep δ_l for output k interleaved as [o][b][k], so the Jacobian columns are written
        // contiguously once all K backward passes are done (stride-K writes cost ~3× more).
        int base = deltaOffset(l, rows);
        for (int o = 0; o < outW; o++) {
          int dcol = o * rows;
          int dst = base + o * bk + k;
          for (int b = 0; b < rows; b++) deltas[dst + b * kOut] = delta[dcol + b];
        }
        if (l > 1) {
          int aPrev = actOffset(l - 1, rows);
          // δ_{l−1} = (δ_l W_l) ∘ σ'(Z_{l−1}): (B × out)·(out × in).
          blas.dgemm("N", "T", rows, in, outW, 1.0, delta, 0, rows, theta, offW[l], in, 0.0, next, 0, rows);
          for (int t = 0; t < rows * in; t++) next[t] *= derivs[aPrev + t];
          double[] swap = delta;
          delta = next;
          next = swap;
        }
      }
    }
    if (layers == 1) return;
    // Hidden-layer columns: ∂f_k(x_b)/∂W_l[o,i] = δ_l^k[o,b]·a_{l−1}[i,b], ∂f_k/∂b_l[o] = δ_l^k[o,b].
    for (int l = 1; l < layers; l++) {
      int in = widths[l - 1];
      int outW = widths[l];
      int aPrev = actOffset(l - 1, rows);
      int base = deltaOffset(l, rows);
      // a_{l−1} repeated K times per example ([i][b][k]), so the write below is one
      // contiguous, vectorisable product per column. With K = 1 the activations are used as is.
      double[] aRep = acts;
      int aOff = aPrev;
      if (kOut > 1) {
        aRep = expanded;
        aOff = 0;
        for (int t = 0; t < rows * in; t++) {
          double a = acts[aPrev + t];
          int d = t * kOut;
          for (int kk = 0; kk < kOut; kk++) expanded[d + kk] = a;
        }
      }
      for (int o = 0; o < outW; o++) {
        int dsrc = base + o * bk;
        for (int i = 0; i < in; i++) {
          int col = (offW[l] + o * in + i) * bk;
          int src = aOff + i * bk;
          for (int t = 0; t < bk; t++) jac[col + t] = deltas[dsrc + t] * aRep[src + t];
        }
        System.arraycopy(deltas, dsrc, jac, (offB[l] + o) * bk, bk);
      }
    }
  }

  /**
   * Forward-mode product {@code J·v} for the block, never forming J: with the tangents
   * {@code Ż_l = Ȧ_{l−1} W_lᵀ + A_{l−1} V_lᵀ + v_{b,l}} and {@code Ȧ_l = σ'(Z_l) ∘ Ż_l}
   * ({@code Ȧ_0 = 0}), {@code jv = Ż_{L+1}}. Cost: two {@code dgemm} per layer, {@code ≈ 4·B·P}
   * flops plus the forward pass; memory {@code O(B·max width)} beyond the forward pass.
   */
  @Override
  public void jvp(double[] theta, ExampleBlock block, double[] v, double[] outputs, double[] jv) {
    ModelChecks.forward(this, theta, block, outputs);
    if (v.length != numParams) {
      throw new IllegalArgumentException("v has " + v.length + " values, the model has N = " + numParams);
    }
    int rows = block.rows();
    int layers = widths.length - 1;
    int kOut = outputDim();
    forwardPass(theta, block);
    copyOutputs(rows, outputs);
    if (rows == 0) return;
    double[] acts = scratch.get(0, 1);
    double[] derivs = scratch.get(1, 1);
    int maxWidth = 0;
    for (int l = 1; l <= layers; l++) maxWidth = Math.max(maxWidth, widths[l]);
    double[] tangent = scratch.get(7, rows * maxWidth);
    double[] next = scratch.get(8, rows * maxWidth);
    BLAS blas = Blas.get();
    for (int l = 1; l <= layers; l++) {
      int in = widths[l - 1];
      int out = widths[l];
      // Ż_l = A_{l−1} V_lᵀ (+ Ȧ_{l−1} W_lᵀ for l > 1) + v_b
      blas.dgemm("N", "N", rows, out, in, 1.0, acts, actOffset(l - 1, rows), rows,
          v, offW[l], in, 0.0, next, 0, rows);
      if (l > 1) {
        blas.dgemm("N", "N", rows, out, in, 1.0, tangent, 0, rows, theta, offW[l], in, 1.0, next, 0, rows);
      }
      for (int o = 0; o < out; o++) {
        double vb = v[offB[l] + o];
        int col = o * rows;
        for (int b = 0; b < rows; b++) next[col + b] += vb;
      }
      if (l < layers) {
        int dOff = actOffset(l, rows);
        for (int t = 0; t < rows * out; t++) next[t] *= derivs[dOff + t];
      }
      double[] swap = tangent;
      tangent = next;
      next = swap;
    }
    for (int o = 0; o < kOut; o++) {
      for (int b = 0; b < rows; b++) jv[b * kOut + o] = tangent[o * rows + b];
    }
  }

  /**
   * Reverse-mode product {@code grad += Jᵀ·u} for the block (back-propagation), never forming J:
   * {@code Δ_{L+1} = U}, {@code ∂W_l += Δ_lᵀ A_{l−1}}, {@code ∂b_l += Σ_b Δ_l},
   * {@code Δ_{l−1} = (Δ_l W_l) ∘ σ'(Z_{l−1})}. Cost: two {@code dgemm} per layer, {@code ≈ 4·B·P}
   * flops plus the forward pass.
   */
  @Override
  public void vjp(double[] theta, ExampleBlock block, double[] u, double[] grad) {
    ModelChecks.inputs(this, theta, block);
    if (grad.length != numParams) {
      throw new IllegalArgumentException("grad has " + grad.length + " values, the model has N = " + numParams);
    }
    int rows = block.rows();
    int layers = widths.length - 1;
    int kOut = outputDim();
    if (rows == 0) return;
    if (u.length < rows * kOut) {
      throw new IllegalArgumentException("u has " + u.length + " values, needs B*K = " + rows * kOut);
    }
    forwardPass(theta, block);
    double[] acts = scratch.get(0, 1);
    double[] derivs = scratch.get(1, 1);
    int maxWidth = 0;
    for (int l = 1; l <= layers; l++) maxWidth = Math.max(maxWidth, widths[l]);
    double[] delta = scratch.get(7, rows * maxWidth);
    double[] next = scratch.get(8, rows * maxWidth);
    for (int o = 0; o < kOut; o++) {
      for (int b = 0; b < rows; b++) delta[o * rows + b] = u[b * kOut + o];
    }
    BLAS blas = Blas.get();
    for (int l = layers; l >= 1; l--) {
      int in = widths[l - 1];
      int out = widths[l];
      int aPrev = actOffset(l - 1, rows);
      // ∂W_l (row-major out × in = column-major in × out) += A_{l−1}ᵀ Δ_l
      blas.dgemm("T", "N", in, out, rows, 1.0, acts, aPrev, rows, delta, 0, rows, 1.0, grad, offW[l], in);
      for (int o = 0; o < out; o++) {
        double s = 0;
        int col = o * rows;
        for (int b = 0; b < rows; b++) s += delta[col + b];
        grad[offB[l] + o] += s;
      }
      if (l > 1) {
        blas.dgemm("N", "T", rows, in, out, 1.0, delta, 0, rows, theta, offW[l], in, 0.0, next, 0, rows);
        for (int t = 0; t < rows * in; t++) next[t] *= derivs[aPrev + t];
        double[] swap = delta;
        delta = next;
        next = swap;
      }
    }
  }

  /**
   * One forward pass, then forward mode for all s tangents at once and reverse mode for all s
   * cotangents at once (never forming J): the tangents of the s vectors are stacked as
   * {@code (s·B) × width} (row {@code t·B + b}), so each layer's propagation through {@code W_l} is
   * one {@code dgemm} over {@code s·B} rows, and each vector's parameter part ({@code A_{l−1} V_lᵀ},
   * {@code Δ_lᵀ A_{l−1}}) one {@code dgemm} of B rows. Cost: {@code 2·B·P} (forward) +
   * {@code 4·B·P·s} (tangents) + {@code 4·B·P·s} (cotangents) flops; memory
   * {@code 2·s·B·max width + 2·s·B·K} doubles beyond the forward pass.
   */
  @Override
  public void jvpVjp(double[] theta, ExampleBlock block, double[] v, int s, CotangentMap map, double[] acc) {
    ModelChecks.inputs(this, theta, block);
    ModelChecks.products(this, v, s, acc);
    int rows = block.rows();
    if (rows == 0 || s == 0) return;
    int kOut = outputDim();
    int bk = rows * kOut;
    int sb = Math.multiplyExact(s, rows);
    forwardPass(theta, block);
    double[] outputs = scratch.get(9, bk);
    copyOutputs(rows, outputs);
    int maxWidth = 0;
    for (int l = 1; l < widths.length; l++) maxWidth = Math.max(maxWidth, widths[l]);
    double[] one = scratch.get(7, Math.multiplyExact(sb, maxWidth));
    double[] two = scratch.get(8, sb * maxWidth);
    double[] top = stackedTangents(theta, rows, v, s, one, two);
    double[] jv = scratch.get(10, Math.multiplyExact(s, bk));
    double[] u = scratch.get(11, s * bk);
    for (int t = 0; t < s; t++) {
      for (int b = 0; b < rows; b++) {
        for (int k = 0; k < kOut; k++) jv[t * bk + b * kOut + k] = top[k * sb + t * rows + b];
      }
    }
    map.apply(outputs, jv, s, u);
    for (int t = 0; t < s; t++) {
      for (int b = 0; b < rows; b++) {
        for (int k = 0; k < kOut; k++) top[k * sb + t * rows + b] = u[t * bk + b * kOut + k];
      }
    }
    stackedCotangents(theta, rows, s, top, top == one ? two : one, acc);
  }

  /** {@code Ż_{L+1}} of the s tangents, stacked {@code (s·B) × K}; returns whichever buffer holds it. */
  private double[] stackedTangents(double[] theta, int rows, double[] v, int s, double[] tangent, double[] next) {
    double[] acts = scratch.get(0, 1);
    double[] derivs = scratch.get(1, 1);
    int layers = widths.length - 1;
    int sb = s * rows;
    BLAS blas = Blas.get();
    for (int l = 1; l <= layers; l++) {
      int in = widths[l - 1];
      int out = widths[l];
      for (int t = 0; t < s; t++) {
        blas.dgemm("N", "N", rows, out, in, 1.0, acts, actOffset(l - 1, rows), rows,
            v, t * numParams + offW[l], in, 0.0, next, t * rows, sb);
      }
      if (l > 1) blas.dgemm("N", "N", sb, out, in, 1.0, tangent, 0, sb, theta, offW[l], in, 1.0, next, 0, sb);
      for (int o = 0; o < out; o++) {
        for (int t = 0; t < s; t++) {
          double vb = v[t * numParams + offB[l] + o];
          int col = o * sb + t * rows;
          for (int b = 0; b < rows; b++) next[col + b] += vb;
        }
      }
      if (l < layers) scaleByDerivatives(next, derivs, actOffset(l, rows), rows, s, out);
      double[] swap = tangent;
      tangent = next;
      next = swap;
    }
    return tangent;
  }

  /** Back-propagates s stacked cotangents {@code (s·B) × K} (in {@code delta}), adding vector t's gradient at {@code acc[t·N]}. */
  private void stackedCotangents(double[] theta, int rows, int s, double[] delta, double[] next, double[] acc) {
    double[] acts = scratch.get(0, 1);
    double[] derivs = scratch.get(1, 1);
    int sb = s * rows;
    BLAS blas = Blas.get();
    for (int l = widths.length - 1; l >= 1; l--) {
      int in = widths[l - 1];
      int out = widths[l];
      int aPrev = actOffset(l - 1, rows);
      for (int t = 0; t < s; t++) {
        int base = t * numParams;
        blas.dgemm("T", "N", in, out, rows, 1.0, acts, aPrev, rows, delta, t * rows, sb, 1.0, acc, base + offW[l], in);
        for (int o = 0; o < out; o++) {
          double sum = 0;
          int col = o * sb + t * rows;
          for (int b = 0; b < rows; b++) sum += delta[col + b];
          acc[base + offB[l] + o] += sum;
        }
      }
      if (l > 1) {
        blas.dgemm("N", "T", sb, in, out, 1.0, delta, 0, sb, theta, offW[l], in, 0.0, next, 0, sb);
        scaleByDerivatives(next, derivs, aPrev, rows, s, in);
        double[] swap = delta;
        delta = next;
        next = swap;
      }
    }
  }

  /** {@code m[c·s·B + t·B + b] *= derivs[off + c·B + b]}: each of the s stacked copies times σ'(Z). */
  private static void scaleByDerivatives(double[] m, double[] derivs, int off, int rows, int s, int cols) {
    int sb = s * rows;
    for (int c = 0; c < cols; c++) {
      for (int t = 0; t < s; t++) {
        int dst = c * sb + t * rows;
        int src = off + c * rows;
        for (int b = 0; b < rows; b++) m[dst + b] *= derivs[src + b];
      }
    }
  }

  @Override public int layers() { return widths.length - 1; }
  @Override public int layerInputs(int layer) { return widths[layer]; }
  @Override public int layerOutputs(int layer) { return widths[layer + 1]; }
  @Override public int layerStart(int layer) { return offW[layer + 1]; }

  @Override
  public int paramIndex(int layer, int o, int i) {
    int in = widths[layer];
    return i == in ? offB[layer + 1] + o : offW[layer + 1] + o * in + i;
  }

  /**
   * One forward pass, then back-propagation of all {@code B·r} cotangents at once (one {@code dgemm}
   * per layer over {@code B·r} rows); see {@link LayeredModel#layerStatistics}.
   */
  @Override
  public void layerStatistics(double[] theta, ExampleBlock block, double[] cot, int r, double[][] inputs, double[][] deltas) {
    ModelChecks.inputs(this, theta, block);
    forwardPass(theta, block);
    statisticsAfterForward(theta, block, cot, r, inputs, deltas);
  }

  /** One forward pass: the cotangents are computed from its outputs, then back-propagated. */
  @Override
  public void layerStatistics(double[] theta, ExampleBlock block, CotangentsOf cot, int r, double[][] inputs, double[][] deltas) {
    ModelChecks.inputs(this, theta, block);
    forwardPass(theta, block);
    double[] outputs = scratch.get(9, Math.max(1, block.rows() * outputDim()));
    copyOutputs(block.rows(), outputs);
    statisticsAfterForward(theta, block, cot.apply(outputs), r, inputs, deltas);
  }

  private void statisticsAfterForward(double[] theta, ExampleBlock block, double[] cot, int r, double[][] inputs, double[][] deltas) {
    int rows = block.rows();
    int layers = widths.length - 1;
    int k = outputDim();
    int br = rows * r;
    double[] acts = scratch.get(0, 1);
    double[] derivs = scratch.get(1, 1);
    for (int l = 0; l < layers; l++) {
      int in = widths[l];
      int out = widths[l + 1];
      if (inputs[l] == null || inputs[l].length < rows * in) inputs[l] = new double[Math.max(1, rows * in)];
      if (deltas[l] == null || deltas[l].length < br * out) deltas[l] = new double[Math.max(1, br * out)];
      if (rows > 0) System.arraycopy(acts, actOffset(l, rows), inputs[l], 0, rows * in);
    }
    if (rows == 0) return;
    double[] top = deltas[layers - 1];
    for (int t = 0; t < br; t++) {
      for (int o = 0; o < k; o++) top[o * br + t] = cot[t * k + o];
    }
    BLAS blas = Blas.get();
    for (int l = layers - 1; l >= 1; l--) {
      int in = widths[l];
      int out = widths[l + 1];
      double[] below = deltas[l - 1];
      // Δ_{l−1} = (Δ_l W_l) ∘ σ'(z_{l−1}) row by row (row (b,i) uses example b's derivative).
      blas.dgemm("N", "T", br, in, out, 1.0, deltas[l], 0, br, theta, offW[l + 1], in, 0.0, below, 0, br);
      int dOff = actOffset(l, rows);
      for (int j = 0; j < in; j++) {
        int col = j * br;
        int dcol = dOff + j * rows;
        for (int t = 0; t < br; t++) below[col + t] *= derivs[dcol + t / r];
      }
    }
  }

  /** Offset of hidden layer l's interleaved δ ([o][b][k], B·K·h_l values) in the δ buffer. */
  private int deltaOffset(int l, int rows) {
    int off = 0;
    for (int i = 1; i < l; i++) off += widths[i] * rows * outputDim();
    return off;
  }

  /** Layer by layer: {@code W_l[o,i] ~ N(0, 1/in_l)} in layout order from {@code new SplittableRandom(seed)}, {@code b_l = 0}. */
  @Override
  public double[] initialParams(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] theta = new double[numParams];
    for (int l = 1; l < widths.length; l++) {
      double sd = 1.0 / Math.sqrt(widths[l - 1]);
      for (int p = offW[l]; p < offB[l]; p++) theta[p] = sd * rng.nextGaussian();
    }
    return theta;
  }

  @Override
  public String toString() {
    return "MlpModel[" + Arrays.toString(widths) + ", " + activationText() + ", " + distribution + "]";
  }
}
