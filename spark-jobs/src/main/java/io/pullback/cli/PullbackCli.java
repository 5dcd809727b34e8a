package io.pullback.cli;

import io.pullback.PullbackException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code pullback} command line, shared by {@code bin/pullback} (local runner) and spark-submit.
 *
 * <p>Exit codes (DESIGN.md section 3): 0 success; 2 bad usage or configuration; 3 bad input data;
 * 1 internal failure. Error messages name the offending flag, file, row or value.
 */
@Command(name = "pullback", mixinStandardHelpOptions = true, versionProvider = PullbackCli.Version.class,
    description = "Natural-gradient metrics (pull-back of L2, Fisher) estimated on Apache Spark.",
    subcommands = {EstimateCommand.class, TrainCommand.class, ExportCommand.class, SpectrumCommand.class})
public final class PullbackCli implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(PullbackCli.class);

  private final SessionProvider sessions;

  @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
      description = "On an error, also print its stack trace.")
  boolean verbose;

  public PullbackCli(SessionProvider sessions) {
    this.sessions = sessions;
  }

  /** Where commands get their Spark session. */
  public SessionProvider sessions() {
    return sessions;
  }

  private PrintWriter out = new PrintWriter(System.out, true);

  /** The command's standard output (results such as report paths go here, logs go to stderr). */
  public PrintWriter out() {
    return out;
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
    String numerics = selectNumericLibraries();
    if (numerics != null) {
      err.println("pullback: error: " + numerics);
      return PullbackException.USAGE;
    }
    boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
    PullbackCli root = new PullbackCli(sessions);
    root.out = out;
    CommandLine cli = new CommandLine(root);
    addPluginCommands(cli);
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      PullbackException known = findPullbackException(e);
      if (known != null) {
        commandLine.getErr().println("pullback: error: " + Flags.message(known));
        if (verbose) e.printStackTrace(commandLine.getErr());
        return known.exitCode();
      }
      LOG.error("internal failure", e);
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

  /** Version from the build. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      Package p = PullbackCli.class.getPackage();
      String v = p != null && p.getImplementationVersion() != null ? p.getImplementationVersion() : "dev";
      return new String[] {"pullback " + v};
    }
  }
}
