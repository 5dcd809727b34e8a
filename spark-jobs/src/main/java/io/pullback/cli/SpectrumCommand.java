package io.pullback.cli;

import io.pullback.PullbackException;
import io.pullback.distributed.LoadedData;
import io.pullback.distributed.SparkBlockData;
import io.pullback.io.Json;
import io.pullback.io.Manifest;
import io.pullback.io.Npy;
import io.pullback.io.OutputDirectory;
import io.pullback.job.EstimateJob;
import io.pullback.job.InputConfig;
import io.pullback.job.TrainJob;
import io.pullback.linalg.Blas;
import io.pullback.linalg.Lanczos;
import io.pullback.metric.FactorRows;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.MemoryPlan;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.Representations;
import io.pullback.model.Model;
import io.pullback.report.Plots;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code pullback spectrum}: the eigenvalues of a metric: the whole spectrum by LAPACK
 * {@code dsyevd} when the dense matrix is small (N ≤ {@code --dense-limit}), otherwise the top and
 * bottom {@code --top} Ritz values of {@code --lanczos-steps} Lanczos steps on {@code mv} (one data
 * pass per step for implicit). Writes {@code spectrum.json} (top, bottom, trace, Frobenius norm,
 * effective rank {@code (tr G)²/‖G‖_F²}, and with the full spectrum the entropy effective rank
 * {@code exp(−Σ p log p)}, {@code p = λ/Σλ}), {@code eigenvalues.npy}, {@code spectrum.png} and
 * {@code manifest.json}.
 */
@Command(name = "spectrum", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Eigenvalues of a metric (dense dsyevd when small, Lanczos on G·v otherwise), trace and effective rank,",
        "written as spectrum.json, eigenvalues.npy and spectrum.png to --out."})
public final class SpectrumCommand implements Callable<Integer> {

  @ParentCommand
  private PullbackCli parent;

  @Mixin
  InputOptions input;

  @Option(names = "--metric", paramLabel = "function|fisher|empirical-fisher|mc-fisher", description = "Metric kind (default: ${DEFAULT-VALUE}).", defaultValue = "function")
  String metric;

  @Option(names = "--samples", paramLabel = "S", description = "Samples per example for mc-fisher (default: ${DEFAULT-VALUE}).", defaultValue = "1")
  int samples;

  @Option(names = "--representation", paramLabel = "auto|dense|blocked|implicit|diag|block-diag|kfac|low-rank|ntk-dual",
      description = "Representation whose spectrum is computed; auto: dense up to --dense-limit, else implicit (default: ${DEFAULT-VALUE}).", defaultValue = "auto")
  String representation;

  @Option(names = "--dense-limit", paramLabel = "N", description = "Largest N solved by dsyevd on the dense matrix (default: ${DEFAULT-VALUE}).", defaultValue = "4096")
  int denseLimit;

  @Option(names = "--top", paramLabel = "k", description = "How many top and bottom eigenvalues to report (default: ${DEFAULT-VALUE}).", defaultValue = "10")
  int top;

  @Option(names = "--lanczos-steps", paramLabel = "m", description = "Lanczos steps (products G·v) when N > --dense-limit (default: 3·top + 20).")
  Integer lanczosSteps;

  @Mixin
  RepresentationOptionsMixin representationOptions = new RepresentationOptionsMixin();

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder; must not exist or be empty.")
  Path out;

