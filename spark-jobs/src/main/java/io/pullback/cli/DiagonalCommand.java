package io.pullback.cli;

import io.pullback.PullbackException;
import io.pullback.job.AnalysisJob;
import io.pullback.job.RunContext;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code pullback diagonal}: {@code diag G}, exact (the representation's one-pass diagonal) or
 * estimated from {@code --probes P} products {@code G·v} (Hutchinson or XDiag), written as
 * {@code diagonal.npy}, {@code diagonal.json} and {@code manifest.json}. The work is
 * {@link AnalysisJob#diagonal}'s; this class reads and checks the flags.
 */
@Command(name = "diagonal", mixinStandardHelpOptions = true, sortOptions = false,
    header = "The diagonal of a metric, exact or estimated from products G·v.",
    description = {"diag G with --estimator exact|hutchinson|xdiag (stochastic ones from --probes P products G·v, seeded Rademacher probes),",
        "written as diagonal.npy and diagonal.json (with a standard error) to --out. See docs/analysis.md."})
public final class DiagonalCommand implements Callable<Integer> {

  @ParentCommand
  private PullbackCli parent;

  @Mixin
  InputOptions input;

  @Mixin
  MetricOptions metric = new MetricOptions();

  @Option(names = "--estimator", paramLabel = "exact|hutchinson|xdiag", description = "Diagonal estimator (default: ${DEFAULT-VALUE}).", defaultValue = "exact")
  String estimator;

  @Option(names = "--probes", paramLabel = "P", description = "Products G·v of hutchinson (P >= 2) or xdiag (even) (default: 30).")
  Integer probes;

  @Mixin
  RepresentationOptionsMixin representationOptions = new RepresentationOptionsMixin();

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder; must not exist or be empty.")
  String out;

  @Override
  public Integer call() {
    if (estimator.equals("exact") && probes != null) throw PullbackException.usage("--probes applies only to hutchinson and xdiag, not to --estimator exact");
    AnalysisJob.Config config = TraceCommand.config(input, metric, estimator, probes != null ? probes : AnalysisJob.DEFAULT_PROBES,
        representationOptions, out);
    AnalysisJob.diagonalMethod(config);
    io.pullback.job.Preflight.beforeSpark(config.input(), config.out(), "choose a new --out or remove it");
    parent.terminal().status("diagonal");
    AnalysisJob.Result r = AnalysisJob.diagonal(RunContext.of(parent.sessions().session(config.input().master())), config);
    parent.out().println("diagonal: sum " + r.estimate() + ", standard error " + r.stdError() + " (" + estimator + ", " + r.passes()
        + " passes); wrote " + config.out());
    return 0;
  }
}
