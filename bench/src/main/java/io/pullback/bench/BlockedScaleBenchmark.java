package io.pullback.bench;

import dev.ludovic.netlib.blas.BLAS;
import io.pullback.PullbackException;
import io.pullback.distributed.BlockedMetricEstimator.BlockedMetric;
import io.pullback.distributed.BlockedMetricEstimator.Options;
import io.pullback.distributed.BlockedMetricEstimator;
import io.pullback.distributed.BlockedMetricOps.CgResult;
import io.pullback.distributed.BlockedMetricOps;
import io.pullback.distributed.DataLoader;
import io.pullback.distributed.LoadedData;
import io.pullback.distributed.SparkBlockData;
import io.pullback.io.OutputDirectory;
import io.pullback.job.RunContext;
import io.pullback.linalg.Blas;
import io.pullback.linalg.DenseOps;
import io.pullback.metric.BoundFactorRows;
import io.pullback.metric.FactorRows;
import io.pullback.metric.FactorSource;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.RepresentationOptions;
import io.pullback.metric.representation.Representations;
import io.pullback.model.LabelRule;
import io.pullback.model.Model;
import io.pullback.model.ModelSpec;
import io.pullback.model.Models;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.RDDInfo;
import org.apache.spark.storage.StorageLevel;

/**
 * End-to-end scale benchmark of the blocked metric (not a unit test): estimates the {@code function}
 * metric of a one-hidden-layer tanh MLP with N = 20,000 parameters ({@code 5 → 2857 → 1}) on synthetic
 * Gaussian data in {@code local[2]}, with a driver heap too small for the 3.2 GB dense matrix, then runs
 * {@code G·v}, {@code vᵀGv} ({@link BlockedMetricOps}, the blocked representation's tile operations),
 * checks them against a matrix-free data pass ({@code Σ Rᵀ(R v)/Σw}, which never forms G: the
 * {@code implicit} representation's product, {@link Representations#build} over {@link SparkBlockData}),
 * and solves {@code (G + λI)x = v} by conjugate gradients. Every operation timed is the product's own
 * code. Prints a Markdown report on standard output (logs go to standard error).
 *
 * <p>Run with {@code bench/blocked-scale.sh} (builds if needed, adds Spark's JVM flags and the heap
 * size); arguments are {@code key=value}, all optional:
 * {@code rows=2000 features=5 hidden=2857 partitions=2 block-rows=256 tile=1024 task-memory-mb=256
 * storage=DISK_ONLY lambda-rel=1 cg-tol=1e-6 cg-max-iter=200 master=local[2] seed=1
 * scratch=target/blocked-bench} (Spark's {@code spark.local.dir} is a fresh folder inside {@code scratch}, deleted at the end).
 */
public final class BlockedScaleBenchmark {

  /** Every key with its default value, in the order the report lists them (the keys are the only ones accepted). */
  static final String DEFAULTS = "rows=2000 features=5 hidden=2857 partitions=2 block-rows=256 tile=1024 task-memory-mb=256"
      + " storage=DISK_ONLY lambda-rel=1 cg-tol=1e-6 cg-max-iter=200 master=local[2] seed=1 scratch=" + Path.of("target", "blocked-bench");

  /** The run's settings, parsed from the {@code key=value} arguments ({@code resolved}: every key with its value). */
  record Settings(Map<String, String> resolved, int rows, int features, int hidden, int partitions, int blockRows, int tile,
                  long taskMemory, StorageLevel storage, double lambdaRel, double cgTol, int cgMaxIter, long seed) {
    static Settings of(Map<String, String> a) {
      return new Settings(a, Integer.parseInt(a.get("rows")), Integer.parseInt(a.get("features")), Integer.parseInt(a.get("hidden")),
          Integer.parseInt(a.get("partitions")), Integer.parseInt(a.get("block-rows")), Integer.parseInt(a.get("tile")),
          Long.parseLong(a.get("task-memory-mb")) << 20, StorageLevel.fromString(a.get("storage")), Double.parseDouble(a.get("lambda-rel")),
          Double.parseDouble(a.get("cg-tol")), Integer.parseInt(a.get("cg-max-iter")), Long.parseLong(a.get("seed")));
    }

    String master() {
      return resolved.get("master");
    }

    /** The synthetic data source of the run. */
    String data() {
      return "synthetic:gaussian?rows=" + rows + "&features=" + features + "&seed=" + seed + "&outputs=1";
    }
  }

