package io.pullback.cli;

import io.pullback.job.AnalysisJob;
import io.pullback.job.InputConfig;
import io.pullback.job.RunContext;
import io.pullback.io.Location;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code pullback trace}: a stochastic estimate of {@code tr G} from {@code --probes P} products
 * {@code G·v} (Hutchinson, Hutch++ or XTrace), written as {@code trace.json} and {@code manifest.json}.
 * The work is {@link AnalysisJob#trace}'s; this class reads and checks the flags.
 */
@Command(name = "trace", mixinStandardHelpOptions = true, sortOptions = false,
    header = "Estimates the trace of a metric from products G·v.",
    description = {"Estimates tr G with --estimator hutchinson|hutchpp|xtrace from --probes P products G·v (seeded Rademacher probes),",
        "written with its standard error as trace.json to --out. See docs/analysis.md."})
public final class TraceCommand implements Callable<Integer> {

  @ParentCommand
  private PullbackCli parent;

  @Mixin
  InputOptions input;

  @Mixin
  MetricOptions metric = new MetricOptions();

  @Option(names = "--estimator", paramLabel = "hutchinson|hutchpp|xtrace", description = "Trace estimator (default: ${DEFAULT-VALUE}).", defaultValue = "xtrace")
  String estimator;

  @Option(names = "--probes", paramLabel = "P", description = "Products G·v to spend: any P >= 2 for hutchinson, a multiple of 3 for hutchpp, even for xtrace (default: ${DEFAULT-VALUE}).", defaultValue = "30")
  int probes;

  @Mixin
  RepresentationOptionsMixin representationOptions = new RepresentationOptionsMixin();

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder; must not exist or be empty.")
  String out;

  @Override
  public Integer call() {
    AnalysisJob.Config config = config(input, metric, estimator, probes, representationOptions, out);
    AnalysisJob.traceMethod(config);
    io.pullback.job.Preflight.beforeSpark(config.input(), config.out(), "choose a new --out or remove it");
    parent.terminal().status("trace");
    AnalysisJob.Result r = AnalysisJob.trace(RunContext.of(parent.sessions().session(config.input().master())), config);
    parent.out().println("trace " + r.estimate() + " ± " + r.stdError() + " (" + estimator + ", " + r.passes() + " products G·v); wrote "
        + config.out());
    return 0;
  }

  /** The job's configuration from the shared option groups. */
  static AnalysisJob.Config config(InputOptions input, MetricOptions metric, String estimator, int probes,
                                   RepresentationOptionsMixin representationOptions, String out) {
    InputConfig in = input.toConfig();
    return new AnalysisJob.Config(in, metric.kind(), metric.samples, metric.representationKind(), metric.denseLimit, estimator, probes,
        representationOptions.toOptions(in.seed(), false), Location.spelling(out));
  }
}
