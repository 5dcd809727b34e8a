package io.pullback.cli;

import io.pullback.PullbackException;
import io.pullback.job.EstimateConfig;
import io.pullback.job.EstimateJob;
import io.pullback.job.InputConfig;
import io.pullback.job.RunContext;
import io.pullback.metric.MetricKind;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code pullback estimate}: one exact metric, written to {@code --out}. */
@Command(name = "estimate", mixinStandardHelpOptions = true, sortOptions = false,
    header = "Estimates a metric G on Spark and writes it to --out.",
    description = {
        "Estimates G = (1/M) sum_x R(x)^T R(x) for a model and metric kind on Spark and writes",
        "metric.npy (dense) or metric/ (Parquet tiles), summary.json and manifest.json to --out."})
public final class EstimateCommand implements Callable<Integer> {

  @ParentCommand
  private PullbackCli parent;

  @Mixin
  InputOptions input;

  @Option(names = "--metric", paramLabel = "function|fisher|empirical-fisher|mc-fisher", description = "Metric kind (default: ${DEFAULT-VALUE}).", defaultValue = "function")
  String metric;

  @Option(names = "--samples", paramLabel = "S", description = "Samples per example for mc-fisher (default: ${DEFAULT-VALUE}).", defaultValue = "1")
  int samples;

  @Option(names = "--representation", paramLabel = "auto|dense|blocked|implicit|diag|block-diag|kfac|ekfac|low-rank|ntk-dual",
      description = "dense: one N×N matrix on the driver; blocked: distributed tiles; implicit: never formed (summary only);"
          + " diag, block-diag (per layer), kfac (per-layer Kronecker factors), ekfac (K-FAC's eigenbasis, diagonal re-estimated: one more pass), low-rank (Nyström, --rank), ntk-dual"
          + " (the factor rows' kernel); auto: dense up to --dense-limit, else blocked (default: ${DEFAULT-VALUE}).", defaultValue = "auto")
  String representation;

  @Option(names = "--dense-limit", paramLabel = "N", description = "Largest N estimated densely in auto mode (default: ${DEFAULT-VALUE}).", defaultValue = "4096")
  int denseLimit;

  @Option(names = "--tile-size", paramLabel = "T", description = "Tile side of the blocked representation (default: ${DEFAULT-VALUE}).", defaultValue = "1024")
  int tileSize;

  @Mixin
  RepresentationOptionsMixin representationOptions = new RepresentationOptionsMixin();

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder; must not exist or be empty.")
  String out;

  @Override
  public Integer call() {
    EstimateConfig config = toConfig();
    EstimateJob.checkBeforeSpark(config);
    parent.terminal().status("estimate");
    EstimateJob.run(RunContext.of(parent.sessions().session(config.input().master())), config);
    return 0;
  }

  /** The configuration a map of estimate options describes (experiments use this); errors name {@code context}. */
  public static EstimateConfig configFrom(java.util.Map<String, Object> options, String out, String context) {
    return ConfigFile.parse(new EstimateCommand(), options, out, context).toConfig();
  }

  /** Whether {@code estimate} has an option of this name (without dashes). */
  public static boolean hasOption(String name) {
    return new picocli.CommandLine(new EstimateCommand()).getCommandSpec().findOption("--" + name) != null;
  }

  EstimateConfig toConfig() {
    MetricKind kind;
    try {
      kind = MetricKind.parse(metric);
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("--metric: " + e.getMessage());
    }
    InputConfig in = input.toConfig();
    return new EstimateConfig(in, kind, samples, EstimateConfig.parseRepresentation(representation), denseLimit, tileSize,
        representationOptions.toOptions(in.seed(), false), io.pullback.io.Location.spelling(out));
  }
}