  /** The metric being benchmarked: the MLP's {@code function} factor rows at θ₀. */
  record Problem(Model model, FactorRows factorRows, double[] theta, FactorSource source, LabelRule rule) {
    static Problem of(Settings s) {
      Model model = Models.create(ModelSpec.mlp(s.features(), new int[] {s.hidden()}, 1, "tanh"));
      FactorRows factorRows = new FactorRows(model, MetricKind.FUNCTION, 1, 0);
      double[] theta = model.initialParams(s.seed());
      return new Problem(model, factorRows, theta, new BoundFactorRows(factorRows, theta),
          new LabelRule(model.distribution(), model.outputDim(), model.kind()));
    }

    int n() {
      return model.numParams();
    }
  }

  /** What the estimate measured: timings, the driver's heap, Spark's task and storage totals, and the scratch folder's size. */
  record EstimateRun(BlockedMetric metric, double loadSeconds, double seconds, double cpuSeconds, long peakHeap, long peakLive,
                     long shuffleWrite, long shuffleRead, long spilled, long memBytes, long diskBytes, int cachedPartitions,
                     long scratchBytes) {}

  private BlockedScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    Settings s = Settings.of(arguments(args));
    // A fresh folder inside the given one, for Spark's shuffle files and spilled tiles; deleted at the end.
    Path parent = Path.of(s.resolved().get("scratch")).toAbsolutePath();
    Files.createDirectories(parent);
    Path scratch = Files.createTempDirectory(parent, "run-");

    HeapSampler heap = new HeapSampler();
    heap.start();
    long wall0 = System.nanoTime();
    SparkSession spark = session(s.master(), scratch);
    TaskTotals totals = new TaskTotals();
    spark.sparkContext().addSparkListener(totals);
    Problem problem = Problem.of(s);

    Report out = new Report();
    settingsTable(out, s, problem.n(), spark);
    int blockRows = s.blockRows();
    long t0 = System.nanoTime();
    LoadedData loaded = DataLoader.load(spark, new DataLoader.Options(s.data(), null, null, null, null, s.partitions(), d -> blockRows,
        problem.rule()));
    double loadSeconds = seconds(t0);
    EstimateRun run = estimate(spark, s, problem.source(), loaded, loadSeconds, heap, totals, scratch);
    estimateTable(out, s, run);
    BlockedMetricOps ops = new BlockedMetricOps(run.metric());
    operations(out, spark, s, problem, loaded, ops, heap);

