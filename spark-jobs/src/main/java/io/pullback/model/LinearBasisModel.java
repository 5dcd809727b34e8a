package io.pullback.model;

import io.pullback.data.ExampleBlock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A model linear in its parameters: {@code f_k(x) = Σ_m θ[k·M + m]·φ_m(x)}, {@code k = 0..K−1},
 * over {@code M} basis functions on {@code R^D}.
 *
 * <p><b>Basis.</b> Each {@code φ_m} is a tensor product {@code φ_m(x) = Π_d ψ_{n_d}(x_d)} of 1-D
 * functions {@code ψ_n} of one {@link BasisFamily} ({@code monomial}, {@code legendre},
 * {@code fourier}), over every index tuple {@code (n_1..n_D)} whose total degree
 * {@code Σ_d deg(n_d)} is at most {@code degree} (for monomial and Legendre {@code deg(n) = n}, so
 * {@code M = C(degree + D, D)}; for Fourier {@code deg(n) = ceil(n/2)}). Legendre and Fourier
 * tensor products are orthonormal for the uniform probability measure on {@code [-1,1]^D}, so on
 * such data the {@code function} metric is the identity.
 *
 * <p><b>Order of the basis</b> (graded lexicographic, see {@link #multiIndices()}): by total degree
 * ascending; within a total degree, by the tuple of per-coordinate degrees in <em>descending</em>
 * lexicographic order (coordinate 1 most significant); ties (Fourier cos/sin pairs) by the index
 * tuple ascending. For D = 2, degree 2 (monomials): {@code 1, x₁, x₂, x₁², x₁x₂, x₂²}.
 *
 * <p><b>Layout.</b> {@code θ[k·M + m]} is the coefficient of basis function m for output k
 * (N = K·M). Distribution: {@link OutputDistribution#GAUSSIAN}.
 *
 * <p><b>Jacobian.</b> {@code ∂f_k/∂θ[k'·M+m] = δ_{kk'}·φ_m(x)}: independent of θ.
 *
 * <p><b>Cost</b> per block of B examples: 1-D tables O(B·D·n_max), basis values O(B·M·D),
 * forward O(B·K·M), Jacobian write O(B·K·N) = O(B·K²·M) (mostly zeros when K &gt; 1).
 * Work memory per thread: {@code B·(D·(n_max+1) + M)} doubles.
 *
 * <p><b>Initial parameters.</b> {@code θ_i ~ N(0, 1/M)} i.i.d. from {@code SplittableRandom(seed)}
 * (fan-in M; there are no biases: the constant function is basis function 0).
 *
 * <p><b>Limits.</b> M grows like {@code degree^D/D!}; construction fails beyond
 * {@link #MAX_BASIS} functions.
 */
public final class LinearBasisModel implements Model {
  private static final long serialVersionUID = 1L;

  /** Upper bound on M, to fail fast on accidental huge tensor bases. */
  public static final int MAX_BASIS = 1 << 20;

  private final BasisFamily family;
  private final int inputDim;
  private final int outputs;
  private final int degree;
  /** idx[m][d]: 1-D function index of coordinate d in basis function m. */
  private final int[][] idx;
  private final int maxIndex;
  private final Scratch scratch = new Scratch(2);

  public LinearBasisModel(BasisFamily family, int inputDim, int outputs, int degree) {
    if (family == null) throw new IllegalArgumentException("basis must be given; valid: monomial, legendre, fourier");
    ModelChecks.positive("inputDim", inputDim);
    ModelChecks.positive("outputs", outputs);
    if (degree < 0) throw new IllegalArgumentException("degree must be >= 0, got " + degree);
    this.family = family;
    this.inputDim = inputDim;
    this.outputs = outputs;
    this.degree = degree;
    this.maxIndex = family.maxIndex(degree);
    this.idx = enumerate(family, inputDim, degree);
    if ((long) outputs * idx.length > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("K*M = " + outputs + "*" + idx.length + " parameters is too many");
    }
  }

  private static int[][] enumerate(BasisFamily family, int dim, int degree) {
    List<int[]> out = new ArrayList<>();
    collect(family, new int[dim], 0, degree, family.maxIndex(degree), out);
    Comparator<int[]> order = (a, b) -> {
      int da = 0, db = 0;
      for (int d = 0; d < dim; d++) {
        da += family.degreeOf(a[d]);
        db += family.degreeOf(b[d]);
      }
      if (da != db) return Integer.compare(da, db);
      for (int d = 0; d < dim; d++) {
        int c = Integer.compare(family.degreeOf(b[d]), family.degreeOf(a[d]));
        if (c != 0) return c;
      }
      return Arrays.compare(a, b);
    };
    out.sort(order);
    return out.toArray(new int[0][]);
  }

  private static void collect(BasisFamily family, int[] cur, int d, int budget, int maxIndex, List<int[]> out) {
    if (d == cur.length) {
      if (out.size() >= MAX_BASIS) {
        throw new IllegalArgumentException("the basis has more than " + MAX_BASIS
            + " functions; reduce degree or the number of features");
      }
      out.add(cur.clone());
      return;
    }
    for (int n = 0; n <= maxIndex && family.degreeOf(n) <= budget; n++) {
      cur[d] = n;
      collect(family, cur, d + 1, budget - family.degreeOf(n), maxIndex, out);
    }
    cur[d] = 0;
  }

  public BasisFamily family() { return family; }
  public int degree() { return degree; }
  /** M, the number of basis functions per output. */
  public int basisSize() { return idx.length; }

  /**
   * The basis in order: row m holds the 1-D function indices {@code (n_1..n_D)} of {@code φ_m}
   * (a fresh copy). For monomial and Legendre, the indices are the exponents/degrees.
   */
  public int[][] multiIndices() {
    int[][] copy = new int[idx.length][];
    for (int m = 0; m < idx.length; m++) copy[m] = idx[m].clone();
    return copy;
  }

  @Override public String kind() { return "linear-basis"; }
  @Override public int inputDim() { return inputDim; }
  @Override public int outputDim() { return outputs; }
  @Override public int numParams() { return outputs * idx.length; }
  @Override public OutputDistribution distribution() { return OutputDistribution.GAUSSIAN; }

  @Override
  public String parameterLayout() {
    return "linear-basis (" + family + ", degree " + degree + ", D=" + inputDim + ", K=" + outputs + ", M="
        + idx.length + "): theta[k*M + m] = coefficient of basis function m (graded-lex order) for output k; N = K*M = "
        + numParams();
  }

  /**
   * Basis values of the block into a per-thread array, column-major {@code B × M}:
   * {@code phi[m·B + b] = φ_m(x_b)}.
   */
  private double[] basisValues(ExampleBlock block) {
    int rows = block.rows();
    int per = (maxIndex + 1) * rows;
    double[] tables = scratch.get(0, Math.max(1, inputDim * per));
    double[] phi = scratch.get(1, Math.max(1, idx.length * rows));
    double[] x = block.features();
    for (int d = 0; d < inputDim; d++) {
      family.evaluate(x, d, inputDim, rows, maxIndex, tables, d * per);
    }
    for (int m = 0; m < idx.length; m++) {
      int[] n = idx[m];
      int dst = m * rows;
      int t0 = n[0] * rows;
      for (int b = 0; b < rows; b++) phi[dst + b] = tables[t0 + b];
      for (int d = 1; d < inputDim; d++) {
        if (n[d] == 0) continue; // ψ_0 = 1 for every family
        int t = d * per + n[d] * rows;
        for (int b = 0; b < rows; b++) phi[dst + b] *= tables[t + b];
      }
    }
    return phi;
  }

  /**
   * Basis values {@code φ_m(x_b)} of a block, column-major {@code B × M} (a fresh array). For tests
   * and for users who want the design matrix.
   */
  public double[] designMatrix(ExampleBlock block) {
    if (block.dim() != inputDim) {
      throw new IllegalArgumentException("block has " + block.dim() + " features per example, the model expects D = " + inputDim);
    }
    return Arrays.copyOf(basisValues(block), block.rows() * idx.length);
  }

  @Override
  public void forward(double[] theta, ExampleBlock block, double[] out) {
    ModelChecks.forward(this, theta, block, out);
    double[] phi = basisValues(block);
    writeOutputs(theta, phi, block.rows(), out);
  }

  private void writeOutputs(double[] theta, double[] phi, int rows, double[] out) {
    int mCount = idx.length;
    int k = outputs;
    Arrays.fill(out, 0, rows * k, 0.0);
    for (int o = 0; o < k; o++) {
      for (int m = 0; m < mCount; m++) {
        double c = theta[o * mCount + m];
        if (c == 0.0) continue;
        int src = m * rows;
        for (int b = 0; b < rows; b++) out[b * k + o] += c * phi[src + b];
      }
    }
  }

  @Override
  public void jacobian(double[] theta, ExampleBlock block, double[] out, double[] jac) {
    ModelChecks.jacobian(this, theta, block, out, jac);
    int rows = block.rows();
    int k = outputs;
    int mCount = idx.length;
    int bk = rows * k;
    double[] phi = basisValues(block);
    writeOutputs(theta, phi, rows, out);
    if (k == 1) {
      System.arraycopy(phi, 0, jac, 0, rows * mCount);
      return;
    }
    Arrays.fill(jac, 0, bk * numParams(), 0.0);
    for (int o = 0; o < k; o++) {
      for (int m = 0; m < mCount; m++) {
        int col = (o * mCount + m) * bk + o;
        int src = m * rows;
        for (int b = 0; b < rows; b++) jac[col + b * k] = phi[src + b];
      }
    }
  }

  /** {@code θ_i ~ N(0, 1/M)} i.i.d., drawn in index order from {@code new SplittableRandom(seed)}. */
  @Override
  public double[] initialParams(long seed) {
    return ModelChecks.gaussianParams(seed, numParams(), 1.0 / Math.sqrt(idx.length));
  }

  @Override
  public String toString() {
    return "LinearBasisModel[" + family + ", D=" + inputDim + ", K=" + outputs + ", degree=" + degree + ", M=" + idx.length + "]";
  }
}
