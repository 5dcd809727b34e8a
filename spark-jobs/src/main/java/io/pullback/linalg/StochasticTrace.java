package io.pullback.linalg;

import io.pullback.data.CounterRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Trace estimates of a symmetric N×N operator A from P products {@code A·v} only (P, the product
 * budget, is curvlinops' {@code num_matvecs}; for an implicit metric each product is one data pass).
 * Probes are Rademacher, entry i of probe p the sign of {@link CounterRandom#bits}{@code (seed, i, p,
 * STREAM)}, so the same seed gives bit-identical estimates. Every estimate comes with a standard error.
 *
 * <ul>
 *   <li><b>Hutchinson</b>: {@code t_p = v_pᵀAv_p}, estimate {@code mean(t)}, unbiased with variance
 *       {@code 2(‖A‖_F² − Σ A_ii²)/P}; standard error {@code sd(t)/√P}. P probes, P products.
 *   <li><b>Hutch++</b> (Meyer, Musco, Musco and Woodruff 2021), P divisible by 3, k = P/3: Q an
 *       orthonormal basis of {@code A·S} (k sketch probes), then {@code tr(QᵀAQ)} exactly plus
 *       Hutchinson with k further probes on the deflated {@code (I−QQᵀ)A(I−QQᵀ)}: unbiased; with a
 *       decaying spectrum its error falls like 1/P instead of Hutchinson's 1/√P. Standard error: the
 *       sample standard deviation of the k deflated Hutchinson terms over √k (the error given Q).
 *       P products (fewer when {@code A·S} is rank-deficient: its dropped directions are not probed).
 *   <li><b>XTrace</b> (Epperly, Tropp and Webber 2024), P even, k = P/2: Q R = A·W for k probes W;
 *       for each i the Hutch++ estimate {@code t_i} whose basis {@code Q_i} leaves out probe i
 *       ({@code Q_iQ_iᵀ = Q(I − s_is_iᵀ)Qᵀ}, {@code s_i} the normalised column i of {@code R^{-T}}) and
 *       whose Hutchinson probe is {@code w_i}; estimate {@code mean(t)}, standard error
 *       {@code sd(t)/√k} (the paper's error estimate). P products. When {@code A·W} is rank-deficient
 *       (rank below k: the products already span A's range) every {@code Q_i} is Q's kept columns and
 *       the estimate is {@code tr(QᵀAQ)} plus the (then negligible) deflated Hutchinson terms.
 * </ul>
 *
 * <p>Memory: Hutchinson {@code O(N)}; Hutch++ and XTrace {@code 8·N·(2k + 1)} and {@code 8·N·4k}
 * bytes. Flops beyond the products: {@code O(N·k²)}.
 */
public final class StochasticTrace {
  private StochasticTrace() {}

  /** The counter stream of the probes ("HUT"), shared with {@link StochasticDiagonal}. */
  public static final int STREAM = 0x485554;

  /** Relative remainder below which a column of {@code A·W} counts as dependent (see {@link Orthonormal}). */
  public static final double DROP = 1e-10;

  /** The estimators. */
  public enum Method {
    HUTCHINSON("hutchinson"), HUTCHPP("hutchpp"), XTRACE("xtrace");

    private final String cliName;

    Method(String cliName) {
      this.cliName = cliName;
    }

    public String cliName() {
      return cliName;
    }

    /** The estimator named {@code name}; IllegalArgumentException listing the valid names otherwise. */
    public static Method parse(String name) {
      for (Method m : values()) if (m.cliName.equals(name)) return m;
      throw new IllegalArgumentException("unknown trace estimator '" + name + "'; valid: hutchinson, hutchpp, xtrace");
    }
  }

  /**
   * A trace estimate.
   *
   * @param estimate the estimated trace
   * @param stdError its standard error (see the class comment per method)
   * @param products products {@code A·v} made
   */
  public record Estimate(double estimate, double stdError, long products) {}

  /** Probe {@code p}: N entries ±1. */
  public static double[] probe(long seed, int p, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) v[i] = CounterRandom.bits(seed, i, p, STREAM) < 0 ? -1.0 : 1.0;
    return v;
  }

  /** Probes {@code from .. from+count−1}. */
  static List<double[]> probes(long seed, int from, int count, int n) {
    List<double[]> out = new ArrayList<>(count);
    for (int p = from; p < from + count; p++) out.add(probe(seed, p, n));
    return out;
  }

  /** Checks the product budget for a method: ≥ 2 probes' worth, divisible as the method needs. */
  public static void checkBudget(Method method, int products) {
    int per = method == Method.HUTCHPP ? 3 : method == Method.XTRACE ? 2 : 1;
    if (products < 2 * per || products % per != 0) {
      throw new IllegalArgumentException(method.cliName() + " needs a product budget that is a multiple of " + per
          + " and at least " + 2 * per + ", got " + products);
    }
  }

  /** The estimate of {@code method} with {@code products} products. */
  public static Estimate estimate(Method method, UnaryOperator<double[]> op, int n, int products, long seed) {
    checkBudget(method, products);
    return switch (method) {
      case HUTCHINSON -> hutchinson(op, n, products, seed);
      case HUTCHPP -> hutchpp(op, n, products, seed);
      case XTRACE -> xtrace(op, n, products, seed);
    };
  }

  /** Hutchinson with P probes (see the class comment). */
  public static Estimate hutchinson(UnaryOperator<double[]> op, int n, int probes, long seed) {
    checkBudget(Method.HUTCHINSON, probes);
    double[] t = new double[probes];
    for (int p = 0; p < probes; p++) {
      double[] v = probe(seed, p, n);
      t[p] = DenseOps.dot(v, op.apply(v));
    }
    return meanAndError(t, probes);
  }

  /** Hutch++ with P = 3k products (see the class comment). */
  public static Estimate hutchpp(UnaryOperator<double[]> op, int n, int products, long seed) {
    checkBudget(Method.HUTCHPP, products);
    int k = products / 3;
    double[][] sketch = Orthonormal.products(op, probes(seed, 0, k, n));
    List<double[]> q = Orthonormal.orthonormalise(List.of(), sketch, DROP).q();
    double[][] aq = Orthonormal.products(op, q);
    double low = 0;
    for (int j = 0; j < q.size(); j++) low += DenseOps.dot(q.get(j), aq[j]);
    double[] t = new double[k];
    for (int p = 0; p < k; p++) {
      double[] g = probe(seed, k + p, n);
      double[] deflated = g.clone();
      for (double[] b : q) Orthonormal.subtractProjection(deflated, b);
      double[] a = op.apply(deflated);
      for (double[] b : q) Orthonormal.subtractProjection(a, b);
      t[p] = DenseOps.dot(g, a);
    }
    Estimate rest = meanAndError(t, 0);
    return new Estimate(low + rest.estimate(), rest.stdError(), k + q.size() + k);
  }

  /** XTrace with P = 2k products (see the class comment). */
  public static Estimate xtrace(UnaryOperator<double[]> op, int n, int products, long seed) {
    checkBudget(Method.XTRACE, products);
    int k = products / 2;
    List<double[]> w = probes(seed, 0, k, n);
    double[][] y = Orthonormal.products(op, w);
    Exchangeable x = Exchangeable.of(op, w, y, n);
    double[] t = new double[k];
    double full = 0;
    for (int j = 0; j < x.q().size(); j++) full += DenseOps.dot(x.q().get(j), x.aq()[j]);
    double[][] h = x.projected();
    for (int i = 0; i < k; i++) {
      double[] s = x.s()[i];
      t[i] = full - (s == null ? 0 : quadratic(h, s)) + DenseOps.dot(w.get(i), x.deflatedHutchinson(i, w.get(i), y[i]));
    }
    return meanAndError(t, k + x.q().size());
  }

  /** {@code sᵀHs}. */
  static double quadratic(double[][] h, double[] s) {
    double sum = 0;
    for (int a = 0; a < s.length; a++) {
      double row = 0;
      for (int b = 0; b < s.length; b++) row += h[a][b] * s[b];
      sum += s[a] * row;
    }
    return sum;
  }

  /** Mean of t and its standard error {@code sd(t)/√P} (sample standard deviation, two-pass). */
  static Estimate meanAndError(double[] t, long products) {
    double mean = 0;
    for (double x : t) mean += x;
    mean /= t.length;
    double ss = 0;
    for (double x : t) ss += (x - mean) * (x - mean);
    double sd = Math.sqrt(ss / (t.length - 1));
    return new Estimate(mean, sd / Math.sqrt(t.length), products);
  }
}
