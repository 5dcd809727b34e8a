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

/**
 * The {@code spectrum} command's work: the metric through {@link Representations#build} (auto:
 * {@link MemoryPlan#auto} for products), its eigenvalues — all of them by LAPACK {@code dsyevd} when
 * N ≤ the dense limit ({@code O(N³)} on the driver, {@code 8·N²} bytes), otherwise the top and bottom
 * Ritz values of {@code m} Lanczos steps on {@code G·v} ({@code m} products, one data pass each for
 * implicit; {@code 8·m·N} bytes) — and the published {@code spectrum.json}, {@code eigenvalues.npy},
 * {@code spectrum.png} and {@code manifest.json}.
 */
public final class SpectrumJob {
  private SpectrumJob() {}

  /**
   * @param representation null for auto
   * @param lanczosSteps null for {@code 3·top + 20}
   */
  public record Config(InputConfig input, MetricKind metric, int samples, RepresentationKind representation, int denseLimit,
                       int top, Integer lanczosSteps, RepresentationOptions options, String out) {
    Map<String, Object> toMap() {
      Map<String, Object> config = new LinkedHashMap<>(input.toMap());
      config.put("metric", metric.cliName());
      config.put("representation", representation == null ? "auto" : representation.cliName());
      config.put("top", top);
      config.put("out", out.toString());
      return config;
    }
  }

  /** What the command prints. */
  public record Result(double[] top, double trace, double effectiveRank) {}

  /** Eigenvalues, descending, and how they were found. */
  private record Eigen(double[] descending, String method) {}

  public static Result run(RunContext ctx, Config c) {
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
        int n = model.numParams();
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
        long t0 = System.nanoTime();
        Eigen eigen = eigenvalues(g, n, c, in.seed(), data);
        Map<String, Object> summary = summary(c, model, rk, data.examples(), g, eigen);
        FiniteResults.requireFinite(eigen.descending(), "eigenvalues", data);
        FiniteResults.requireFinite(new double[] {(double) summary.get("trace"), (double) summary.get("frobenius_norm")},
            "trace and Frobenius norm", data);
        summary.put("eigen_seconds", (System.nanoTime() - t0) / 1e9);
        summary.putAll(ctx.numericLibraries()); // blas, lapack, native_libraries
        write(dir.folder(), c, model, rk, eigen, summary);
        manifest.finish(ctx.sparkInfo(), ctx.numericLibraries()).write(dir.folder());
        dir.publish();
        g.release();
        return new Result(Arrays.copyOf(eigen.descending(), Math.min(c.top(), eigen.descending().length)),
            (double) summary.get("trace"), (double) summary.get("effective_rank"));
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