    String peakStore = statusStorePeakHeap(spark);
    out.line("");
    out.line("Whole run: %s s wall, %s s CPU of this JVM; peak heap used %s of %s (sampled), Spark status store peak JVM heap: %s;"
        + " machine load at the end %s.",
        fmt(seconds(wall0)), fmt(cpuSeconds()), gib(heap.peakEver()), gib(Runtime.getRuntime().maxMemory()), peakStore, loadAverage());
    ops.release();
    loaded.release();
    spark.stop();
    heap.interrupt();
    OutputDirectory.deleteRecursively(scratch);
    System.out.print(out);
    System.out.flush();
  }
  /** {@link #DEFAULTS} with the {@code key=value} arguments applied; an unknown key exits 2 with the valid keys. */
  static Map<String, String> arguments(String[] args) {
    Map<String, String> a = new LinkedHashMap<>();
    for (String kv : DEFAULTS.split(" ")) a.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq < 1 || !a.containsKey(arg.substring(0, eq))) {
        System.err.println("unknown argument '" + arg + "'; valid keys (key=value): " + a.keySet());
        System.exit(2);
      }
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    return a;
  }

  private static SparkSession session(String master, Path scratch) {
    SparkSession spark = SparkSession.builder()
        .master(master)
        .appName("blocked-scale-benchmark")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.local.dir", scratch.toString())
        .config("spark.driver.maxResultSize", "1g")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    return spark;
  }

  /** The report's title, command line and settings table. */
  private static void settingsTable(Report out, Settings s, int n, SparkSession spark) {
    out.line("# Blocked metric at N = %,d (benchmark)", n);
    out.line("");
    StringBuilder resolved = new StringBuilder();
    s.resolved().forEach((k, val) -> resolved.append(resolved.length() == 0 ? "" : " ").append(k).append('=').append(val));
    String command = System.getProperty("bench.command");
    if (command != null) out.line("Command (repository root): `%s`", command);
    out.line("");
    out.line("`io.pullback.bench.BlockedScaleBenchmark` with `%s`", resolved);
    out.line("");
    out.line("| setting | value |");
    out.line("|---|---|");
    out.row("model", String.format(Locale.ROOT, "MLP %d → %d (tanh) → 1, N = %,d parameters", s.features(), s.hidden(), n));
    out.row("metric", "`function` (G = Σ J(x)ᵀJ(x) / M), r = 1 factor row per example");
    out.row("data", "`" + s.data() + "`");
    out.row("Spark", spark.version() + ", master `" + s.master() + "`, " + s.partitions() + " partitions, " + s.blockRows() + " examples per block");
    out.row("JVM", System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + ", max heap (-Xmx) "
        + gib(Runtime.getRuntime().maxMemory()) + ", " + Runtime.getRuntime().availableProcessors() + " cores visible");
    out.row("BLAS", Blas.implementationName());
    out.row("machine load at start (/proc/loadavg: 1, 5, 15 min)", loadAverage());
    out.row("dense metric would need", String.format(Locale.ROOT, "8·N² = %.2f GB (%s) — %.1f× the whole heap", 8.0 * n * n / 1e9,
        gib(8L * n * n), 8.0 * n * n / Runtime.getRuntime().maxMemory()));
    out.row("tiles", String.format(Locale.ROOT, "T = %d, storage %s, per-task budget %s", s.tile(), s.resolved().get("storage"), mib(s.taskMemory())));
  }

  /** Times the product's blocked estimate ({@link BlockedMetricEstimator#estimate}) with the heap, task and storage totals it caused. */
  private static EstimateRun estimate(SparkSession spark, Settings s, FactorSource source, LoadedData loaded, double loadSeconds,
                                      HeapSampler heap, TaskTotals totals, Path scratch) {
    heap.resetPeak();
    totals.reset();
    double cpu1 = cpuSeconds();
    long t1 = System.nanoTime();
    BlockedMetric metric = BlockedMetricEstimator.estimate(loaded, source, new Options(s.tile(), s.taskMemory(), s.storage()));
    double estimateSeconds = seconds(t1);
    double estimateCpu = cpuSeconds() - cpu1;
    long estimatePeak = heap.peakUsed();
    long estimateLive = heap.peakLiveAfterGc();
    long memBytes = 0;
    long diskBytes = 0;
    int cachedPartitions = 0;
    for (RDDInfo info : spark.sparkContext().getRDDStorageInfo()) {
      if (info.name() != null && info.name().startsWith("blocked metric tiles")) {
        memBytes += info.memSize();
        diskBytes += info.diskSize();
        cachedPartitions += info.numCachedPartitions();
      }
    }
    return new EstimateRun(metric, loadSeconds, estimateSeconds, estimateCpu, estimatePeak, estimateLive, totals.shuffleWrite.get(),
        totals.shuffleRead.get(), totals.diskSpilled.get(), memBytes, diskBytes, cachedPartitions, du(scratch));
  }

  private static void estimateTable(Report out, Settings s, EstimateRun run) {
    BlockedMetric metric = run.metric();
    var plan = metric.plan();
    double flops = 2.0 * s.rows() * plan.tileBytes() / 8;
    out.line("");
    out.line("## Estimate");
    out.line("");
    out.line("| figure | value |");
    out.line("|---|---|");
    out.row("load + pack (cached blocks)", fmt(run.loadSeconds()) + " s");
    out.row("band plan", plan.describe());
    out.row("passes over the data", String.valueOf(plan.passes()));
    StringBuilder perPass = new StringBuilder();
    for (int b = 0; b < plan.passes(); b++) {
      var band = plan.bands().get(b);
      if (b > 0) perPass.append(", ");
      perPass.append(String.format(Locale.ROOT, "[%d,%d): %.1f", band.firstCol(), band.endCol(), metric.passSeconds()[b]));
    }
    out.row("seconds per pass (tile columns)", perPass.toString());
    out.row("estimate total", String.format(Locale.ROOT, "%.1f s wall, %.1f s CPU of this JVM (%.2e flops in the tile products: %.1f GFLOP/s per wall second)",
        run.seconds(), run.cpuSeconds(), flops, flops / run.seconds() / 1e9));
    out.row("upper tiles", String.format(Locale.ROOT, "%d tiles of ≤ %d×%d, %s", plan.tileCount(), s.tile(), s.tile(), gib(plan.tileBytes())));
    out.row("persisted tiles (Spark storage)", String.format(Locale.ROOT, "%s in memory + %s on disk, %d partitions",
        gib(run.memBytes()), gib(run.diskBytes()), run.cachedPartitions()));
    out.row("shuffle written / read", gib(run.shuffleWrite()) + " / " + gib(run.shuffleRead())
        + (run.spilled() > 0 ? ", spilled to disk " + gib(run.spilled()) : ""));
    out.row("scratch folder on disk (`spark.local.dir`: shuffle + persisted tiles)", gib(run.scratchBytes()));
    out.row("peak heap used during the estimate (sampled every 50 ms)", gib(run.peakHeap()));
    out.row("peak live heap after a GC", gib(run.peakLive()));
    out.row("trace / Frobenius norm", String.format(Locale.ROOT, "%.6e / %.6e", metric.trace(), metric.frobeniusNorm()));
  }

  /**
   * G·v twice, vᵀGv, the check against the implicit representation's matrix-free G·v, the CG solve and
   * the refused {@code toDense()}, each through the product's own {@link BlockedMetricOps} and {@link Representations}.
   */
  private static void operations(Report out, SparkSession spark, Settings s, Problem problem, LoadedData loaded, BlockedMetricOps ops,
                                 HeapSampler heap) {
    int n = problem.n();
    double[] v = new double[n];
    Random rnd = new Random(s.seed());
    for (int i = 0; i < n; i++) v[i] = rnd.nextGaussian();

    heap.resetPeak();
    long t2 = System.nanoTime();
    double[] gv = ops.mv(v);
    double mv1 = seconds(t2);
    long t3 = System.nanoTime();
    double[] gv2 = ops.mv(v);
    double mv2 = seconds(t3);
    long t4 = System.nanoTime();
    double q = ops.vTMv(v);
    double qSeconds = seconds(t4);
    long t5 = System.nanoTime();
    MetricRepresentation implicitMetric = Representations.build(RepresentationKind.IMPLICIT,
        new SparkBlockData(loaded, RunContext.of(spark).reduceBudgetBytes()), problem.factorRows(), problem.theta(), RepresentationOptions.defaults());
    double[] implicit = implicitMetric.multiply(v);
    double implicitSeconds = seconds(t5);
    double qFromMv = DenseOps.dot(v, gv);
    double mvRel = Math.sqrt(dist2(gv, implicit) / DenseOps.dot(implicit, implicit));

    out.line("");
    out.line("## Operations on the distributed metric");
    out.line("");
    out.line("| operation | value |");
    out.line("|---|---|");
    out.row("G·v (one pass over the tiles), first / second", fmt(mv1) + " s / " + fmt(mv2) + " s (bit-identical: " + java.util.Arrays.equals(gv, gv2) + ")");
    out.row("vᵀGv (one pass, no shuffle)", fmt(qSeconds) + " s");
    out.row("check: G·v against a matrix-free data pass Σ Rᵀ(R v)/Σw (the implicit representation's G·v)",
        String.format(Locale.ROOT, "relative difference %.2e (that pass: %s s)", mvRel, fmt(implicitSeconds)));
    out.row("check: vᵀGv against vᵀ(G·v)", String.format(Locale.ROOT, "relative difference %.2e", Math.abs(q - qFromMv) / Math.abs(qFromMv)));

    double lambda = s.lambdaRel() * ops.metric().trace() / n;
    out.row(String.format(Locale.ROOT, "CG solve (G + λI)x = v, λ = %.0e·tr(G)/N = %.3e, tolerance %.0e", s.lambdaRel(), lambda, s.cgTol()),
        solveLine(ops, v, lambda, s));
    out.row("peak heap used during the operations / live after GC", gib(heap.peakUsed()) + " / " + gib(heap.peakLiveAfterGc()));
    String refusal;
    try {
      ops.toDense();
      refusal = "(unexpectedly fitted)";
    } catch (PullbackException e) {
      refusal = e.getMessage();
    }
    out.row("toDense()", refusal);
  }

  /** Solves {@code (G + λI)x = v} by the product's conjugate gradients; the report's line about it. */
  private static String solveLine(BlockedMetricOps ops, double[] v, double lambda, Settings s) {
    double cgCpu = cpuSeconds();
    try {
      CgResult cg = ops.solve(v, lambda, s.cgTol(), s.cgMaxIter());
      cgCpu = cpuSeconds() - cgCpu;
      return String.format(Locale.ROOT, "%d iterations, relative residual %.2e (recomputed from x), %d passes, %.1f s wall (%.2f s per pass), %.1f s CPU",
          cg.iterations(), cg.relativeResidual(), cg.passes(), cg.seconds(), cg.seconds() / cg.passes(), cgCpu);
    } catch (BlockedMetricOps.NotConvergedException e) {
      CgResult p = e.partial();
      return String.format(Locale.ROOT, "NOT converged: %s (%.1f s, %.2f s per pass)", e.getMessage(), p.seconds(), p.seconds() / p.passes());
    }
  }

  /** Peak JVM heap of the driver as Spark's status store records it (executor metrics, polled at heartbeats). */
  static String statusStorePeakHeap(SparkSession spark) {
    try {
      var list = spark.sparkContext().statusStore().executorList(true);
      var it = list.iterator();
      long best = -1;
      while (it.hasNext()) {
        var e = it.next();
        if (e.peakMemoryMetrics().isDefined()) best = Math.max(best, e.peakMemoryMetrics().get().getMetricValue("JVMHeapMemory"));
      }
      return best > 0 ? gib(best) : "not reported";
    } catch (RuntimeException e) {
      return "not available (" + e.getClass().getSimpleName() + ")";
    }
  }

  /** Samples heap use every 50 ms: the peak of used heap, and the peak of what survived the latest GC. */
  static final class HeapSampler extends Thread {
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong peakEver = new AtomicLong();
    private final AtomicLong live = new AtomicLong();

    HeapSampler() {
      super("heap-sampler");
      setDaemon(true);
    }

    @Override
    public void run() {
      var mem = ManagementFactory.getMemoryMXBean();
      while (!isInterrupted()) {
        long used = mem.getHeapMemoryUsage().getUsed();
        peak.accumulateAndGet(used, Math::max);
        peakEver.accumulateAndGet(used, Math::max);
        long after = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
          if (gc instanceof com.sun.management.GarbageCollectorMXBean g && g.getLastGcInfo() != null) {
            long s = 0;
            for (MemoryUsage u : g.getLastGcInfo().getMemoryUsageAfterGc().values()) s += u.getUsed();
            after = Math.max(after, s);
          }
        }
        live.accumulateAndGet(after, Math::max);
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void resetPeak() {
      peak.set(0);
      live.set(0);
    }

    long peakUsed() {
      return peak.get();
    }

    long peakLiveAfterGc() {
      return live.get();
    }

    long peakEver() {
      return peakEver.get();
    }
  }

  /** Task totals: shuffle bytes and spills. */
  static final class TaskTotals extends SparkListener {
    final AtomicLong shuffleWrite = new AtomicLong();
    final AtomicLong shuffleRead = new AtomicLong();
    final AtomicLong diskSpilled = new AtomicLong();

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
      TaskMetrics m = end.taskMetrics();
      if (m == null) return;
      shuffleWrite.addAndGet(m.shuffleWriteMetrics().bytesWritten());
      shuffleRead.addAndGet(m.shuffleReadMetrics().totalBytesRead());
      diskSpilled.addAndGet(m.diskBytesSpilled());
    }

    void reset() {
      shuffleWrite.set(0);
      shuffleRead.set(0);
      diskSpilled.set(0);
    }
  }

  /** Accumulates the Markdown report. */
  static final class Report {
    private final StringBuilder sb = new StringBuilder();

    void line(String format, Object... args) {
      sb.append(args.length == 0 ? format : String.format(Locale.ROOT, format, args)).append('\n');
    }

    void row(String key, String value) {
      sb.append("| ").append(key).append(" | ").append(value.replace("|", "\\|")).append(" |\n");
    }

    @Override
    public String toString() {
      return sb.toString();
    }
  }

  /** CPU seconds used by this JVM so far (all threads), or NaN. */
  static double cpuSeconds() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime() / 1e9;
    }
    return Double.NaN;
  }

  /** The first three fields of /proc/loadavg, or "n/a". */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + ", " + f[1] + ", " + f[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  static double dist2(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
    return s;
  }

  static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  static String fmt(double s) {
    return String.format(Locale.ROOT, "%.2f", s);
  }

  static String gib(long bytes) {
    return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.0f MiB", bytes / (double) (1L << 20));
  }

  static long du(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    } catch (IOException e) {
      return -1;
    }
  }
}
