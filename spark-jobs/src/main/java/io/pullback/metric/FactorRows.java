package io.pullback.metric;

import io.pullback.data.CounterRandom;
import io.pullback.data.ExampleBlock;
import io.pullback.model.LayeredModel;
import io.pullback.model.Model;
import io.pullback.model.OutputDistribution;
import java.io.Serializable;

/**
 * The factor rows {@code R(x)} of a metric kind for a model (DESIGN.md section 1), so that the
 * metric is {@code G = Σ_x w_x R(x)ᵀR(x) / Σ_x w_x}.
 *
 * <p>For each example, with Jacobian rows {@code J_k = ∂f_k/∂θ}, probabilities p (softmax or
 * sigmoid of the outputs) and label y, the rows are:
 * <table>
 *   <caption>factor rows per kind and distribution</caption>
 *   <tr><th>kind</th><th>r</th><th>Bernoulli (logits z_k)</th><th>categorical (softmax)</th><th>Gaussian (σ = 1)</th></tr>
 *   <tr><td>function</td><td>K</td><td>J_k</td><td>J_k</td><td>J_k</td></tr>
 *   <tr><td>fisher</td><td>K</td><td>√(p_k(1−p_k))·J_k</td><td>√p_k·(J_k − Σ_j p_j J_j)</td><td>J_k</td></tr>
 *   <tr><td>empirical-fisher</td><td>1</td><td>Σ_k (y_k − p_k)·J_k</td><td>J_y − Σ_j p_j J_j</td><td>Σ_k (y_k − f_k) J_k</td></tr>
 *   <tr><td>mc-fisher</td><td>S</td><td>Σ_k (ŷ_{s,k} − p_k)·J_k/√S</td><td>(J_{ŷ_s} − Σ_j p_j J_j)/√S</td><td>Σ_k ε_{s,k} J_k/√S</td></tr>
 * </table>
 * Every row of example b is multiplied by {@code √w_b}. All rows are gradients of
 * {@code log p(·|x)} up to sign, so {@code E_ŷ[mc-fisher] = fisher}.
 *
 * <p><b>Randomness</b> ({@code mc-fisher}) is a pure function of {@code (seed, i, s)} with
 * {@code i = block.firstIndex() + b} the global example index: Bernoulli and categorical draw
 * {@code ŷ_s} by inverting the CDF at {@code u = }{@link CounterRandom#uniform}{@code (seed, i, s, 0)}
 * (Bernoulli: {@code ŷ_{s,k} = 1} iff {@code u_k < p_k}, {@code u_k = uniform(seed, i, s, k)}; categorical: the first class whose cumulative probability exceeds
 * u); Gaussian draws {@code ε_{s,k} = }{@link CounterRandom#normal}{@code (seed, i, s, k)}. The
 * rows therefore do not depend on partitioning or block size.
 *
 * <p><b>Layout.</b> {@link #compute} writes column-major {@code (B·r) × N}: example b's row i is
 * row {@code b·r + i}, {@code factors[j·(B·r) + b·r + i]}; this is what
 * {@link GramAccumulator#add} consumes.
 *
 * <p><b>Cost</b> per block of B examples: the model's Jacobian (see its Javadoc), then
 * {@code O(B·r·K·N)} to combine Jacobian rows (every kind is {@code R_b = C_b J_b} with a small
 * {@code r × K} coefficient matrix {@code C_b}); for {@code function} and Gaussian/Bernoulli
 * {@code fisher} the Jacobian is written straight into the factor buffer and only scaled
 * ({@code O(B·K·N)}). This is small next to the Gram update ({@code B·r·N²}). Memory: a
 * {@link Workspace} of {@code B·K·(N + 1) + B·r·K} doubles, reused across blocks.
 *
 * <p><b>Limits.</b> {@code B·K·N} and {@code B·r·N} must fit in a Java array (choose B).
 * Weights must be finite and ≥ 0; empirical-fisher labels must be valid for the distribution
 * ({@link OutputDistribution#checkLabel}).
 */