  @Override
  public Integer call() {
    MetricKind kind;
    try {
      kind = MetricKind.parse(metric);
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("--metric: " + e.getMessage());
    }
    if (top < 1) throw PullbackException.usage("--top must be >= 1, got " + top);
    if (denseLimit < 1) throw PullbackException.usage("--dense-limit must be >= 1, got " + denseLimit);
    if (lanczosSteps != null && lanczosSteps < 1) throw PullbackException.usage("--lanczos-steps must be >= 1, got " + lanczosSteps);
    if (samples < 1) throw PullbackException.usage("--samples must be >= 1, got " + samples);
    if (!representation.equals("auto")) {
      try {
        RepresentationKind.parse(representation);
      } catch (IllegalArgumentException e) {
        throw PullbackException.usage("--representation: " + e.getMessage());
      }
    }
    InputConfig in = input.toConfig();
    var options = representationOptions.toOptions(in.seed(), false);
    SparkSession spark = parent.sessions().session(in.master());
    Map<String, Object> config = new LinkedHashMap<>(in.toMap());
    config.put("metric", kind.cliName());
    config.put("representation", representation);
    config.put("top", top);
    config.put("out", out.toString());
    Manifest manifest = Manifest.start("spectrum", config);
    try (OutputDirectory dir = OutputDirectory.prepare(out)) {
      FactorRows probe = new FactorRows(in.model(1), kind, samples, in.seed());
      LoadedData data = in.load(spark, probe.rowsPerExample());
      try {
        manifest.inputs(spark, data.inputPaths());
        Model model = in.model(data.dim());
        int n = model.numParams();
        double[] theta = in.initialParams(model);
        FactorRows rows = new FactorRows(model, kind, samples, in.seed());
        RepresentationKind rk = representation.equals("auto")
            ? MemoryPlan.auto(n, denseLimit, MemoryPlan.Purpose.PRODUCTS)
            : RepresentationKind.parse(representation);
        MetricRepresentation g;
        try {
          g = Representations.build(rk, new SparkBlockData(data, EstimateJob.reduceBudget(spark)), rows, theta,
              options.withTileSize(TrainJob.BLOCKED_TILE_SIZE));
        } catch (IllegalArgumentException e) {
          throw PullbackException.usage("--representation " + rk + ": " + e.getMessage());
        }
        long t0 = System.nanoTime();
        double[] ascending;
        String method;
        if (n <= denseLimit) {
          double[] dense = g.toDense();
          ascending = io.pullback.linalg.Spectra.eigenvalues(dense, n);
          method = "dsyevd";
        } else {
          int steps = lanczosSteps != null ? lanczosSteps : 3 * top + 20;
          ascending = Lanczos.ritzValues(g::mv, n, steps, in.seed());
          method = "lanczos (" + steps + " steps)";
        }
        double[] descending = new double[ascending.length];
        for (int i = 0; i < ascending.length; i++) descending[i] = ascending[ascending.length - 1 - i];
        double trace = g.trace();
        double frob = g.frobeniusNorm();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("command", "spectrum");
        summary.put("metric", kind.cliName());
        summary.put("model", model.kind());
        summary.put("representation", rk.cliName());
        summary.put("n_params", n);
        summary.put("examples", data.examples());
        summary.put("method", method);
        summary.put("top", Arrays.copyOf(descending, Math.min(top, descending.length)));
        summary.put("bottom", Arrays.copyOf(ascending, Math.min(top, ascending.length)));
        summary.put("trace", trace);
        summary.put("frobenius_norm", frob);
        summary.put("effective_rank", frob > 0 ? trace * trace / (frob * frob) : 0.0);
        if (method.equals("dsyevd")) summary.put("entropy_effective_rank", entropyRank(ascending));
        summary.put("eigen_seconds", (System.nanoTime() - t0) / 1e9);
        summary.putAll(Blas.report()); // blas, lapack, native_libraries
        Npy.writeVector(dir.staging().resolve("eigenvalues.npy"), descending);
        double[] index = new double[descending.length];
        for (int i = 0; i < index.length; i++) index[i] = i + 1;
        Plots.line(dir.staging().resolve("spectrum.png"), "Spectrum of the " + kind.cliName() + " metric (" + model.kind()
            + ", N = " + n + ", " + method + ")", "index (descending)", "eigenvalue", true,
            List.of(new Plots.Series(rk.cliName(), index, descending)));
        Json.writeJson(dir.staging().resolve("spectrum.json"), summary);
        manifest.finish(spark, Blas.report()).write(dir.staging());
        dir.publish();
        parent.out().println("top eigenvalues: " + Arrays.toString(Arrays.copyOf(descending, Math.min(top, descending.length))));
        parent.out().println("trace " + trace + ", effective rank " + summary.get("effective_rank") + "; wrote " + out);
        g.release();
      } finally {
        data.release();
      }
    }
    return 0;
  }

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
