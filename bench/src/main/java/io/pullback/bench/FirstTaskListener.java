package io.pullback.bench;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * A Spark listener for the start-up figure: prints {@code PULLBACK-FIRST-TASK <epoch ms>} on stderr
 * when the first task of the process starts (the task's launch time, as Spark records it). The bench
 * adds it to a child {@code bin/pullback estimate} with {@code -Dspark.extraListeners=…} and takes the
 * time from the process start to that line.
 */
public final class FirstTaskListener extends SparkListener {
  static final String PREFIX = "PULLBACK-FIRST-TASK ";
  private final AtomicBoolean seen = new AtomicBoolean();

  @Override
  public void onTaskStart(SparkListenerTaskStart taskStart) {
    if (seen.compareAndSet(false, true)) {
      System.err.println(PREFIX + taskStart.taskInfo().launchTime());
      System.err.flush();
    }
  }
}
