package io.pullback.cli;

import io.pullback.PullbackException;
import io.pullback.io.BuildInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The {@code pullback} command line, shared by {@code bin/pullback} (local runner) and spark-submit.
 *
 * <p>Exit codes (DESIGN.md section 3): 0 success; 2 bad usage or configuration; 3 bad input data;
 * 1 internal failure. Error messages name the offending flag, file, row or value.
 */
@Command(name = "pullback", mixinStandardHelpOptions = true, versionProvider = PullbackCli.Version.class,
    description = {"Natural-gradient metrics (pull-back of L2, Fisher) estimated on Apache Spark.",
        "On a terminal a command shows one live progress line and only warnings; --verbose adds the INFO log lines.",
        "Documentation: README.md and docs/ in the source tree."},
    subcommands = {EstimateCommand.class, TrainCommand.class, ExportCommand.class, SpectrumCommand.class, TraceCommand.class,
        DiagonalCommand.class})
public final class PullbackCli implements Runnable {
  private final SessionProvider sessions;

  public PullbackCli(SessionProvider sessions) {
    this.sessions = sessions;
  }

  /** Where commands get their Spark session (its stages are shown on the terminal's progress line). */
  public SessionProvider sessions() {
    return master -> {
      org.apache.spark.sql.SparkSession spark = sessions.session(master);
      terminal.follow(spark.sparkContext());
      return spark;
    };
  }

  private PrintWriter out = new PrintWriter(System.out, true);

  /** The command's standard output (results such as report paths go here, logs go to stderr). */
  public PrintWriter out() {
    return out;
  }

  @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
      description = "Show INFO log lines on a terminal too (they are always shown when stderr is not a terminal), and an error's stack trace.")
  boolean verbose;

  private Terminal terminal = Terminal.NONE;

  /** The live progress display of the running command ({@link Terminal#NONE} when stderr is not a terminal). */
  public Terminal terminal() {
    return terminal;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(new CommandLine(this), "a command is required: estimate, train or run (see --help)");
  }

  /** Runs one command line and returns its exit code (never calls System.exit). */
  public static int execute(String[] args, SessionProvider sessions) {
    return execute(args, sessions, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
  }

  /** As {@link #execute(String[], SessionProvider)}, writing to the given streams. */
  public static int execute(String[] args, SessionProvider sessions, PrintWriter out, PrintWriter err) {
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
      // The version alone needs no command tree: building it (every command's options, the plugins) is most of a --version.
      out.println(versionLine());
      return 0;
    }
    boolean verbose = java.util.Arrays.asList(args).contains("--verbose"); // an error's stack trace too
    PullbackCli root = new PullbackCli(sessions);
    root.out = out;
    CommandLine cli = new CommandLine(root);
    addPluginCommands(cli);
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionStrategy(parseResult -> {
      if (helpOrVersionRequested(parseResult)) return new CommandLine.RunLast().execute(parseResult); // no BLAS, no Spark
      try (Terminal terminal = Terminal.open(root.verbose)) {
        root.terminal = terminal;
        // Before the command touches Spark or netlib: the process's one BLAS/LAPACK choice (issue 21).
        String numerics = selectNumericLibraries();
        if (numerics != null) {
          err.println("pullback: error: " + numerics);
          return PullbackException.USAGE;
        }
        return new CommandLine.RunLast().execute(parseResult);
      } finally {
        root.terminal = Terminal.NONE;
      }
    });
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      root.terminal.close(); // the message goes below the progress line, not onto it
      io.pullback.job.Interruption.Request stop = io.pullback.job.Interruption.requested();
      if (stop != null) { // a signal (Signals): whatever the job threw on its way out, one line
        Signals.awaitNoRunningTasks(10_000); // the killed tasks end before the exit stops Spark under them
        commandLine.getErr().println("pullback: " + interruptedMessage(io.pullback.job.Interruption.kept()));
        if (verbose) e.printStackTrace(commandLine.getErr());
        return stop.exitCode();
      }
      PullbackException known = findPullbackException(e);
      if (known != null) {
        commandLine.getErr().println("pullback: error: " + Flags.message(known));
        if (verbose) e.printStackTrace(commandLine.getErr());
        return known.exitCode();
      }
      LoggerFactory.getLogger(PullbackCli.class).error("internal failure", e); // not a static field: --help starts no logging
      commandLine.getErr().println("pullback: internal error: " + e);
      return 1;
    });
    String[] expanded;
    try {
      expanded = ConfigFile.expand(args, cli);
    } catch (PullbackException e) {
      err.println("pullback: error: " + Flags.message(e));
      return e.exitCode();
    }
    return cli.execute(expanded);
  }

  /** The one line of an interrupted command: what it kept for a resume, and the option that resumes it. */
  static String interruptedMessage(io.pullback.job.Interruption.Kept kept) {
    if (kept == null) return "interrupted; nothing was published";
    return PullbackException.renderTemplate("interrupted after step " + kept.step() + "; resume with " + kept.resumeWith(), Flags::flag);
  }

  /** Whether the command line asks for {@code --help} or {@code --version} (of the root or of a command). */
  static boolean helpOrVersionRequested(CommandLine.ParseResult parseResult) {
    for (CommandLine.ParseResult r = parseResult; r != null; r = r.subcommand()) {
      if (r.isUsageHelpRequested() || r.isVersionHelpRequested()) return true;
    }
    return false;
  }

  /**
   * Adds the {@link CommandPlugin} subcommands found on the class path ({@code run}, {@code bench}),
   * in the order of their names, so {@code --help} lists them the same way every time.
   */
  static void addPluginCommands(CommandLine cli) {
    List<CommandPlugin> plugins = new ArrayList<>();
    ServiceLoader.load(CommandPlugin.class, PullbackCli.class.getClassLoader()).forEach(plugins::add);
    plugins.sort(Comparator.comparing(p -> new CommandLine(p).getCommandName()));
    for (CommandPlugin p : plugins) cli.addSubcommand(p);
  }

  /**
   * Chooses BLAS and LAPACK (one native library for both, {@link io.pullback.linalg.Blas}) before
   * Spark or MLlib can touch netlib. Returns null, or the message of a configuration the libraries
   * refuse (e.g. {@code -Ddev.ludovic.netlib.lapack.nativeLibPath} naming a file without LAPACK).
   */
  static String selectNumericLibraries() {
    try {
      io.pullback.linalg.Blas.selection();
      return null;
    } catch (ExceptionInInitializerError | NoClassDefFoundError e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      return "cannot set up BLAS/LAPACK: " + cause.getMessage();
    }
  }

  /** Finds a {@link PullbackException} in a cause chain (Spark wraps exceptions thrown in tasks). */
  static PullbackException findPullbackException(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof PullbackException p) return p;
    }
    return null;
  }

  /** Version and git commit from the build ({@link BuildInfo}), e.g. {@code pullback 0.1.0-SNAPSHOT (commit 1a2b3c4d5e6f)}. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {versionLine()};
    }
  }

  /** {@code pullback VERSION (commit SHORT)}; {@code commit unknown} for a build outside git. */
  public static String versionLine() {
    String commit = BuildInfo.gitCommit();
    return "pullback " + BuildInfo.version() + " (commit " + (commit.length() > 12 ? commit.substring(0, 12) : commit) + ")";
  }
}
