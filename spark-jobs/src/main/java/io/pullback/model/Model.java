package io.pullback.model;

import io.pullback.data.ExampleBlock;
import io.pullback.linalg.Blas;
import java.io.Serializable;

/**
 * A model {@code f_θ : R^D → R^K} with a flat parameter vector {@code θ ∈ R^N} and an analytic,
 * batched per-example Jacobian.
 *
 * <p>Buffers are caller-allocated and overwritten ("Modified"); {@code theta} and the block are
 * never modified. Implementations are immutable and serializable (they are shipped to executors).
 *
 * <p>Layouts:
 * <ul>
 *   <li>outputs: {@code out[b·K + k] = f_k(x_b)}, length {@code B·K};</li>
 *   <li>Jacobian: column-major {@code (B·K) × N}:
 *       {@code jac[j·(B·K) + b·K + k] = ∂f_k(x_b)/∂θ_j}. Column-major is what the Gram kernel
 *       consumes directly ({@code G += JᵀJ}, one BLAS level-3 call per block).</li>
 * </ul>
 */
public interface Model extends Serializable {

  /** The CLI name: {@code linear-basis}, {@code logistic}, {@code softmax} or {@code mlp}. */
  String kind();

  /** D, the number of input features. */
  int inputDim();

  /** K, the number of outputs. */
  int outputDim();

  /** N, the number of parameters. */
  int numParams();

  /** The predictive distribution the outputs parametrise. */
  OutputDistribution distribution();

  /** Human-readable description of how θ is laid out (DESIGN.md section 3). */
  String parameterLayout();

  /**
   * Evaluates the model on a block.
   *
   * @param theta parameters, length N (not modified)
   * @param block examples (not modified)
   * @param outputs (modified) length at least {@code B·K}
   */
  void forward(double[] theta, ExampleBlock block, double[] outputs);

  /**
   * Evaluates the outputs and the per-example Jacobian of a block in one batched pass.
   * Cost is O(B·K·N) to write the Jacobian plus the model's forward cost.
   *
   * @param theta parameters, length N (not modified)
   * @param block examples (not modified)
   * @param outputs (modified) length at least {@code B·K}
   * @param jacobian (modified) length at least {@code B·K·N}, column-major {@code (B·K) × N}
   */
  void jacobian(double[] theta, ExampleBlock block, double[] outputs, double[] jacobian);

  /**
   * True when {@link #jacobianRowMajor} writes the row-major Jacobian directly, at no more cost than
   * {@link #jacobian}; the Gram kernels then consume it without a transposition. Default false.
   */
  default boolean hasRowMajorJacobian() {
    return false;
  }

  /**
   * As {@link #jacobian}, but row-major {@code (B·K) × N}: {@code jacobian[(b·K + k)·N + j]}, each
   * output's row of N values contiguous. The default forms the column-major Jacobian in a temporary
   * array and transposes it ({@code O(B·K·N)} extra memory and copies); models that override
   * {@link #hasRowMajorJacobian} write it directly.
   *
   * @param outputs (modified) length at least {@code B·K}
   * @param jacobian (modified) length at least {@code B·K·N}, row-major {@code (B·K) × N}
   */
  default void jacobianRowMajor(double[] theta, ExampleBlock block, double[] outputs, double[] jacobian) {
    int rows = block.rows() * outputDim();
    int n = numParams();
    if ((long) rows * n > jacobian.length) {
      throw new IllegalArgumentException("jacobian has " + jacobian.length + " values, needs B*K*N = " + (long) rows * n);
    }
    double[] columnMajor = new double[Math.multiplyExact(rows, n)];
    jacobian(theta, block, outputs, columnMajor);
    io.pullback.linalg.Transpose.columnToRowMajor(columnMajor, rows, n, jacobian);
  }

