package io.pullback.job;

import io.pullback.io.Json;
import io.pullback.io.Npy;
import io.pullback.io.Location;
import io.pullback.io.Plots;
import io.pullback.linalg.DenseOps;
import io.pullback.linalg.SpectralDensity;
import io.pullback.linalg.TopEigen;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.MemoryPlan;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.RepresentationOptions;
import io.pullback.metric.representation.Representations;
import io.pullback.model.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * The {@code spectrum} command's work: the metric through {@link MetricRoute} (auto:
 * {@link MemoryPlan#auto} for products), its eigenvalues — all of them by LAPACK {@code dsyevd} when
 * N ≤ the dense limit ({@code O(N³)} on the driver, {@code 8·N²} bytes), otherwise the top k by block
 * Lanczos on {@code G·v} ({@link TopEigen}: at most m products, one data pass each for implicit,
 * stopping when the top k residuals are below {@code tol·θ₁}; {@code 8·m·N} bytes) — and the
 * published {@code spectrum.json}, {@code eigenvalues.npy}, {@code spectrum.png},
 * {@code eigenvectors.npy} (N×k, when asked), {@code layers.json} (each layer block's top k and
 * trace, when asked) and {@code manifest.json}. With a {@link DensityConfig} it instead estimates
 * the eigenvalue density by stochastic Lanczos quadrature on {@code G·v} ({@link SpectralDensity}:
 * P probes × S steps, i.e. P·S products, one data pass each for implicit; {@code 8·S·N} bytes) and
 * publishes {@code density.json}, {@code density.png} and {@code manifest.json}; the metric is never
 * formed, so this works for every representation with {@code mv}. Every product is checked finite
 * before it reaches LAPACK (exit 3 otherwise).
 */
public final class SpectrumJob {
  private SpectrumJob() {}

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SpectrumJob.class);

  /**
   * @param representation null for auto
   * @param lanczosSteps null for {@link #defaultBudget} products (eigenvalues) or {@link #DEFAULT_DENSITY_STEPS} (density)
   * @param density null for eigenvalues, else the density's probes and grid
   * @param topk eigenvectors, per-layer spectra and the residual tolerance of the eigenvalues
   */
  public record Config(InputConfig input, MetricKind metric, int samples, RepresentationKind representation, int denseLimit,
                       int top, Integer lanczosSteps, DensityConfig density, TopConfig topk, RepresentationOptions options, String out) {
    Map<String, Object> toMap() {
      Map<String, Object> config = new LinkedHashMap<>(input.toMap());
      config.put("metric", metric.cliName());
      config.put("representation", representation == null ? "auto" : representation.cliName());
      if (density == null) {
        config.put("top", top);
        config.put("eigenvectors", topk.eigenvectors());
        config.put("per_layer", topk.perLayer());
        config.put("residual_tol", topk.residualTol());
        if (lanczosSteps != null) config.put("lanczos_steps", lanczosSteps);
      } else {
        config.put("density", true);
        config.put("probes", density.probes());
        config.put("lanczos_steps", densitySteps());
        config.put("grid", density.grid());
      }
      config.put("out", out.toString());
      return config;
    }

    int densitySteps() {
      return lanczosSteps != null ? lanczosSteps : DEFAULT_DENSITY_STEPS;
    }

    MetricRoute.Route route() {
      return new MetricRoute.Route(input, metric, samples, representation, denseLimit, options, out);
    }
  }

  /** Lanczos steps per probe of the density when none are given. */
  public static final int DEFAULT_DENSITY_STEPS = 80;

  /** The residual tolerance of the top-k eigenpairs when none is given (relative to θ₁). */
  public static final double DEFAULT_RESIDUAL_TOL = 1e-8;

  /**
   * What the eigenvalue spectrum writes beyond {@code spectrum.json}.
   *
   * @param eigenvectors write {@code eigenvectors.npy} (N×k, column j the eigenvector of the j-th largest)
   * @param perLayer write {@code layers.json}: each layer block's top k and trace
   * @param residualTol block Lanczos stops when every top-k residual is at most {@code residualTol·θ₁}
   */
  public record TopConfig(boolean eigenvectors, boolean perLayer, double residualTol) {
    public TopConfig {
      if (!(residualTol > 0 && residualTol < 1)) {
        throw io.pullback.PullbackException.usage("{residualTol} must be in (0, 1), got " + residualTol);
      }
    }
  }

  /**
   * The density's parameters.
   *
   * @param probes Rademacher probes P (≥ 1)
   * @param grid grid points G (≥ 2)
   */
  public record DensityConfig(int probes, int grid) {
    public DensityConfig {
      if (probes < 1) throw io.pullback.PullbackException.usage("{probes} must be >= 1, got " + probes);
      if (grid < 2) throw io.pullback.PullbackException.usage("{grid} must be >= 2, got " + grid);
    }
  }

  /** What the density command prints: probes, steps per probe, products {@code G·v} made, and the grid. */
  public record DensityResult(int probes, int lanczosSteps, long passes, boolean logGrid, double width) {}

  /** What the command prints; {@code layers} is empty without per-layer spectra. */
  public record Result(double[] top, double trace, double effectiveRank, int layers) {}

  /** Eigenvalues, descending, how they were found, the top eigenvectors (k × N, or null) and extra summary keys. */
  private record Eigen(double[] descending, String method, double[][] vectors, Map<String, Object> extra) {}

  public static Result run(RunContext ctx, Config c) {
    if (c.density() != null) throw new IllegalArgumentException("a density config runs through density(), not run()");
    return MetricRoute.withMetric(ctx, "spectrum", c.toMap(), c.route(), (m, staging) -> {
      long t0 = System.nanoTime();
      int n = m.model().numParams();
      double[] dense = n <= c.denseLimit() ? finiteDense(m, n) : null;
      UnaryOperator<double[]> op = m.products(new AtomicLong());
      Eigen eigen = eigen(dense, op, n, c, c.input().seed());
      Map<String, Object> summary = summary(c, m.model(), m.kind(), m.data().examples(), m.g(), eigen);
      FiniteResults.requireFinite(eigen.descending(), "eigenvalues", m.data());
      FiniteResults.requireFinite(new double[] {(double) summary.get("trace"), (double) summary.get("frobenius_norm")},
          "trace and Frobenius norm", m.data());
      List<Map<String, Object>> layers = c.topk().perLayer() ? perLayer(m, dense, op, c) : List.of();
      summary.put("eigen_seconds", (System.nanoTime() - t0) / 1e9);
      summary.putAll(ctx.numericLibraries()); // blas, lapack, native_libraries
      write(staging, c, m.model(), m.kind(), eigen, summary);
      if (c.topk().perLayer()) Json.writeJson(staging.resolve("layers.json"), Map.of("layers", layers));
      return new Result(Arrays.copyOf(eigen.descending(), Math.min(c.top(), eigen.descending().length)),
          (double) summary.get("trace"), (double) summary.get("effective_rank"), layers.size());
    });
  }

  /** The dense matrix, refused (exit 3) when an entry is not finite. */
  private static double[] finiteDense(MetricRoute.Built m, int n) {
    double[] dense = m.g().toDense();
    String bad = FiniteResults.firstNonFinite(dense, n, "G");
    if (bad != null) {
      throw io.pullback.PullbackException.data("the metric is not finite: " + bad + "; nothing was written. "
          + FiniteResults.likelyCause(m.data()));
    }
    return dense;
  }

  /**
   * The eigenvalue density by SLQ (see the class comment): {@code density.json} with exactly
   * {@code grid}, {@code density}, {@code probes}, {@code lanczos_steps}, {@code method} ("slq"),
   * {@code seed} (the input's {@code --seed}) and {@code passes} (block products {@code G·V} made, the
   * probes advancing together, see {@link SpectralDensity#blockQuadrature}: one data pass each for
   * implicit, S·⌈P/g⌉ in all; fewer when Krylov spaces close early), and
   * {@code density.png} (log-log).
   */
  public static DensityResult density(RunContext ctx, Config c) {
    DensityConfig dc = java.util.Objects.requireNonNull(c.density(), "density config");
    int steps = c.densitySteps();
    if (steps < 1) throw io.pullback.PullbackException.usage("{lanczosSteps} must be >= 1, got " + steps);
    return MetricRoute.withMetric(ctx, "spectrum", c.toMap(), c.route(), (m, staging) -> {
      int n = m.model().numParams();
      AtomicLong products = new AtomicLong();
      UnaryOperator<double[][]> op = m.blockProducts(products);
      SpectralDensity.Density d = SpectralDensity.smooth(SpectralDensity.blockQuadrature(op, n, dc.probes(), steps, c.input().seed()), dc.grid());
      FiniteResults.requireFinite(d.density(), "spectral density", m.data());
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("grid", d.grid());
      json.put("density", d.density());
      json.put("probes", dc.probes());
      json.put("lanczos_steps", steps);
      json.put("method", "slq");
      json.put("seed", c.input().seed());
      json.put("passes", products.get());
      Json.writeJson(staging.resolve("density.json"), json);
      String title = "Spectral density of the " + c.metric().cliName() + " metric (" + m.model().kind() + ", N = " + n + ", "
          + m.kind().cliName() + "; SLQ " + dc.probes() + " probes × " + steps + " steps, σ = " + io.pullback.io.Numbers.sig(d.width(), 2)
          + (d.logGrid() ? " in ln λ)" : ")");
      Plots.write(Plots.densityChart(title, new Plots.Series("slq", d.grid(), d.density())), staging.resolve("density.png"));
      return new DensityResult(dc.probes(), steps, products.get(), d.logGrid(), d.width());
    });
  }

  /** All eigenpairs by dsyevd (the dense matrix given), else the top k by block Lanczos on {@code op}. */
  private static Eigen eigen(double[] dense, UnaryOperator<double[]> op, int n, Config c, long seed) {
    int k = Math.min(c.top(), n);
    if (dense != null) {
      double[] a = dense.clone();
      double[] ascending = DenseOps.eigh(a, n);
      double[][] vectors = null;
      if (c.topk().eigenvectors()) {
        vectors = new double[k][n];
        for (int j = 0; j < k; j++) System.arraycopy(a, (n - 1 - j) * n, vectors[j], 0, n); // column-major columns
      }
      return new Eigen(reversed(ascending), "dsyevd", vectors, Map.of());
    }
    int budget = c.lanczosSteps() != null ? c.lanczosSteps() : defaultBudget(c.top());
    if (budget < k) throw io.pullback.PullbackException.usage("{lanczosSteps} must be at least {top} = " + k + ", got " + budget);
    TopEigen.Eigenpairs e = TopEigen.top(op, n, k, budget, c.topk().residualTol(), seed, c.topk().eigenvectors());
    if (!e.converged()) {
      LOG.warn("block Lanczos stopped at {} products before the top {} residuals reached {}·θ₁: {}; raise --lanczos-steps",
          e.products(), k, c.topk().residualTol(), Arrays.toString(e.residuals()));
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("passes", e.products());
    extra.put("residuals", e.residuals());
    extra.put("residual_tol", c.topk().residualTol());
    extra.put("converged", e.converged());
    return new Eigen(reversed(e.ritzAscending()), "lanczos (block of " + k + ", " + e.products() + " products)", e.vectors(), extra);
  }

  /** Products of the block Lanczos iteration when {@code --lanczos-steps} is not given: {@code 10·k + 50}. */
  public static int defaultBudget(int top) {
    return 10 * top + 50;
  }

  private static double[] reversed(double[] ascending) {
    double[] out = new double[ascending.length];
    for (int i = 0; i < out.length; i++) out[i] = ascending[out.length - 1 - i];
    return out;
  }

  /**
   * Each layer block {@code G_ll} (θ indices {@code [s_l, s_{l+1})}, {@link Representations#groupStarts}):
   * its top k eigenvalues (dsyevd on the block of the dense matrix, or block Lanczos on
   * {@code v_l ↦ (G·[0; v_l; 0])_l}, one product of G each) and its trace {@code Σ_{i ∈ l} G_ii}.
   */
  private static List<Map<String, Object>> perLayer(MetricRoute.Built m, double[] dense, UnaryOperator<double[]> op, Config c) {
    if (!(m.model() instanceof io.pullback.model.LayeredModel)) {
      throw io.pullback.PullbackException.usage("{perLayer} needs a layered model (logistic, softmax or mlp), got " + m.model().kind());
    }
    int n = m.model().numParams();
    int[] starts = Representations.groupStarts(m.model());
    double[] diagonal = m.g().diagonal();
    List<Map<String, Object>> layers = new ArrayList<>();
    for (int l = 0; l + 1 < starts.length; l++) {
      int from = starts[l];
      int size = starts[l + 1] - from;
      double trace = 0;
      for (int i = from; i < from + size; i++) trace += diagonal[i];
      double[] block = dense == null ? null : new double[size * size];
      if (block != null) {
        for (int i = 0; i < size; i++) System.arraycopy(dense, (from + i) * n + from, block, i * size, size);
      }
      UnaryOperator<double[]> restricted = v -> {
        double[] full = new double[n];
        System.arraycopy(v, 0, full, from, size);
        return Arrays.copyOfRange(op.apply(full), from, from + size);
      };
      Config layer = new Config(c.input(), c.metric(), c.samples(), c.representation(), c.denseLimit(), c.top(), c.lanczosSteps(),
          null, new TopConfig(false, false, c.topk().residualTol()), c.options(), c.out());
      Eigen e = eigen(block, restricted, size, layer, c.input().seed() + l);
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("layer", l);
      entry.put("start", from);
      entry.put("size", size);
      entry.put("top", Arrays.copyOf(e.descending(), Math.min(c.top(), e.descending().length)));
      entry.put("trace", trace);
      entry.put("method", e.method());
      entry.putAll(e.extra());
      FiniteResults.requireFinite(e.descending(), "layer " + l + " eigenvalues", m.data());
      layers.add(entry);
    }
    return layers;
  }

  private static Map<String, Object> summary(Config c, Model model, RepresentationKind rk, long examples,
                                             MetricRepresentation g, Eigen eigen) {
    double[] descending = eigen.descending();
    double[] ascending = new double[descending.length];
    for (int i = 0; i < descending.length; i++) ascending[i] = descending[descending.length - 1 - i];
    double trace = g.trace();
    double frob = g.frobeniusNorm();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("command", "spectrum");
    summary.put("metric", c.metric().cliName());
    summary.put("model", model.kind());
    summary.put("representation", rk.cliName());
    summary.put("n_params", model.numParams());
    summary.put("examples", examples);
    summary.put("method", eigen.method());
    summary.put("top", Arrays.copyOf(descending, Math.min(c.top(), descending.length)));
    summary.put("bottom", Arrays.copyOf(ascending, Math.min(c.top(), ascending.length)));
    summary.put("trace", trace);
    summary.put("frobenius_norm", frob);
    summary.put("effective_rank", frob > 0 ? trace * trace / (frob * frob) : 0.0);
    if (eigen.method().equals("dsyevd")) summary.put("entropy_effective_rank", entropyRank(ascending));
    summary.putAll(eigen.extra());
    return summary;
  }

  private static void write(Location staging, Config c, Model model, RepresentationKind rk, Eigen eigen, Map<String, Object> summary) {
    double[] descending = eigen.descending();
    Npy.writeVector(staging.resolve("eigenvalues.npy"), descending);
    double[] index = new double[descending.length];
    for (int i = 0; i < index.length; i++) index[i] = i + 1;
    Plots.write(Plots.spectrumChart("Spectrum of the " + c.metric().cliName() + " metric (" + model.kind()
        + ", N = " + model.numParams() + ", " + eigen.method() + ")", List.of(new Plots.Series(rk.cliName(), index, descending))),
        staging.resolve("spectrum.png"));
    Json.writeJson(staging.resolve("spectrum.json"), summary);
    if (eigen.vectors() != null) {
      double[][] x = eigen.vectors();
      int n = model.numParams();
      double[] rowMajor = new double[n * x.length];
      for (int j = 0; j < x.length; j++) {
        for (int i = 0; i < n; i++) rowMajor[i * x.length + j] = x[j][i];
      }
      Npy.writeMatrix(staging.resolve("eigenvectors.npy"), rowMajor, n, x.length);
    }
  }

  /** {@code exp(−Σ p log p)} with {@code p = λ⁺/Σλ⁺}: the entropy effective rank. */
  static double entropyRank(double[] eigenvalues) {
    double sum = 0;
    for (double l : eigenvalues) sum += Math.max(0, l);
    if (sum <= 0) return 0;
    double h = 0;
    for (double l : eigenvalues) {
      double p = Math.max(0, l) / sum;
      if (p > 0) h -= p * Math.log(p);
    }
    return Math.exp(h);
  }
}
