package io.pullback.linalg;

import dev.ludovic.netlib.lapack.LAPACK;
import io.pullback.data.CounterRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.netlib.util.intW;

/**
 * The eigenvalue density of a symmetric N×N operator from products only: stochastic Lanczos
 * quadrature (SLQ; Golub and Meurant; Ubaru, Chen and Saad 2017), smoothed by a Gaussian.
 *
 * <p><b>Quadrature.</b> For each of P probes {@code v_p} (Rademacher, entry i of probe p the sign of
 * {@link CounterRandom#bits}{@code (seed, i, p, STREAM)}: a pure function of seed, probe and index),
 * S Lanczos steps with full re-orthogonalisation ({@link Lanczos#tridiagonal}) give the tridiagonal
 * {@code T_p = U Θ Uᵀ} (LAPACK {@code dstev}); its eigenvalues {@code θ_j} are the Gauss nodes and
 * {@code τ_j² = U_{0j}²} the weights ({@code Σ_j τ_j² = 1}), so that
 * {@code v_pᵀ f(G) v_p ≈ N Σ_j τ_j² f(θ_j)}, exactly for polynomials of degree ≤ 2S − 1 and for
 * every f when S ≥ N (then the nodes are G's eigenvalues). The density
 * {@code ρ(λ) = (1/P) Σ_p Σ_j τ_{pj}² δ(λ − θ_{pj})} integrates to 1 and estimates
 * {@code (1/N) Σ_i δ(λ − λ_i)}; its moments {@code ∫λ^k ρ} are Hutchinson estimates of
 * {@code tr(G^k)/N}, unbiased with variance {@code 2(‖G^k‖_F² − Σ_i (G^k)_ii²)/(N²P)} for k ≤ 2S − 1.
 *
 * <p><b>Grid and smoothing</b> ({@link #smooth}). With {@code θ_max} the largest node, nodes below
 * the floor {@code 1e-12·θ_max} (zero or rounding-level eigenvalues, e.g. a metric's null space) are
 * put on the floor. When the nodes then span more than one decade ({@code θ_max/θ_min > 10}) the
 * grid is log-spaced and each node is a Gaussian in {@code ln λ} of standard deviation
 * {@code σ = ln(θ_max/θ_min)/100}, i.e. {@code ρ(λ) = Σ w φ_σ(ln λ − ln θ)/λ}; otherwise the grid is
 * linear and each node a Gaussian in λ of {@code σ = (θ_max − θ_min)/100} (when all nodes are equal,
 * {@code σ = 1e-3·|θ|}, or 1 at 0). Either way the grid runs from 4σ below the smallest node to 4σ
 * above the largest, so it holds all but ≈ 3e-5 of the mass. Smoothing changes the moments by a
 * known factor: none for the mean and {@code +σ²} for the second moment on a linear grid,
 * {@code exp(k²σ²/2)} for {@code ∫λ^k ρ} on a log grid.
 *
 * <p>Costs: P·S products, {@code O(P·S²·N)} flops for re-orthogonalisation, {@code 8·S·N} bytes
 * for one probe's basis, {@code O(P·S·G)} for the smoothing on G grid points.
 */
public final class SpectralDensity {
  private SpectralDensity() {}

  /** The counter stream of the probes (distinct from the streams of data and metric sampling). */
  public static final int STREAM = 0x534C51; // "SLQ"

  /** Relative floor below which nodes are taken as zero: {@code 1e-12·θ_max}. */
  public static final double FLOOR = 1e-12;

  /** Node spread (max/min) above which the grid is log-spaced. */
  public static final double LOG_GRID_RATIO = 10;

  /** Smoothing width as a fraction of the nodes' range (in λ, or in ln λ on a log grid). */
  public static final double WIDTH_FRACTION = 0.01;

  /** Gauss nodes (ascending) and weights (summing to 1) of one probe. */
  public record Quadrature(double[] nodes, double[] weights) {}

  /** A smoothed density on its grid, whether the grid is log-spaced and the smoothing width σ. */
  public record Density(double[] grid, double[] density, boolean logGrid, double width) {}

