package io.pullback.experiment;

import io.pullback.cli.CommandPlugin;
import io.pullback.cli.PullbackCli;
import io.pullback.cli.StepProgress;
import io.pullback.cli.Terminal;
import java.nio.file.Path;
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
    header = "Runs an experiment and writes its report.",
    description = {"Runs an experiment (conf/experiments/NAME.yaml): each arm is a train run; then writes",
        "report.md, report.html, PNG plots, results.json and manifest.json to --out."})
public final class RunCommand implements Callable<Integer>, CommandPlugin {
  /** Not a static field: picocli builds every command for {@code --help}, which must not start logging. */
  private static Logger log() {
    return LoggerFactory.getLogger(RunCommand.class);
  }

  @ParentCommand
  private PullbackCli parent;

  @Parameters(index = "0", paramLabel = "EXPERIMENT.yaml", description = "The experiment file.")
  Path experiment;

  @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: runs/NAME, or runs/NAME/ID with --run-id).")
  Path out;

  @Option(names = "--set", paramLabel = "key=value", description = "Override a train option of every arm (steps=5) or of one arm (ngd.lr=0.5).")
  List<String> overrides;

  @Option(names = "--run-id", paramLabel = "ID", description = "Make the run idempotent: a finished run is not redone, an interrupted one resumes.")
  String runId;

  @Option(names = "--master", paramLabel = "URL", description = "Spark master for bin/pullback (default local[*]); ignored under spark-submit.")
  String master;

  @Override
  public Integer call() {
    Terminal terminal = parent.terminal();
    String name = experiment.getFileName().toString().replaceFirst("\\.ya?ml$", "");
    terminal.status("run " + name);
    Path dir = ExperimentRunner.run(parent.sessions().session(master), new ExperimentRunner.Options(experiment, overrides, out, runId),
        terminal.interactive() ? new TerminalProgress(terminal, name) : new LogProgress());
    terminal.status("run " + name + ": report written");
    parent.out().println(dir.resolve("report.md"));
    return 0;
  }

  /** The arms on the terminal's status line ({@code run seed-basis: arm 2/3 legendre-gd: step 4/40 · loss … · ETA …}). */
  static final class TerminalProgress implements ExperimentRunner.Progress {
    private final Terminal terminal;
    private final String experiment;
    private StepProgress steps;

    TerminalProgress(Terminal terminal, String experiment) {
      this.terminal = terminal;
      this.experiment = experiment;
    }

    @Override
    public void armStarted(int index, int arms, String arm, int total) {
      String prefix = String.format(Locale.ROOT, "run %s: arm %d/%d %s", experiment, index, arms, arm);
      steps = new StepProgress(terminal, prefix);
      terminal.status(prefix);
    }

    @Override
    public void step(String arm, int step, int total, double loss, double seconds) {
      steps.stepDone(step, total, loss, seconds);
    }

    @Override
    public void armDone(String arm) {
      // the next arm (or the report) replaces the line
    }
  }

  /** Plain log lines when not on a terminal (each step is logged by the train loop itself). */
  static final class LogProgress implements ExperimentRunner.Progress {
    @Override
    public void armStarted(int index, int arms, String arm, int steps) {
      log().info("arm {}/{} {}: {} steps", index, arms, arm, steps);
    }

    @Override
    public void step(String arm, int step, int steps, double loss, double seconds) {
      // the train loop logs every step
    }

    @Override
    public void armDone(String arm) {
      log().info("arm {} done", arm);
    }
  }
}
