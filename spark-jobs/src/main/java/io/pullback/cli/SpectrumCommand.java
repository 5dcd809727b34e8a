package io.pullback.cli;

import io.pullback.PullbackException;
import io.pullback.job.InputConfig;
import io.pullback.job.RunContext;
import io.pullback.job.SpectrumJob;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.RepresentationKind;
import java.util.Arrays;
import java.util.concurrent.Callable;
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
 * {@code manifest.json}. With {@code --density}: the eigenvalue density by stochastic Lanczos
 * quadrature ({@code --probes} Rademacher probes × {@code --lanczos-steps} steps on {@code mv},
 * smoothed on {@code --grid} points), written as {@code density.json}, {@code density.png} and
 * {@code manifest.json} instead. The work is {@link SpectrumJob}'s; this class reads and checks the flags.
 */
@Command(name = "spectrum", mixinStandardHelpOptions = true, sortOptions = false,
    header = "Eigenvalues, trace and effective rank of a metric.",
    description = {"Eigenvalues of a metric (dense dsyevd when small, Lanczos on G·v otherwise), trace and effective rank,",
        "written as spectrum.json, eigenvalues.npy and spectrum.png to --out;",
        "with --density, the eigenvalue density by stochastic Lanczos quadrature, written as density.json and density.png."})
public final class SpectrumCommand implements Callable<Integer> {

  @ParentCommand
  private PullbackCli parent;

  @Mixin
  InputOptions input;

  @Option(names = "--metric", paramLabel = "function|fisher|empirical-fisher|mc-fisher", description = "Metric kind (default: ${DEFAULT-VALUE}).", defaultValue = "function")
  String metric;

  @Option(names = "--samples", paramLabel = "S", description = "Samples per example for mc-fisher (default: ${DEFAULT-VALUE}).", defaultValue = "1")
  int samples;

  @Option(names = "--representation", paramLabel = "auto|dense|blocked|implicit|diag|block-diag|kfac|ekfac|low-rank|ntk-dual",
      description = "Representation whose spectrum is computed; auto: dense up to --dense-limit, else implicit (default: ${DEFAULT-VALUE}).", defaultValue = "auto")
  String representation;

  @Option(names = "--dense-limit", paramLabel = "N", description = "Largest N solved by dsyevd on the dense matrix (default: ${DEFAULT-VALUE}).", defaultValue = "4096")
  int denseLimit;

  @Option(names = "--top", paramLabel = "k", description = "How many top and bottom eigenvalues to report (default: ${DEFAULT-VALUE}).", defaultValue = "10")
  int top;

  @Option(names = "--lanczos-steps", paramLabel = "m", description = "Lanczos steps (products G·v): per probe with --density (default: 80), else when N > --dense-limit (default: 3·top + 20).")
  Integer lanczosSteps;

  @Option(names = "--density", description = "Estimate the eigenvalue density by stochastic Lanczos quadrature (density.json, density.png) instead of eigenvalues.")
  boolean density;

  @Option(names = "--probes", paramLabel = "P", description = "Rademacher probes of --density (default: 10).")
  Integer probes;

  @Option(names = "--grid", paramLabel = "G", description = "Grid points of --density (default: 1000).")
  Integer grid;

  @Mixin
  RepresentationOptionsMixin representationOptions = new RepresentationOptionsMixin();

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder; must not exist or be empty.")
  String out;

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
    if (!density && (probes != null || grid != null)) {
      throw PullbackException.usage((probes != null ? "--probes" : "--grid") + " applies only with --density");
    }
    RepresentationKind kindOfRepresentation = null; // auto
    if (!representation.equals("auto")) {
      try {
        kindOfRepresentation = RepresentationKind.parse(representation);
      } catch (IllegalArgumentException e) {
        throw PullbackException.usage("--representation: " + e.getMessage());
      }
    }
    InputConfig in = input.toConfig();
    SpectrumJob.DensityConfig densityConfig = density
        ? new SpectrumJob.DensityConfig(probes != null ? probes : 10, grid != null ? grid : 1000) : null;
    SpectrumJob.Config config = new SpectrumJob.Config(in, kind, samples, kindOfRepresentation, denseLimit, top, lanczosSteps,
        densityConfig, representationOptions.toOptions(in.seed(), false), io.pullback.io.Location.spelling(out));
    io.pullback.job.Preflight.beforeSpark(in, io.pullback.io.Location.spelling(out), "choose a new --out or remove it");
    parent.terminal().status("spectrum");
    if (density) {
      SpectrumJob.DensityResult d = SpectrumJob.density(RunContext.of(parent.sessions().session(in.master())), config);
      parent.out().println("spectral density: " + d.probes() + " probes x " + d.lanczosSteps() + " Lanczos steps, " + d.passes()
          + " products G·v, " + (d.logGrid() ? "log" : "linear") + " grid; wrote " + io.pullback.io.Location.spelling(out));
      return 0;
    }
    SpectrumJob.Result r = SpectrumJob.run(RunContext.of(parent.sessions().session(in.master())), config);
    parent.out().println("top eigenvalues: " + Arrays.toString(r.top()));
    parent.out().println("trace " + r.trace() + ", effective rank " + r.effectiveRank() + "; wrote " + io.pullback.io.Location.spelling(out));
    return 0;
  }
}
