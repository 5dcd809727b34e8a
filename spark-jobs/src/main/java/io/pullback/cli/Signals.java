package io.pullback.cli;

import io.pullback.job.Interruption;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * SIGINT and SIGTERM for the launchers ({@link SubmitMain}, {@code LocalMain}): the first signal
 * records a stop ({@link Interruption#request}), cancels every Spark job of the active context
 * ({@code SparkContext.cancelAllJobs}) and interrupts the command's thread; the command then fails
 * through its ordinary clean-up (staging removed, lock released, a folder it created before its
 * first checkpoint removed) and {@link PullbackCli} prints one line and returns 130 (INT) or 143
 * (TERM). A second signal, or clean-up lasting over {@value #CLEAN_UP_SECONDS} s, ends the process at
 * once ({@link Runtime#halt}, no shutdown hooks).
 *
 * <p>Installing these handlers replaces the JVM's default ones, which would start the shutdown
 * hooks (Spark's {@code ShutdownHookManager} stops the context and deletes its temporary folders)
 * while the command still runs; with them, the hooks run only when the launcher calls
 * {@code System.exit} after the clean-up. Spark registers no INT or TERM handler in a driver (only
 * its shells and daemons do, through {@code SignalUtils}, which would chain to these). Limits: uses
 * {@code sun.misc.Signal} (module {@code jdk.unsupported}); where a signal cannot be handled (the
 * JVM runs with {@code -Xrs}) the default behaviour stays.
 */
public final class Signals {
  static final int CLEAN_UP_SECONDS = 60;

  private Signals() {}

  /** Handles INT and TERM for a command that runs on the calling thread. */
  public static void install() {
    Thread command = Thread.currentThread();
    for (String name : new String[] {"INT", "TERM"}) {
      int code = name.equals("INT") ? 130 : 143;
      try {
        Signal.handle(new Signal(name), s -> stop(name, code, command));
      } catch (IllegalArgumentException e) {
        // the signal is reserved or ignored here (-Xrs, nohup): the JVM's behaviour stays
      }
    }
  }

  private static void stop(String name, int code, Thread command) {
    if (Interruption.requested() != null) Runtime.getRuntime().halt(Interruption.requested().exitCode()); // a second signal
    Interruption.request(name, code);
    Thread watchdog = new Thread(() -> {
      try {
        TimeUnit.SECONDS.sleep(CLEAN_UP_SECONDS);
      } catch (InterruptedException e) {
        return;
      }
      Runtime.getRuntime().halt(code);
    }, "pullback-clean-up-limit");
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      // The default session is process-wide (the active one belongs to the command's thread).
      scala.Option<org.apache.spark.sql.SparkSession> spark = org.apache.spark.sql.SparkSession.getDefaultSession();
      if (spark.isDefined()) spark.get().sparkContext().cancelAllJobs();
    } catch (RuntimeException | LinkageError e) {
      // no context (yet, or any more): nothing to cancel
    }
    command.interrupt();
  }
}
