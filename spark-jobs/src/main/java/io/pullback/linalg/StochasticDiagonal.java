package io.pullback.linalg;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Diagonal estimates of a symmetric N×N operator A from P products {@code A·v} only, with the
 * Rademacher probes of {@link StochasticTrace} (same seed, same probes), each entry with its standard
 * error.
 *
 * <ul>
 *   <li><b>Hutchinson</b> (Bekas, Kokiopoulou and Saad 2007): {@code d = mean_p v_p ∘ Av_p}; entry i
 *       is unbiased with variance {@code Σ_{j≠i} A_ij²/P}; standard error {@code sd_p/√P} per entry.
 *       P probes, P products, {@code O(N)} memory.
 *   <li><b>XDiag</b> (Epperly, Tropp and Webber 2024), P even, k = P/2: with Q, {@code s_i} as in
 *       XTrace ({@link Exchangeable}), the mean over i of the Diag++ estimates
 *       {@code d_i = diag(Q_iQ_iᵀA) + w_i ∘ (I − Q_iQ_iᵀ)Aw_i} whose basis leaves probe i out; its
 *       error is small where the spectrum decays (the low-rank part is exact). Standard error per
 *       entry: {@code sd_i(d_i)/√k}. P products, {@code 8·N·4k} bytes, {@code O(N·k²)} flops.
 * </ul>
 */
public final class StochasticDiagonal {
  private StochasticDiagonal() {}

  /** The estimators (exact is the representation's own diagonal, not here). */
  public enum Method {
    HUTCHINSON("hutchinson"), XDIAG("xdiag");

    private final String cliName;

    Method(String cliName) {
      this.cliName = cliName;
    }

    public String cliName() {
      return cliName;
    }
  }

  /**
   * A diagonal estimate.
   *
   * @param diagonal the estimate (N)
   * @param stdError the standard error of each entry (N)
   * @param products products {@code A·v} made
   */
  public record Estimate(double[] diagonal, double[] stdError, long products) {
    /** {@code √Σ se_i²}: the standard error of the whole vector in the 2-norm. */
    public double stdErrorNorm() {
      return DenseOps.norm(stdError);
    }
  }

  /** The estimate of {@code method} with {@code products} products (≥ 2; even for XDiag). */
  public static Estimate estimate(Method method, UnaryOperator<double[]> op, int n, int products, long seed) {
    return method == Method.HUTCHINSON ? hutchinson(op, n, products, seed) : xdiag(op, n, products, seed);
  }

  /** Hutchinson with P probes. */
  public static Estimate hutchinson(UnaryOperator<double[]> op, int n, int probes, long seed) {
    StochasticTrace.checkBudget(StochasticTrace.Method.HUTCHINSON, probes);
    Welford acc = new Welford(n);
    for (int p = 0; p < probes; p++) {
      double[] v = StochasticTrace.probe(seed, p, n);
      double[] av = op.apply(v);
      for (int i = 0; i < n; i++) av[i] *= v[i];
      acc.add(av);
    }
    return acc.finish(probes);
  }

  /** XDiag with P = 2k products. */
  public static Estimate xdiag(UnaryOperator<double[]> op, int n, int products, long seed) {
    StochasticTrace.checkBudget(StochasticTrace.Method.XTRACE, products);
    int k = products / 2;
    List<double[]> w = StochasticTrace.probes(seed, 0, k, n);
    double[][] y = Orthonormal.products(op, w);
    Exchangeable x = Exchangeable.of(op, w, y, n);
    double[] full = new double[n]; // diag(QQᵀA) = Σ_j q_j ∘ (Aq_j)
    for (int j = 0; j < x.q().size(); j++) {
      double[] q = x.q().get(j);
      double[] aq = x.aq()[j];
      for (int t = 0; t < n; t++) full[t] += q[t] * aq[t];
    }
    Welford acc = new Welford(n);
    for (int i = 0; i < k; i++) {
      double[] d = full.clone();
      double[] s = x.s()[i];
      if (s != null) {
        double[] qs = Orthonormal.times(x.q(), s, n);
        double[] aqs = Orthonormal.times(List.of(x.aq()), s, n);
        for (int t = 0; t < n; t++) d[t] -= qs[t] * aqs[t]; // diag(Q s sᵀ Qᵀ A)
      }
      double[] wi = w.get(i);
      double[] comp = x.complement(i, wi, y[i]);
      for (int t = 0; t < n; t++) d[t] += wi[t] * comp[t]; // w ∘ (I − Q_iQ_iᵀ)Aw / w², w² = 1
      acc.add(d);
    }
    return acc.finish(k + x.q().size());
  }

  /** Running mean and sum of squared deviations per entry (Welford), in probe order. */
  private static final class Welford {
    private final double[] mean;
    private final double[] m2;
    private int count;

    Welford(int n) {
      mean = new double[n];
      m2 = new double[n];
    }

    void add(double[] x) {
      count++;
      for (int i = 0; i < x.length; i++) {
        double delta = x[i] - mean[i];
        mean[i] += delta / count;
        m2[i] += delta * (x[i] - mean[i]);
      }
    }

    Estimate finish(long products) {
      double[] se = new double[mean.length];
      for (int i = 0; i < se.length; i++) se[i] = Math.sqrt(m2[i] / (count - 1) / count);
      return new Estimate(mean, se, products);
    }
  }
}
