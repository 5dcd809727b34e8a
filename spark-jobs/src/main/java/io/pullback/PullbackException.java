package io.pullback;

/**
 * A failure the user can act on, carrying the process exit code documented in DESIGN.md:
 * {@link #USAGE} (2) for bad usage or configuration, {@link #DATA} (3) for bad input data.
 * Internal failures are any other exception and exit with 1.
 */
public class PullbackException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Exit code for bad usage or configuration. */
  public static final int USAGE = 2;
  /** Exit code for bad input data. */
  public static final int DATA = 3;

  private final int exitCode;

  public PullbackException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public PullbackException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public static PullbackException usage(String message) {
    return new PullbackException(USAGE, message);
  }

  public static PullbackException data(String message) {
    return new PullbackException(DATA, message);
  }

  public int exitCode() {
    return exitCode;
  }
}
