package io.pullback.cli;


/**
 * Entry point of the shaded jar under spark-submit:
 * {@code spark-submit --class io.pullback.cli.SubmitMain spark-jobs-*-submit.jar estimate ...}.
 * The session comes from spark-submit; the exit code follows DESIGN.md (0, 1, 2, 3).
 */
public final class SubmitMain {
  private SubmitMain() {}

  public static void main(String[] args) {
    Signals.install(); // SIGINT/SIGTERM: the command cleans up, one line, exit 130/143
    // PullbackCli.execute chooses BLAS and LAPACK (one native library) before Spark or MLlib start.
    int code = PullbackCli.execute(args, SessionProvider.submitted());
    if (code != 0) System.exit(code);
  }
}