  /**
   * Jacobian-vector product of a block: {@code jv[b·K + k] = Σ_j ∂f_k(x_b)/∂θ_j · v_j}, without
   * storing the Jacobian when the model overrides this (the default forms it: {@code O(B·K·N)} memory).
   *
   * @param theta parameters, length N (not modified)
   * @param block examples (not modified)
   * @param v tangent direction, length N (not modified)
   * @param outputs (modified) length at least {@code B·K}: the model outputs
   * @param jv (modified) length at least {@code B·K}
   */
  default void jvp(double[] theta, ExampleBlock block, double[] v, double[] outputs, double[] jv) {
    int rows = block.rows() * outputDim();
    if (v.length != numParams()) {
      throw new IllegalArgumentException("v has " + v.length + " values, the model has N = " + numParams());
    }
    if (rows == 0) return;
    double[] jac = new double[Math.multiplyExact(rows, numParams())];
    jacobian(theta, block, outputs, jac);
    Blas.get().dgemv("N", rows, numParams(), 1.0, jac, rows, v, 1, 0.0, jv, 1);
  }

  /**
   * Vector-Jacobian product of a block, accumulated: {@code grad[j] += Σ_{b,k} u[b·K + k] · ∂f_k(x_b)/∂θ_j}.
   * Models override this with reverse-mode differentiation (no Jacobian stored); the default forms
   * the Jacobian ({@code O(B·K·N)} memory) and calls {@code dgemv}.
   *
   * @param theta parameters, length N (not modified)
   * @param block examples (not modified)
   * @param u cotangent, length at least {@code B·K} (not modified)
   * @param grad (modified) length N, accumulated into
   */
  default void vjp(double[] theta, ExampleBlock block, double[] u, double[] grad) {
    int rows = block.rows() * outputDim();
    if (grad.length != numParams()) {
      throw new IllegalArgumentException("grad has " + grad.length + " values, the model has N = " + numParams());
    }
    if (rows == 0) return;
    double[] jac = new double[Math.multiplyExact(rows, numParams())];
    jacobian(theta, block, new double[rows], jac);
    Blas.get().dgemv("T", rows, numParams(), 1.0, jac, rows, u, 1, 1.0, grad, 1);
  }

  /**
   * Maps a block's outputs and its {@code s} Jacobian-vector products to {@code s} cotangents, in
   * {@link #jvpVjp}: {@code jv} and {@code u} hold vector t's {@code B·K} values at {@code t·B·K}
   * ({@code [t·B·K + b·K + k]}).
   */
  @FunctionalInterface
  interface CotangentMap {
    /**
     * @param outputs the block's outputs, {@code B·K} (not modified)
     * @param jv the products {@code J V}, {@code s·B·K} (not modified)
     * @param u (modified) the cotangents, {@code s·B·K}
     */
    void apply(double[] outputs, double[] jv, int s, double[] u);
  }

  /**
   * A block's {@code s} Jacobian-vector products, mapped to cotangents, pulled back: with
   * {@code V = [v_1 … v_s]} ({@code v[t·N + j]}), {@code U = map(f(X), J V)} and
   * {@code acc[t·N + j] += (Jᵀ u_t)_j}, from <b>one</b> evaluation of the model. The default forms
   * the Jacobian once ({@code O(B·K·N)} memory) and makes two {@code dgemm} calls
   * ({@code 4·B·K·N·s} flops); the MLP overrides it with one forward pass and forward/reverse mode
   * over all s vectors at once, never forming J.
   *
   * @param v s vectors of length N (not modified)
   * @param acc (modified) length {@code s·N}, accumulated into
   */
  default void jvpVjp(double[] theta, ExampleBlock block, double[] v, int s, CotangentMap map, double[] acc) {
    int n = numParams();
    int rows = block.rows() * outputDim();
    ModelChecks.products(this, v, s, acc);
    if (rows == 0 || s == 0) return;
    double[] outputs = new double[rows];
    double[] jac = new double[Math.multiplyExact(rows, n)];
    jacobian(theta, block, outputs, jac);
    double[] jv = new double[Math.multiplyExact(rows, s)];
    double[] u = new double[jv.length];
    Blas.get().dgemm("N", "N", rows, s, n, 1.0, jac, rows, v, n, 0.0, jv, rows);
    map.apply(outputs, jv, s, u);
    Blas.get().dgemm("T", "N", n, s, rows, 1.0, jac, rows, u, rows, 1.0, acc, n);
  }

  /**
   * Seeded initial parameters: weights drawn from N(0, 1/fan_in), biases zero (documented per model).
   */
  double[] initialParams(long seed);
}
