package io.pullback.experiment;

import io.pullback.cli.CommandPlugin;
import io.pullback.cli.PullbackCli;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code pullback run EXPERIMENT.yaml}: every arm of an experiment, then a report. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Runs an experiment (conf/experiments/NAME.yaml): each arm is a train run; then writes",
        "report.md, report.html, PNG plots, results.json and manifest.json to --out."})
public final class RunCommand implements Callable<Integer>, CommandPlugin {
  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  @ParentCommand
  private PullbackCli parent;

  @Parameters(index = "0", paramLabel = "EXPERIMENT.yaml", description = "The experiment file.")
  String experiment;

  @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: runs/NAME, or runs/NAME/ID with --run-id).")
  String out;

  @Option(names = "--set", paramLabel = "key=value", description = "Override a train option of every arm (steps=5) or of one arm (ngd.lr=0.5).")
  List<String> overrides;

  @Option(names = "--run-id", paramLabel = "ID", description = "Make the run idempotent: a finished run is not redone, an interrupted one resumes.")
  String runId;

  @Option(names = "--master", paramLabel = "URL", description = "Spark master for bin/pullback (default local[*]); ignored under spark-submit.")
  String master;

  @Override
  public Integer call() {
    io.pullback.io.Location dir = ExperimentRunner.run(parent.sessions().session(master), new ExperimentRunner.Options(experiment, overrides, out, runId),
        System.console() != null ? new TerminalProgress(System.err) : new LogProgress());
    parent.out().println(dir.resolve("report.md"));
    return 0;
  }

  /** A live status line (arm, step, loss, ETA) for a terminal. */
  static final class TerminalProgress implements ExperimentRunner.Progress {
    private final PrintStream err;
    private String header = "";
    private double elapsed;

    TerminalProgress(PrintStream err) {
      this.err = err;
    }

    @Override
    public void armStarted(int index, int arms, String arm, int steps) {
      header = String.format(Locale.ROOT, "[arm %d/%d %s]", index, arms, arm);
      elapsed = 0;
    }

    @Override
    public void step(String arm, int step, int steps, double loss, double seconds) {
      elapsed += seconds;
      double eta = elapsed / step * (steps - step);
      err.printf(Locale.ROOT, "\r%s step %d/%d  loss %.4e  ETA %.0fs   ", header, step, steps, loss, eta);
      err.flush();
    }

    @Override
    public void armDone(String arm) {
      err.printf(Locale.ROOT, "\r%s done in %.1fs%s%n", header, elapsed, " ".repeat(30));
    }
  }

  /** Plain log lines when not on a terminal (each step is logged by the train loop itself). */
  static final class LogProgress implements ExperimentRunner.Progress {
    @Override
    public void armStarted(int index, int arms, String arm, int steps) {
      LOG.info("arm {}/{} {}: {} steps", index, arms, arm, steps);
    }

    @Override
    public void step(String arm, int step, int steps, double loss, double seconds) {
      // the train loop logs every step
    }

    @Override
    public void armDone(String arm) {
      LOG.info("arm {} done", arm);
    }
  }
}
