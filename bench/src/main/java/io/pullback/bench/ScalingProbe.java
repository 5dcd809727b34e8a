package io.pullback.bench;

import io.pullback.distributed.DataLoader;
import io.pullback.distributed.DenseMetricEstimator;
import io.pullback.distributed.LoadedData;
import io.pullback.io.Json;
import io.pullback.job.InputConfig;
import io.pullback.job.RunContext;
import io.pullback.linalg.Blas;
import io.pullback.metric.BoundFactorRows;
import io.pullback.metric.MetricKind;
import io.pullback.model.LabelRule;
import io.pullback.model.LogisticModel;
import io.pullback.model.OutputDistribution;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;

/**
 * One scaling point in its own driver JVM: a {@code local-cluster[E,1,MEM]} (E executor JVMs of one
 * core), synthetic rows generated in the executors, cached, then the dense pure-Gram estimate timed
 * with the bytes it shuffled (Spark's shuffle-write metrics), the bytes tasks returned to the driver,
 * and the driver's peak heap (JVM memory pools, reset before the estimate).
 *
 * <p>{@code ScalingProbe MASTER ROWS N PARTITIONS REPEATS} prints {@code SCALING-JSON {...}}.
 */
public final class ScalingProbe {
  private ScalingProbe() {}

  public static void main(String[] args) throws Exception {
    String master = args[0];
    long rows = Long.parseLong(args[1]);
    int n = Integer.parseInt(args[2]);
    int partitions = Integer.parseInt(args[3]);
    int repeats = Integer.parseInt(args[4]);
    SparkSession spark = session(master);
    ProbeResult result;
    try {
      TaskBytes bytes = new TaskBytes();
      spark.sparkContext().addSparkListener(bytes);
      awaitExecutors(spark, executorsIn(master));
      LogisticModel model = new LogisticModel(n - 1);
      String data = "synthetic:gaussian?rows=" + rows + "&features=" + (n - 1) + "&seed=7&classes=2";
      long t0 = System.nanoTime();
      LoadedData loaded = DataLoader.load(spark, new DataLoader.Options(data, null, null, null, null, partitions,
          d -> InputConfig.blockRowsFor(n, 1), new LabelRule(OutputDistribution.BERNOULLI_LOGIT, 1, "logistic")));
      double loadSeconds = (System.nanoTime() - t0) / 1e9;
      Measured m = measure(spark, loaded, Bench.boundRows(model, MetricKind.FUNCTION), repeats, bytes);
      Map<String, Integer> perExecutor = partitionsPerExecutor(loaded);
      loaded.release();
      result = new ProbeResult(master, perExecutor, spark.sparkContext().getExecutorMemoryStatus().size() - 1, rows, n, partitions,
          loadSeconds, m.bestSeconds(), m.shuffled(), m.returned(), m.peakHeap(), Blas.implementationName());
    } finally {
      spark.stop();
    }
    System.out.println("SCALING-JSON " + Json.mapper().writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
        .writeValueAsString(RecordMaps.of(result)));
    System.exit(0);
  }

  /** The probe's one JSON line (executors: as registered at the end, the driver excluded). */
  record ProbeResult(String master, Map<String, Integer> partitionsPerExecutor, int executors, long rows, int n, int partitions,
                     double loadSeconds, double estimateSeconds, long shuffleWriteBytes, long taskResultBytes, long driverPeakHeapBytes,
                     String driverBlas) {}

  private static SparkSession session(String master) {
    return SparkSession.builder().master(master).appName("pullback-bench-scaling")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1")
        // Executors get the worker's memory (Spark's default is 1g): the cached rows must stay in memory,
        // or every repeat reads them back from disk and the probe measures the disk.
        .config("spark.executor.memory", memoryMbIn(master) + "m")
        .getOrCreate();
  }

  /** Bytes the stages shuffled and the bytes tasks returned to the driver, since the last reset. */
  private static final class TaskBytes extends SparkListener {
    final AtomicLong shuffleWrite = new AtomicLong();
    final AtomicLong resultBytes = new AtomicLong();

    @Override public void onStageCompleted(SparkListenerStageCompleted e) {
      shuffleWrite.addAndGet(e.stageInfo().taskMetrics().shuffleWriteMetrics().bytesWritten());
    }

    @Override public void onTaskEnd(SparkListenerTaskEnd e) {
      if (e.taskMetrics() != null) resultBytes.addAndGet(e.taskMetrics().resultSize());
    }
  }

  /**
   * Every executor must be up before the data are generated and cached, or the first one to register
   * caches every partition and the run measures one executor whatever E is (waits at most 180 s).
   */
  private static void awaitExecutors(SparkSession spark, int expected) throws InterruptedException {
    long deadline = System.nanoTime() + 180_000_000_000L;
    while (spark.sparkContext().getExecutorMemoryStatus().size() - 1 < expected && System.nanoTime() < deadline) Thread.sleep(200);
  }

  /** The best estimate time of the repeats; the bytes and the driver's peak heap of the last one and of all, respectively. */
  private record Measured(double bestSeconds, long shuffled, long returned, long peakHeap) {}

  private static Measured measure(SparkSession spark, LoadedData loaded, BoundFactorRows source, int repeats, TaskBytes bytes) {
    long reduceBudget = RunContext.of(spark).reduceBudgetBytes();
    double best = Double.POSITIVE_INFINITY;
    long shuffled = 0;
    long returned = 0;
    long peak = 0;
    for (int r = 0; r < repeats; r++) {
      waitForListeners(spark);
      bytes.shuffleWrite.set(0);
      bytes.resultBytes.set(0);
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) pool.resetPeakUsage();
      long t = System.nanoTime();
      DenseMetricEstimator.estimate(loaded, source, reduceBudget);
      best = Math.min(best, (System.nanoTime() - t) / 1e9);
      waitForListeners(spark);
      shuffled = bytes.shuffleWrite.get();
      returned = bytes.resultBytes.get();
      long heap = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) heap += pool.getPeakUsage().getUsed();
      }
      peak = Math.max(peak, heap);
    }
    return new Measured(best, shuffled, returned, peak);
  }

  /** Where the cached partitions live (tasks run where their blocks are cached): partitions per executor id. */
  private static Map<String, Integer> partitionsPerExecutor(LoadedData loaded) {
    Map<String, Integer> perExecutor = new java.util.TreeMap<>();
    for (String id : loaded.blocks().mapPartitions(it -> java.util.List.of(org.apache.spark.SparkEnv.get().executorId()).iterator()).collect()) {
      perExecutor.merge(id, 1, Integer::sum);
    }
    return perExecutor;
  }

  /** MEM (MiB per worker) of {@code local-cluster[E,cores,MEM]}, else 1024. */
  static int memoryMbIn(String master) {
    var m = java.util.regex.Pattern.compile("local-cluster\\[\\s*\\d+\\s*,\\s*\\d+\\s*,\\s*(\\d+)\\s*]").matcher(master);
    return m.find() ? Integer.parseInt(m.group(1)) : 1024;
  }

  /** E of {@code local-cluster[E,cores,mem]}, else 1. */
  static int executorsIn(String master) {
    var m = java.util.regex.Pattern.compile("local-cluster\\[\\s*(\\d+)\\s*,").matcher(master);
    return m.find() ? Integer.parseInt(m.group(1)) : 1;
  }

  static void waitForListeners(SparkSession spark) {
    try {
      spark.sparkContext().listenerBus().waitUntilEmpty(10_000);
    } catch (Exception e) { // TimeoutException (checked, from Scala) or anything else: give the bus a second
      try {
        Thread.sleep(1000);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
