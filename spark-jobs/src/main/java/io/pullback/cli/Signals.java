package io.pullback.cli;

import io.pullback.job.Interruption;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * SIGINT and SIGTERM for the launchers ({@link SubmitMain}, {@code LocalMain}): the first signal
 * records a stop ({@link Interruption#request}) and cancels every Spark job of the session
 * ({@code SparkContext.cancelAllJobs}, repeated every {@value #CANCEL_EVERY_MS} ms so that a job
 * started meanwhile is cancelled too); between training steps the command polls
 * {@link Interruption#check}. The command's thread is not interrupted (see {@link #cancelJobs}); a
 * computation on the driver without a Spark job ends first. The command then fails through its
 * ordinary clean-up (staging removed, lock released, a folder it created before its
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
 * JVM runs with {@code -Xrs}) the default behaviour stays; tested with {@code bin/pullback} (local
 * mode) only, not under spark-submit or in a YARN application master.
 */
public final class Signals {
  static final int CLEAN_UP_SECONDS = 60;
  static final int CANCEL_EVERY_MS = 100;

  private Signals() {}

  /**
   * Cancels the Spark jobs of the process's session (a job submitted after the signal is cancelled
   * by the next call). Cancelling through the scheduler, not interrupting the waiting thread, keeps
   * the order: the command sees its job fail only after the scheduler is done with it (an
   * interrupted thread would release the job's broadcasts while the scheduler still ships them,
   * which Spark logs as an internal error with its trace).
   */
  private static void cancelJobs() {
    try {
      // The default session is process-wide (the active one belongs to the command's thread).
      scala.Option<org.apache.spark.sql.SparkSession> spark = org.apache.spark.sql.SparkSession.getDefaultSession();
      if (spark.isDefined()) spark.get().sparkContext().cancelAllJobs();
    } catch (RuntimeException | LinkageError e) {
      // no context (yet, or any more): nothing to cancel
    }
  }

  /**
   * Spark's scheduler warns once per killed task ("Lost task … TaskKilled") and its block manager
   * about broadcasts the cancelled job never shipped: on a stop asked for by the user these lines
   * are no news, so their level is raised to ERROR (other warnings stay).
   */
  private static void quietCancelledTasks() {
    try {
      for (String logger : new String[] {"org.apache.spark.scheduler.TaskSetManager", "org.apache.spark.storage.BlockManager"}) {
        org.apache.logging.log4j.core.config.Configurator.setLevel(logger, org.apache.logging.log4j.Level.ERROR);
      }
      // A local task killed while it reads a broadcast that the stopped command has already released
      // fails in TorrentBroadcast, which Spark's Utils and the executor log as errors with a trace: the
      // failure of a task the user stopped, not news either (the command's own errors are not logged
      // through these loggers).
      for (String logger : new String[] {"org.apache.spark.util.Utils", "org.apache.spark.executor.Executor",
          "org.apache.spark.broadcast.TorrentBroadcast"}) {
        org.apache.logging.log4j.core.config.Configurator.setLevel(logger, org.apache.logging.log4j.Level.OFF);
      }
    } catch (LinkageError | RuntimeException e) {
      // another logging back end: the lines stay
    }
  }

  /**
   * Waits (up to {@code timeoutMillis}) until no task of the session runs any more: a killed task
   * ends at its next record, and stopping the context under it (the launcher's exit runs Spark's
   * shutdown hooks) would make Spark print executor errors after the command's last line.
   */
  static void awaitNoRunningTasks(long timeoutMillis) {
    try {
      scala.Option<org.apache.spark.sql.SparkSession> spark = org.apache.spark.sql.SparkSession.getDefaultSession();
      if (spark.isEmpty()) return;
      org.apache.spark.SparkStatusTracker tracker = spark.get().sparkContext().statusTracker();
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      while (System.nanoTime() < end && (localTaskRunning()
          || java.util.Arrays.stream(tracker.getExecutorInfos()).anyMatch(e -> e.numRunningTasks() > 0))) {
        TimeUnit.MILLISECONDS.sleep(20);
      }
    } catch (RuntimeException | LinkageError e) {
      // no context any more
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Whether a task still runs in this JVM (local mode: a thread inside Spark's
   * {@code Executor$TaskRunner}; the status tracker counts a killed task as ended before its thread
   * has left it). Cost: one stack snapshot of every thread.
   */
  private static boolean localTaskRunning() {
    for (StackTraceElement[] stack : Thread.getAllStackTraces().values()) {
      for (StackTraceElement frame : stack) {
        if (frame.getClassName().equals("org.apache.spark.executor.Executor$TaskRunner") && frame.getMethodName().equals("run")) return true;
      }
    }
    return false;
  }

  /** Handles INT and TERM (for the one command this process runs). */
  public static void install() {
    for (String name : new String[] {"INT", "TERM"}) {
      int code = name.equals("INT") ? 130 : 143;
      try {
        Signal.handle(new Signal(name), s -> stop(name, code));
      } catch (IllegalArgumentException e) {
        // the signal is reserved or ignored here (-Xrs, nohup): the JVM's behaviour stays
      }
    }
  }

  private static void stop(String name, int code) {
    if (Interruption.requested() != null) Runtime.getRuntime().halt(Interruption.requested().exitCode()); // a second signal
    Interruption.request(name, code);
    quietCancelledTasks();
    Thread canceller = new Thread(() -> {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLEAN_UP_SECONDS);
      try {
        while (System.nanoTime() < end) {
          cancelJobs();
          TimeUnit.MILLISECONDS.sleep(CANCEL_EVERY_MS);
        }
      } catch (InterruptedException e) {
        return;
      }
      Runtime.getRuntime().halt(code);
    }, "pullback-stop");
    canceller.setDaemon(true);
    canceller.start();
  }

}
