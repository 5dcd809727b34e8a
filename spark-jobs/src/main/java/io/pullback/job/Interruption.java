package io.pullback.job;

/**
 * The process's one stop request (SIGINT or SIGTERM, recorded by the launcher's signal handler) and
 * what the interrupted command kept for a resume. Commands poll {@link #check()} where they may run
 * for long without a Spark job (between training steps); a running Spark job is cancelled by the
 * handler itself. The first request wins; the state lives as long as the process (one command).
 *
 * <p>Limits: a step in progress on the driver (a Cholesky solve) ends before the next check.
 */
public final class Interruption {
  private static volatile Request request;
  private static volatile Kept kept;

  private Interruption() {}

  /** A stop request: the signal's name ({@code INT}, {@code TERM}) and the exit code it ends with (128 + its number). */
  public record Request(String signal, int exitCode) {}

  /** A checkpoint an interrupted command kept: its step, and the option (a {@code {name}} placeholder and value) that resumes it. */
  public record Kept(long step, String resumeWith) {}

  /** Records the stop request (a second one changes nothing). */
  public static synchronized void request(String signal, int exitCode) {
    if (request == null) request = new Request(signal, exitCode);
  }

  /** The stop request, or null. */
  public static Request requested() {
    return request;
  }

  /** Throws {@link Stopped} when a stop was requested. Cost: one volatile read. */
  public static void check() {
    Request r = request;
    if (r != null) throw new Stopped(r);
  }

  /** Records that the interrupted command kept a checkpoint of {@code step}, resumed by {@code resumeWith}. */
  public static void keep(long step, String resumeWith) {
    kept = new Kept(step, resumeWith);
  }

  /** What the interrupted command kept, or null (nothing: the folder is as it was before the command). */
  public static Kept kept() {
    return kept;
  }

  /** Forgets the request and what was kept (tests that run several commands in one JVM). */
  public static synchronized void reset() {
    request = null;
    kept = null;
  }

  /** Thrown by {@link #check()}: the command stops, its clean-up runs; no stack trace is recorded. */
  public static final class Stopped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Stopped(Request r) {
      super("stopped by SIG" + r.signal(), null, false, false);
    }
  }
}
