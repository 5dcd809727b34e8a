package io.pullback.job;

import io.pullback.distributed.LoadedData;
import io.pullback.distributed.SparkBlockData;
import io.pullback.io.Json;
import io.pullback.io.Manifest;
import io.pullback.io.Npy;
import io.pullback.io.Location;
import io.pullback.io.OutputDirectory;
import io.pullback.io.Plots;
import io.pullback.linalg.Lanczos;
import io.pullback.linalg.SpectralDensity;
import io.pullback.linalg.Spectra;
import io.pullback.metric.FactorRows;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.MemoryPlan;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.RepresentationOptions;
import io.pullback.metric.representation.Representations;
import io.pullback.model.Model;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * The {@code spectrum} command's work: the metric through {@link Representations#build} (auto:
 * {@link MemoryPlan#auto} for products), its eigenvalues — all of them by LAPACK {@code dsyevd} when
 * N ≤ the dense limit ({@code O(N³)} on the driver, {@code 8·N²} bytes), otherwise the top and bottom
 * Ritz values of {@code m} Lanczos steps on {@code G·v} ({@code m} products, one data pass each for
 * implicit; {@code 8·m·N} bytes) — and the published {@code spectrum.json}, {@code eigenvalues.npy},
 * {@code spectrum.png} and {@code manifest.json}. With a {@link DensityConfig} it instead estimates
 * the eigenvalue density by stochastic Lanczos quadrature on {@code G·v} ({@link SpectralDensity}:
 * P probes × S steps, i.e. P·S products, one data pass each for implicit; {@code 8·S·N} bytes) and
 * publishes {@code density.json}, {@code density.png} and {@code manifest.json}; the metric is never
 * formed, so this works for every representation with {@code mv}.
 */
public final class SpectrumJob {
  private SpectrumJob() {}

  /**
   * @param representation null for auto
   * @param lanczosSteps null for {@code 3·top + 20} (eigenvalues) or {@link #DEFAULT_DENSITY_STEPS} (density)
   * @param density null for eigenvalues, else the density's probes and grid
   */
  public record Config(InputConfig input, MetricKind metric, int samples, RepresentationKind representation, int denseLimit,
                       int top, Integer lanczosSteps, DensityConfig density, RepresentationOptions options, String out) {
    Map<String, Object> toMap() {
      Map<String, Object> config = new LinkedHashMap<>(input.toMap());
      config.put("metric", metric.cliName());
      config.put("representation", representation == null ? "auto" : representation.cliName());
      if (density == null) {
        config.put("top", top);
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
  }

  /** Lanczos steps per probe of the density when none are given. */
  public static final int DEFAULT_DENSITY_STEPS = 80;

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

  /** What the command prints. */
  public record Result(double[] top, double trace, double effectiveRank) {}

  /** Eigenvalues, descending, and how they were found. */
  private record Eigen(double[] descending, String method) {}

  public static Result run(RunContext ctx, Config c) {
    if (c.density() != null) throw new IllegalArgumentException("a density config runs through density(), not run()");
    return withMetric(ctx, c, (m, staging) -> {
      long t0 = System.nanoTime();
      Eigen eigen = eigenvalues(m.g(), m.model().numParams(), c, c.input().seed(), m.data());
      Map<String, Object> summary = summary(c, m.model(), m.kind(), m.data().examples(), m.g(), eigen);
      FiniteResults.requireFinite(eigen.descending(), "eigenvalues", m.data());
      FiniteResults.requireFinite(new double[] {(double) summary.get("trace"), (double) summary.get("frobenius_norm")},
          "trace and Frobenius norm", m.data());
      summary.put("eigen_seconds", (System.nanoTime() - t0) / 1e9);
      summary.putAll(ctx.numericLibraries()); // blas, lapack, native_libraries
      write(staging, c, m.model(), m.kind(), eigen, summary);
      return new Result(Arrays.copyOf(eigen.descending(), Math.min(c.top(), eigen.descending().length)),
          (double) summary.get("trace"), (double) summary.get("effective_rank"));
    });
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
    return withMetric(ctx, c, (m, staging) -> {
      int n = m.model().numParams();
      AtomicLong products = new AtomicLong();
      UnaryOperator<double[][]> op = vs -> {
        products.incrementAndGet();
        return m.g().mm(vs);
      };
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

  /** The metric a command works on, with its model, representation and data. */
  private record Built(MetricRepresentation g, Model model, RepresentationKind kind, LoadedData data) {}

  /** What a command does with its metric: writes into the staging folder and returns what it prints. */
  private interface Work<R> {
    R apply(Built metric, Location staging);
  }

  /** Checks, loads, builds the metric, runs {@code work}, writes the manifest and publishes the folder. */
  private static <R> R withMetric(RunContext ctx, Config c, Work<R> work) {
    InputConfig in = c.input();
    Manifest manifest = Manifest.start("spectrum", c.toMap());
    Preflight.beforeSpark(in, c.out(), "choose a new {out} or remove it");
    try (OutputDirectory dir = OutputDirectory.prepare(Location.of(c.out(), ctx.hadoopConf(), "out"))) {
      FactorRows probe = new FactorRows(in.model(1), c.metric(), c.samples(), in.seed());
      // The plan is checked before any example is read when D is known from the header or --features.
      Integer knownDim = in.knownDimension(ctx.hadoopConf());
      RepresentationKind planned = null;
      if (knownDim != null) {
        in.checkParams(knownDim, ctx.hadoopConf());
        planned = plan(ctx, c, in.model(knownDim), probe.rowsPerExample(), knownDim);
      }
      LoadedData data = in.load(ctx.spark(), probe.rowsPerExample());
      try {
        manifest.inputs(ctx.hadoopConf(), data.inputPaths());
        Model model = in.model(data.dim());
        FactorRows rows = new FactorRows(model, c.metric(), c.samples(), in.seed());
        RepresentationKind rk = planned != null ? planned : plan(ctx, c, model, probe.rowsPerExample(), data.dim());
        MetricRepresentation g;
        try {
          g = Representations.build(rk, new SparkBlockData(data, ctx.reduceBudgetBytes()), rows, in.initialParams(model, ctx.hadoopConf()),
              c.options().withTileSize(TrainJob.BLOCKED_TILE_SIZE));
        } catch (io.pullback.PullbackException e) {
          throw FiniteResults.withCause(e, data);
        } catch (IllegalArgumentException e) {
          throw io.pullback.PullbackException.usage("{representation} " + rk + ": " + e.getMessage());
        }
        R result = work.apply(new Built(g, model, rk, data), dir.folder());
        manifest.finish(ctx.sparkInfo(), ctx.numericLibraries()).write(dir.folder());
        dir.publish();
        g.release();
        return result;
      } finally {
        data.release();
      }
    }
  }

  private static RepresentationKind plan(RunContext ctx, Config c, Model model, int rowsPerExample, int dim) {
    return Preflight.plan(ctx, c.input(), model, rowsPerExample, dim, c.representation(), c.denseLimit(),
        MemoryPlan.Purpose.PRODUCTS, c.options().withTileSize(TrainJob.BLOCKED_TILE_SIZE));
  }

  /** All eigenvalues (dsyevd) when N ≤ the dense limit, else Lanczos Ritz values. */
  private static Eigen eigenvalues(MetricRepresentation g, int n, Config c, long seed, LoadedData data) {
    double[] ascending;
    String method;
    if (n <= c.denseLimit()) {
      double[] dense = g.toDense();
      String bad = FiniteResults.firstNonFinite(dense, n, "G");
      if (bad != null) {
        throw io.pullback.PullbackException.data("the metric is not finite: " + bad + "; nothing was written. "
            + FiniteResults.likelyCause(data));
      }
      ascending = Spectra.eigenvalues(dense, n);
      method = "dsyevd";
    } else {
      int steps = c.lanczosSteps() != null ? c.lanczosSteps() : 3 * c.top() + 20;
      ascending = Lanczos.ritzValues(g::mv, n, steps, seed);
      method = "lanczos (" + steps + " steps)";
    }
    double[] descending = new double[ascending.length];
    for (int i = 0; i < ascending.length; i++) descending[i] = ascending[ascending.length - 1 - i];
    return new Eigen(descending, method);
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
