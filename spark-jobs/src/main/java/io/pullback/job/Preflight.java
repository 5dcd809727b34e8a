package io.pullback.job;

import io.pullback.PullbackException;
import io.pullback.distributed.BlockedMetricEstimator;
import io.pullback.io.Location;
import io.pullback.io.OutputDirectory;
import io.pullback.metric.representation.MemoryPlan;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.RepresentationOptions;
import io.pullback.model.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks a command makes before its first Spark job: the files it was given ({@code {params}},
 * {@code {out}}) before any Spark work at all, and the memory plan ({@link MemoryPlan}) against the
 * session's limits once N is known — from the header or {@code {numFeatures}}, before any example
 * is read; for inputs whose feature count only the data tell (Parquet, LIBSVM without
 * {@code {numFeatures}}) right after the load, still before the metric.
 */
public final class Preflight {
  private static final Logger LOG = LoggerFactory.getLogger(Preflight.class);

  private Preflight() {}

  /**
   * Checks needing no Spark (local files only; other stores are checked once the session exists): {@code {params}} is a readable float64 vector {@code .npy} (header and
   * size), and {@code {out}} (when not null) is absent or an empty folder whose nearest existing
   * ancestor is a folder.
   *
   * @param advice what to do instead of a non-empty {@code {out}}
   */
  public static void beforeSpark(InputConfig input, String out, String advice) {
    input.checkParams(null, null);
    // Other file systems need the session's Hadoop configuration: the job checks them when it starts.
    if (out == null || !Location.isLocal(out)) return;
    Location given = Location.of(out, null, "out");
    OutputDirectory.requireAbsentOrEmpty(given, advice);
    Path target = given.localPath();
    if (Files.exists(target)) return;
    Path p = target.getParent();
    while (p != null && !Files.exists(p)) p = p.getParent();
    if (p != null && !Files.isDirectory(p)) {
      throw PullbackException.usage("{out} " + out + ": " + p + " is a file, so the folder cannot be created");
    }
  }

  /**
   * The session's limits: the driver heap; one task's share of an executor heap (local mode: the
   * driver heap over the local threads; else {@code spark.executor.memory} over the tasks an executor
   * runs, {@code spark.executor.cores / spark.task.cpus}); and {@code spark.driver.maxResultSize}.
   */
  public static MemoryPlan.Limits limits(RunContext ctx) {
    SparkContext sc = ctx.spark().sparkContext();
    SparkConf conf = sc.getConf();
    long driver = Runtime.getRuntime().maxMemory();
    String master = sc.master();
    boolean inDriver = master.equals("local") || master.startsWith("local[");
    long executorHeap = inDriver ? driver : conf.getSizeAsBytes("spark.executor.memory", "1g");
    int tasks = inDriver ? Math.max(1, sc.defaultParallelism())
        : Math.max(1, conf.getInt("spark.executor.cores", 1) / Math.max(1, conf.getInt("spark.task.cpus", 1)));
    long collect = conf.getSizeAsBytes("spark.driver.maxResultSize", "1g");
    return new MemoryPlan.Limits(driver, executorHeap / tasks, collect <= 0 ? Long.MAX_VALUE : collect);
  }

  /**
   * The plan for {@code model} on this session, the representation checked against it ({@code null}
   * = auto: the size rule's choice if it fits, else one that does), logged at INFO.
   *
   * @throws PullbackException (usage) naming the need, the limit and what would fit; or
   *     {@code {blockRows}} when one factor block alone exceeds a task's share; or {@code {rank}} above N
   */
  static RepresentationKind plan(RunContext ctx, InputConfig input, Model model, int rowsPerExample, int dim,
                                 RepresentationKind requested, int denseLimit, MemoryPlan.Purpose purpose,
                                 RepresentationOptions options) {
    int n = model.numParams();
    int blockRows = input.blockRows(dim, rowsPerExample);
    int partitions = input.partitions() != null ? input.partitions() : ctx.spark().sparkContext().defaultParallelism();
    MemoryPlan plan = new MemoryPlan(n, rowsPerExample, blockRows, Math.max(1, partitions),
        MemoryPlan.Sizes.of(model, options, BlockedMetricEstimator.DEFAULT_TASK_MEMORY_BYTES));
    MemoryPlan.Limits limits = limits(ctx);
    // kfac forms no factor block (its task figure is checked below with the rest of its need).
    boolean factorBlock = requested != RepresentationKind.KFAC;
    if ((factorBlock && plan.factorBlockBytes() > limits.taskBytes()) || (long) blockRows * Math.max(1, dim) > Integer.MAX_VALUE - 8) {
      throw PullbackException.usage("{blockRows} " + blockRows + " makes factor blocks of " + blockRows + " × " + rowsPerExample
          + " × N = " + n + " doubles (" + plan.factorBlockBytes() + " bytes), more than a task's share of the heap ("
          + limits.taskBytes() + " bytes); use a smaller {blockRows}");
    }
    RepresentationKind kind;
    if (requested == null) {
      kind = plan.auto(Math.min(denseLimit, EstimateJob.MAX_DENSE_N), purpose, limits);
    } else {
      if (requested == RepresentationKind.LOW_RANK) {
        try {
          options.rankFor(n);
        } catch (IllegalArgumentException e) {
          throw PullbackException.usage(e.getMessage());
        }
      }
      plan.require(requested, limits);
      kind = requested;
    }
    MemoryPlan.Need need = plan.need(kind);
    LOG.info("Memory plan: N = {}, r = {}, B = {}, P = {}: {} needs {} bytes on the driver, {} per task, {} collected;"
            + " limits {} / {} / {} bytes; all figures {}", n, rowsPerExample, blockRows, partitions, kind.cliName(),
        need.driverBytes(), need.taskBytes(), need.collectBytes(), limits.driverBytes(), limits.taskBytes(),
        limits.collectBytes(), plan.describe());
    return kind;
  }
}