  /** Probe {@code p}: N entries ±1 (see the class comment). */
  public static double[] rademacher(long seed, int probe, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) v[i] = CounterRandom.bits(seed, i, probe, STREAM) < 0 ? -1.0 : 1.0;
    return v;
  }

  /** The Gauss quadrature of each of {@code probes} probes with {@code steps} Lanczos steps each. */
  public static List<Quadrature> quadrature(UnaryOperator<double[]> op, int n, int probes, int steps, long seed) {
    if (probes < 1) throw new IllegalArgumentException("SLQ needs >= 1 probe, got " + probes);
    List<Quadrature> out = new ArrayList<>(probes);
    for (int p = 0; p < probes; p++) out.add(gauss(Lanczos.tridiagonal(op, rademacher(seed, p, n), steps)));
    return out;
  }

  /** Bytes of Lanczos bases held at once by {@link #blockQuadrature}: 256 MiB (a constant, so the grouping never depends on the heap). */
  public static final long GROUP_BYTES = 256L << 20;

  /**
   * As {@link #quadrature}, with the probes advanced together ({@link Lanczos#tridiagonals}): in
   * groups of {@code g = clamp(GROUP_BYTES / (8·S·N), 1, P)} probes, each Lanczos step is one block
   * product {@code G·V} of up to g vectors (for the implicit metric one data pass instead of g).
   * Same probes, same nodes and weights up to the rounding of the products; block products made:
   * {@code S·⌈P/g⌉} (fewer when Krylov spaces close early).
   *
   * @param blockOp {@code V ↦ G·V} on a block of vectors (their count varies from call to call)
   */
  public static List<Quadrature> blockQuadrature(UnaryOperator<double[][]> blockOp, int n, int probes, int steps, long seed) {
    if (probes < 1) throw new IllegalArgumentException("SLQ needs >= 1 probe, got " + probes);
    int group = groupSize(n, probes, steps);
    List<Quadrature> out = new ArrayList<>(probes);
    for (int from = 0; from < probes; from += group) {
      List<double[]> starts = new ArrayList<>();
      for (int p = from; p < Math.min(probes, from + group); p++) starts.add(rademacher(seed, p, n));
      for (Lanczos.Tridiagonal t : Lanczos.tridiagonals(blockOp, starts, steps)) out.add(gauss(t));
    }
    return out;
  }

  /** The probes per group of {@link #blockQuadrature}. */
  public static int groupSize(int n, int probes, int steps) {
    long perProbe = 8L * Math.max(1, Math.min(steps, n)) * n;
    return (int) Math.max(1, Math.min(probes, GROUP_BYTES / perProbe));
  }

  /** Nodes and weights of a tridiagonal's Gauss rule: its eigenvalues and eigenvectors' first entries squared (dstev). */
  public static Quadrature gauss(Lanczos.Tridiagonal t) {
    int k = t.alpha().length;
    double[] d = t.alpha().clone();
    double[] e = new double[Math.max(1, k)];
    System.arraycopy(t.beta(), 0, e, 0, k - 1);
    double[] z = new double[k * k];
    intW info = new intW(0);
    LAPACK lapack = Blas.lapack();
    lapack.dstev("V", k, d, e, z, k, new double[Math.max(1, 2 * k - 2)], info);
    if (info.val != 0) throw new IllegalStateException("dstev failed with info = " + info.val);
    double[] w = new double[k];
    for (int j = 0; j < k; j++) w[j] = z[j * k] * z[j * k]; // column-major: U(0, j)
    return new Quadrature(d, w);
  }

  /** The Gaussian-smoothed density of the quadratures on {@code points} grid points (see the class comment). */
  public static Density smooth(List<Quadrature> quadratures, int points) {
    if (points < 2) throw new IllegalArgumentException("the grid needs >= 2 points, got " + points);
    double max = Double.NEGATIVE_INFINITY;
    double min = Double.POSITIVE_INFINITY;
    for (Quadrature q : quadratures) {
      for (double t : q.nodes()) {
        max = Math.max(max, t);
        min = Math.min(min, t);
      }
    }
    double floor = FLOOR * max;
    boolean log = max > 0 && max / Math.max(min, floor) > LOG_GRID_RATIO;
    double lo = log ? Math.log(Math.max(min, floor)) : min;
    double hi = log ? Math.log(max) : max;
    double sigma = WIDTH_FRACTION * (hi - lo);
    if (!(sigma > 0)) sigma = max != 0 ? 1e-3 * Math.abs(max) : 1;
    double[] u = new double[points];
    double from = lo - 4 * sigma;
    double step = (hi + 4 * sigma - from) / (points - 1);
    for (int i = 0; i < points; i++) u[i] = from + i * step;
    double[] density = new double[points];
    double norm = 1 / (quadratures.size() * sigma * Math.sqrt(2 * Math.PI));
    for (Quadrature q : quadratures) {
      for (int j = 0; j < q.nodes().length; j++) {
        double c = log ? Math.log(Math.max(q.nodes()[j], floor)) : q.nodes()[j];
        double w = q.weights()[j] * norm;
        for (int i = 0; i < points; i++) {
          double z = (u[i] - c) / sigma;
          density[i] += w * Math.exp(-0.5 * z * z);
        }
      }
    }
    double[] grid = new double[points];
    for (int i = 0; i < points; i++) {
      grid[i] = log ? Math.exp(u[i]) : u[i];
      if (log) density[i] /= grid[i]; // per unit λ: dλ = λ d(ln λ)
    }
    return new Density(grid, density, log, sigma);
  }
}