public final class FactorRows implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Model model;
  private final MetricKind kind;
  private final int samples;
  private final long seed;
  private final int rows;

  /**
   * @param samples S, the number of samples per example for {@code mc-fisher} (≥ 1); ignored otherwise
   * @param seed the {@code mc-fisher} seed; ignored otherwise
   */
  public FactorRows(Model model, MetricKind kind, int samples, long seed) {
    if (model == null) throw new IllegalArgumentException("model must be given");
    if (kind == null) throw new IllegalArgumentException("metric kind must be given; valid: function, fisher, empirical-fisher, mc-fisher");
    if (kind == MetricKind.MC_FISHER && samples < 1) {
      throw new IllegalArgumentException("samples must be >= 1 for mc-fisher, got " + samples);
    }
    this.model = model;
    this.kind = kind;
    this.samples = samples;
    this.seed = seed;
    switch (kind) {
      case FUNCTION:
      case FISHER:
        rows = model.outputDim();
        break;
      case EMPIRICAL_FISHER:
        rows = 1;
        break;
      case MC_FISHER:
        rows = samples;
        break;
      default:
        throw new AssertionError(kind);
    }
  }

  public Model model() { return model; }
  public MetricKind kind() { return kind; }
  /** S for {@code mc-fisher}. */
  public int samples() { return samples; }
  /** The {@code mc-fisher} seed. */
  public long seed() { return seed; }

  /** r, the number of factor rows per example: K (function, fisher), 1 (empirical-fisher), S (mc-fisher). */
  public int rowsPerExample() { return rows; }

  /** A workspace for blocks of up to {@code maxRows} examples (it grows if a larger block comes). */
  public Workspace newWorkspace(int maxRows) {
    return new Workspace(maxRows);
  }

  /** Reusable buffers for {@link #compute}: outputs, Jacobian and per-example coefficients. Not thread-safe. */
  public final class Workspace {
    private double[] outputs = new double[0];
    private double[] jac = new double[0];
    private double[] coef = new double[0];
    private final double[] probs = new double[model.outputDim()];
    private LayeredGramProducts layered;

    private Workspace(int maxRows) {
      ensure(Math.max(0, maxRows));
    }

    private void ensure(int b) {
      int k = model.outputDim();
      long nOut = (long) b * k;
      long nJac = nOut * model.numParams();
      long nCoef = (long) b * rows * k;
      if (nJac > Integer.MAX_VALUE - 8 || nCoef > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("a block of " + b + " examples needs B*K*N = " + nJac
            + " Jacobian values; use smaller blocks");
      }
      if (outputs.length < nOut) outputs = new double[(int) nOut];
      // The direct kinds write the Jacobian straight into the factor rows: no B·K·N buffer of their own.
      if (!isDirect() && jac.length < nJac) jac = new double[(int) nJac];
      if (coef.length < nCoef) coef = new double[(int) nCoef];
    }

    /** Buffers for {@link #addGramProducts} by {@link Model#jvpVjp}: no Jacobian, only the coefficients. */
    private void ensureProducts(int b) {
      int nCoef = Math.multiplyExact(Math.multiplyExact(b, model.outputDim()), rows);
      if (coef.length < nCoef) coef = new double[nCoef];
    }
  }

  /**
   * Writes the factor rows of a block, each example's rows scaled by {@code √w_b}.
   *
   * @param theta parameters (not modified)
   * @param block examples (not modified)
   * @param ws work buffers from {@link #newWorkspace} (null: allocate for this call)
   * @param factors (modified) length at least {@code B·r·N}; column-major {@code (B·r) × N}
   * @throws IllegalArgumentException for a negative or non-finite weight, an invalid label
   *     (empirical-fisher), or a too-small factor buffer; messages give the global example index
   */
  public void compute(double[] theta, ExampleBlock block, Workspace ws, double[] factors) {
    int b = block.rows();
    int n = model.numParams();
    int k = model.outputDim();
    checkFactorLength(b, n, factors);
    checkWeights(block);
    if (kind == MetricKind.EMPIRICAL_FISHER) checkLabels(block);
    if (ws == null) ws = new Workspace(b);
    ws.ensure(b);
    double[] out = ws.outputs;

    if (isDirect()) {
      // r = K and row b·K + k of R is row b·K + k of J: write J in place, then scale rows.
      model.jacobian(theta, block, out, factors);
      int bk = b * k;
      double[] scale = ws.coef; // length >= B·K here (r = K)
      if (directRowScales(block, out, scale)) return; // unit scales: the Jacobian as is
      for (int j = 0; j < n; j++) {
        int col = j * bk;
        for (int t = 0; t < bk; t++) factors[col + t] *= scale[t];
      }
      return;
    }

    double[] jac = ws.jac;
    double[] coef = ws.coef;
    model.jacobian(theta, block, out, jac);
    fillCoefficients(block, out, coef, ws.probs);
    combine(jac, coef, b, k, n, factors);
  }

  /**
   * True when {@link #computeRowMajor} is the cheaper layout: the rows are the model's Jacobian rows
   * scaled ({@code function}, Gaussian/Bernoulli {@code fisher}) and the model writes its Jacobian
   * row-major directly ({@link Model#hasRowMajorJacobian}), so the Gram kernel skips a transposition.
   */
  public boolean prefersRowMajor() {
    return isDirect() && model.hasRowMajorJacobian();
  }

  /**
   * As {@link #compute}, but writes the factor rows row-major {@code (B·r) × N}:
   * {@code factors[(b·r + i)·N + j]} ({@link GramAccumulator#addRowMajor} consumes it). Same values.
   * When {@link #prefersRowMajor} is false this computes the column-major rows and transposes them
   * ({@code O(B·r·N)} extra memory and copies).
   *
   * @param ws work buffers from {@link #newWorkspace} (null: allocate for this call)
   * @param factors (modified) length at least {@code B·r·N}
   */
  public void computeRowMajor(double[] theta, ExampleBlock block, Workspace ws, double[] factors) {
    int b = block.rows();
    int n = model.numParams();
    checkFactorLength(b, n, factors);
    if (!isDirect()) {
      double[] columnMajor = new double[b * rows * n];
      compute(theta, block, ws, columnMajor);
      io.pullback.linalg.Transpose.columnToRowMajor(columnMajor, b * rows, n, factors);
      return;
    }
    checkWeights(block);
    if (ws == null) ws = new Workspace(b);
    ws.ensure(b);
    double[] out = ws.outputs;
    model.jacobianRowMajor(theta, block, out, factors);
    double[] scale = ws.coef;
    if (directRowScales(block, out, scale)) return;
    int bk = b * model.outputDim();
    for (int t = 0; t < bk; t++) {
      double sc = scale[t];
      int row = t * n;
      for (int j = 0; j < n; j++) factors[row + j] *= sc;
    }
  }

  /**
   * Whether every coefficient matrix {@code C_b} is diagonal ({@code r = K}, rows the Jacobian's
   * scaled): {@code function}, and {@code fisher} for Gaussian and Bernoulli outputs. Then
   * {@link #diagonalScales} gives the diagonals without the {@code B·K·K} coefficient array.
   */
  public boolean isDiagonal() {
    return isDirect();
  }

  /**
   * For a {@link #isDiagonal() diagonal} kind, one forward pass and the diagonals:
   * {@code scale[b·K + k] = C_b[k, k]} ({@code √w_b}, times {@code √(p_k(1 − p_k))} for the Bernoulli fisher).
   *
   * @param outputs (modified) length at least {@code B·K}
   * @param scale (modified) length at least {@code B·K}
   */
  public void diagonalScales(double[] theta, ExampleBlock block, double[] outputs, double[] scale) {
    if (!isDirect()) throw new IllegalStateException(kind + " factor rows of a " + model.distribution() + " model are not diagonal");
    checkWeights(block);
    model.forward(theta, block, outputs);
    directRowScales(block, outputs, scale);
  }

  /** Rows are the Jacobian's, scaled: {@code function}, and {@code fisher} except for the softmax. */
  private boolean isDirect() {
    return kind == MetricKind.FUNCTION
        || (kind == MetricKind.FISHER && model.distribution() != OutputDistribution.CATEGORICAL_SOFTMAX);
  }

  /**
   * The per-row scales of the direct kinds, {@code scale[b·K + k] = √w_b} (times {@code √(σ(z)σ(−z))}
   * for the Bernoulli fisher). Returns true when every scale is 1 (the Jacobian is the factor block).
   */
  private boolean directRowScales(ExampleBlock block, double[] out, double[] scale) {
    int b = block.rows();
    int k = model.outputDim();
    boolean bernoulliFisher = kind == MetricKind.FISHER && model.distribution() == OutputDistribution.BERNOULLI_LOGIT;
    boolean unit = true;
    for (int e = 0; e < b; e++) {
      double sw = Math.sqrt(block.weight(e));
      for (int o = 0; o < k; o++) {
        double s = sw;
        if (bernoulliFisher) {
          double z = out[e * k + o];
          s *= Math.sqrt(sigmoid(z) * sigmoid(-z));
        }
        scale[e * k + o] = s;
        unit &= s == 1.0;
      }
    }
    return unit;
  }

  private void checkFactorLength(int b, int n, double[] factors) {
    long needed = (long) b * rows * n;
    if (needed > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("B*r*N = " + needed + " factor values do not fit in one array; use smaller blocks");
    }
    if (factors.length < needed) {
      throw new IllegalArgumentException("factors has " + factors.length + " values, needs B*r*N = " + needed);
    }
  }

  /**
   * Writes each example's coefficient matrix {@code C_b} (r × K, row-major at
   * {@code coef[b·r·K + i·K + k]}, scaled by {@code √w_b}) so that the factor rows are
   * {@code R_b = C_b J_b} (see the table above; {@code function}: {@code C_b = √w_b·I}), and the
   * outputs. One forward pass; no Jacobian.
   *
   * @param outputs (modified) length at least {@code B·K}
   * @param coef (modified) length at least {@code B·r·K}
   */
  public void coefficients(double[] theta, ExampleBlock block, double[] outputs, double[] coef) {
    checkWeights(block);
    if (kind == MetricKind.EMPIRICAL_FISHER) checkLabels(block);
    model.forward(theta, block, outputs);
    fillCoefficients(block, outputs, coef, new double[model.outputDim()]);
  }

  /**
   * The coefficient matrices {@code C_b} of a block given its outputs (as {@link #coefficients},
   * without evaluating the model): checks the weights (and labels for empirical-fisher) first.
   *
   * @param outputs the model's outputs on the block, {@code B·K} (not modified)
   * @param coef (modified) length at least {@code B·r·K}
   */
  public void coefficientsAt(ExampleBlock block, double[] outputs, double[] coef) {
    checkWeights(block);
    if (kind == MetricKind.EMPIRICAL_FISHER) checkLabels(block);
    fillCoefficients(block, outputs, coef, new double[model.outputDim()]);
  }

  /**
   * Adds {@code R_blockᵀ R_block v} into {@code acc}: {@link #addGramProducts} with s = 1.
   *
   * @param v length N (not modified)
   * @param acc (modified) length N, accumulated into
   */
  public void addGramProduct(double[] theta, ExampleBlock block, Workspace ws, double[] v, double[] acc) {
    addGramProducts(theta, block, ws, v, 1, acc);
  }

  /**
   * Adds {@code R_blockᵀ (R_block V)} for a block of s vectors into {@code acc}
   * ({@code v[t·N + j]}, {@code acc[t·N + j]}), from one evaluation of the model and level-3 BLAS
   * over all s vectors, never forming R. Two routes, whichever the flop count favours:
   * <ul>
   *   <li>a {@link LayeredModel} when {@code r ≤ 2s} (or it has one layer): the per-layer Kronecker
   *       structure of the rows ({@link LayeredGramProducts}): one forward pass, the
   *       back-propagation of the {@code B·r} coefficient rows, then {@code 4·B·N·s} flops;</li>
   *   <li>otherwise {@link Model#jvpVjp}: {@code t = C (J V)}, {@code acc += Jᵀ (Cᵀ t)} (for the
   *       MLP one forward pass and {@code 8·B·N·s} flops; other models form J once).</li>
   * </ul>
   * Both give the same sums up to rounding.
   *
   * @param ws work buffers from {@link #newWorkspace} (null: allocate for this call)
   * @param v s vectors of length N (not modified)
   * @param acc (modified) length at least {@code s·N}, accumulated into
   */
  public void addGramProducts(double[] theta, ExampleBlock block, Workspace ws, double[] v, int s, double[] acc) {
    int n = model.numParams();
    if (s < 1 || v.length < (long) s * n || acc.length < (long) s * n) {
      throw new IllegalArgumentException("s = " + s + " vectors of N = " + n + " need " + (long) s * n
          + " values; v has " + v.length + ", acc " + acc.length);
    }
    int b = block.rows();
    if (b == 0) return;
    if (ws == null) ws = new Workspace(0);
    if (model instanceof LayeredModel layered && (layered.layers() == 1 || rows <= 2L * s)) {
      if (ws.layered == null) ws.layered = new LayeredGramProducts(this);
      ws.layered.add(theta, block, v, s, acc);
      return;
    }
    int k = model.outputDim();
    ws.ensureProducts(b);
    double[] coef = ws.coef;
    model.jvpVjp(theta, block, v, s, (outputs, jv, count, u) -> {
      coefficientsAt(block, outputs, coef);
      for (int t = 0; t < count; t++) contract(coef, jv, u, t * b * k, b, k);
    }, acc);
  }

  /** {@code u_e = C_eᵀ C_e jv_e} for every example e of one vector (its values from {@code off}). */
  private void contract(double[] coef, double[] jv, double[] u, int off, int b, int k) {
    for (int e = 0; e < b; e++) {
      int ce = e * rows * k;
      int o = off + e * k;
      for (int j = 0; j < k; j++) u[o + j] = 0;
      for (int i = 0; i < rows; i++) {
        int ci = ce + i * k;
        double t = 0;
        for (int j = 0; j < k; j++) t += coef[ci + j] * jv[o + j];
        for (int j = 0; j < k; j++) u[o + j] += coef[ci + j] * t;
      }
    }
  }

  /** C_b for every example of the block, given the outputs. */
  private void fillCoefficients(ExampleBlock block, double[] out, double[] coef, double[] p) {
    int b = block.rows();
    int k = model.outputDim();
    OutputDistribution dist = model.distribution();
    double invSqrtS = 1.0 / Math.sqrt(samples);
    for (int e = 0; e < b; e++) {
      double sw = Math.sqrt(block.weight(e));
      long index = block.firstIndex() + e;
      int c0 = e * rows * k;
      probabilities(dist, out, e * k, k, p);
      switch (kind) {
        case FUNCTION:
          for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) coef[c0 + i * k + j] = i == j ? sw : 0.0;
          }
          break;
        case FISHER:
          if (dist == OutputDistribution.CATEGORICAL_SOFTMAX) { // C[i,j] = √p_i (δ_ij − p_j)
            for (int i = 0; i < k; i++) {
              double sp = sw * Math.sqrt(p[i]);
              for (int j = 0; j < k; j++) coef[c0 + i * k + j] = sp * ((i == j ? 1.0 : 0.0) - p[j]);
            }
          } else {
            for (int i = 0; i < k; i++) {
              double s = sw;
              if (dist == OutputDistribution.BERNOULLI_LOGIT) s *= Math.sqrt(p[i] * (1.0 - p[i]));
              for (int j = 0; j < k; j++) coef[c0 + i * k + j] = i == j ? s : 0.0;
            }
          }
          break;
        case EMPIRICAL_FISHER:
          scoreCoefficients(dist, block, e, out, e * k, k, p, labelOf(dist, block, e), sw, coef, c0);
          break;
        case MC_FISHER:
          for (int s = 0; s < samples; s++) {
            int cs = c0 + s * k;
            double sc = sw * invSqrtS;
            if (dist == OutputDistribution.GAUSSIAN) {
              for (int j = 0; j < k; j++) coef[cs + j] = sc * CounterRandom.normal(seed, index, s, j);
            } else if (dist == OutputDistribution.BERNOULLI_LOGIT) {
              for (int j = 0; j < k; j++) {
                double yhat = CounterRandom.uniform(seed, index, s, j) < p[j] ? 1.0 : 0.0;
                coef[cs + j] = sc * (yhat - p[j]);
              }
            } else {
              double u = CounterRandom.uniform(seed, index, s, 0);
              int yhat = sampleIndex(dist, p, k, u);
              scoreCoefficients(dist, block, e, out, e * k, k, p, yhat, sc, coef, cs);
            }
          }
          break;
        default:
          throw new AssertionError(kind);
      }
    }
  }

  /** factors[j·(B·r) + e·r + i] = Σ_k coef[e·r·K + i·K + k] · jac[j·(B·K) + e·K + k]. */
  private void combine(double[] jac, double[] coef, int b, int k, int n, double[] factors) {
    int br = b * rows;
    int bk = b * k;
    for (int j = 0; j < n; j++) {
      int jc = j * bk;
      int fc = j * br;
      for (int e = 0; e < b; e++) {
        int je = jc + e * k;
        int ce = e * rows * k;
        int fe = fc + e * rows;
        for (int i = 0; i < rows; i++) {
          int ci = ce + i * k;
          double acc = 0;
          for (int o = 0; o < k; o++) acc += coef[ci + o] * jac[je + o];
          factors[fe + i] = acc;
        }
      }
    }
  }

  /**
   * Coefficients of {@code scale·∇_θ log p(y|x)} on the Jacobian rows: Bernoulli {@code (y_k − p_k)}
   * (y from the block's label row; {@code label} unused);
   * categorical {@code δ_{y,j} − p_j}; Gaussian {@code y_j − f_j} (y = label row when
   * {@code label < 0}, i.e. from the block).
   */
  private static void scoreCoefficients(OutputDistribution dist, ExampleBlock block, int e, double[] out, int outOff,
                                        int k, double[] p, int label, double scale, double[] coef, int c) {
    switch (dist) {
      case BERNOULLI_LOGIT: {
        double[] y = block.labels();
        int yo = e * block.labelDim();
        for (int j = 0; j < k; j++) coef[c + j] = scale * (y[yo + j] - p[j]);
        break;
      }
      case CATEGORICAL_SOFTMAX:
        for (int j = 0; j < k; j++) coef[c + j] = scale * ((j == label ? 1.0 : 0.0) - p[j]);
        break;
      case GAUSSIAN: {
        double[] y = block.labels();
        int yo = e * block.labelDim();
        for (int j = 0; j < k; j++) coef[c + j] = scale * (y[yo + j] - out[outOff + j]);
        break;
      }
      default:
        throw new AssertionError(dist);
    }
  }

  private static int labelOf(OutputDistribution dist, ExampleBlock block, int e) {
    return dist == OutputDistribution.CATEGORICAL_SOFTMAX ? (int) block.label(e) : -1;
  }

  /** Inverse-CDF draw of a categorical: the first j with u &lt; p_0 + … + p_j. */
  private static int sampleIndex(OutputDistribution dist, double[] p, int k, double u) {
    double c = 0;
    for (int j = 0; j < k - 1; j++) {
      c += p[j];
      if (u < c) return j;
    }
    return k - 1;
  }

  /** Bernoulli: p[j] = σ(z_j); categorical: softmax (max-shifted); Gaussian: unused. */
  private static void probabilities(OutputDistribution dist, double[] out, int off, int k, double[] p) {
    if (dist == OutputDistribution.BERNOULLI_LOGIT) {
      for (int j = 0; j < k; j++) p[j] = sigmoid(out[off + j]);
    } else if (dist == OutputDistribution.CATEGORICAL_SOFTMAX) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < k; j++) max = Math.max(max, out[off + j]);
      double sum = 0;
      for (int j = 0; j < k; j++) {
        p[j] = Math.exp(out[off + j] - max);
        sum += p[j];
      }
      for (int j = 0; j < k; j++) p[j] /= sum;
    }
  }

  /** σ(z) without overflow for large |z|. */
  static double sigmoid(double z) {
    if (z >= 0) return 1.0 / (1.0 + Math.exp(-z));
    double e = Math.exp(z);
    return e / (1.0 + e);
  }

  private static void checkWeights(ExampleBlock block) {
    for (int e = 0; e < block.rows(); e++) {
      double w = block.weight(e);
      if (!(w >= 0) || Double.isInfinite(w)) {
        throw new IllegalArgumentException("weight of example " + (block.firstIndex() + e) + " is " + w
            + "; weights must be finite and >= 0");
      }
    }
  }

  private void checkLabels(ExampleBlock block) {
    OutputDistribution dist = model.distribution();
    int k = model.outputDim();
    if (dist == OutputDistribution.GAUSSIAN) {
      if (block.labelDim() != k) {
        throw new IllegalArgumentException("empirical-fisher for a Gaussian model with K=" + k + " outputs needs "
            + k + " label values per example; the block has " + block.labelDim());
      }
      double[] y = block.labels();
      for (int t = 0; t < block.rows() * k; t++) {
        if (!Double.isFinite(y[t])) {
          throw new IllegalArgumentException("example " + (block.firstIndex() + t / k) + ": label value " + (t % k)
              + " is " + y[t] + "; valid labels: finite real numbers");
        }
      }
      return;
    }
    if (block.labelDim() < 1) {
      throw new IllegalArgumentException("empirical-fisher needs labels; the block has labelDim 0");
    }
    int dim = block.labelDim();
    for (int e = 0; e < block.rows(); e++) {
      String msg = dim == 1 ? dist.checkLabel(block.label(e), k)
          : dist.checkLabel(java.util.Arrays.copyOfRange(block.labels(), e * dim, (e + 1) * dim), k);
      if (msg != null) throw new IllegalArgumentException("example " + (block.firstIndex() + e) + ": " + msg);
    }
  }
}
