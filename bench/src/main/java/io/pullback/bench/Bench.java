package io.pullback.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.data.ExampleBlock;
import io.pullback.distributed.DataLoader;
import io.pullback.distributed.DenseMetricEstimator;
import io.pullback.distributed.LoadedData;
import io.pullback.experiment.ExperimentRunner;
import io.pullback.io.AtomicFiles;
import io.pullback.io.BuildInfo;
import io.pullback.io.Json;
import io.pullback.io.OutputDirectory;
import io.pullback.job.InputConfig;
import io.pullback.job.RunContext;
import io.pullback.linalg.Blas;
import io.pullback.metric.BoundFactorRows;
import io.pullback.metric.FactorRows;
import io.pullback.metric.MetricKind;
import io.pullback.metric.aggregate.GramAccumulator;
import io.pullback.model.LabelRule;
import io.pullback.model.LogisticModel;
import io.pullback.model.Model;
import io.pullback.model.OutputDistribution;
import io.pullback.model.SoftmaxModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.mllib.linalg.Matrix;
import org.apache.spark.mllib.linalg.Vector;
import org.apache.spark.mllib.linalg.Vectors;
import org.apache.spark.mllib.linalg.distributed.RowMatrix;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end-to-end benchmark behind {@code pullback bench}. Every figure is a ratio of two things
 * measured in the same run on the same machine (never an absolute time against a fixed number), so
 * that a loaded or different machine still gives a meaningful PASS/MISS:
 *
 * <ol>
 *   <li><b>kernel</b>: {@link KernelBench} in one child JVM per BLAS (openblas-jar, system, Java Vector
 *       API, plain Java), the Gram kernel against that BLAS's own dgemm, single-threaded; the target
 *       compares the kernel in use with the best dgemm of any BLAS;</li>
 *   <li><b>mllib</b>: the dense {@code function} estimate of a model whose Jacobian is the row itself
 *       ({@code logistic}, J = [x, 1], N = D + 1) against {@code RowMatrix.computeGramianMatrix} on the
 *       same cached rows, same session, same BLAS (compute only: data cached for both);</li>
 *   <li><b>numpy</b>: {@code J.T @ J} on an M × N array in a python3 subprocess (all cores, its own
 *       OpenBLAS) against the same estimate time;</li>
 *   <li><b>scaling</b>: estimate time against M (local mode), and against 1 and 2 executors of one
 *       core ({@code local-cluster}, child driver JVMs), with shuffle bytes and driver peak heap;</li>
 *   <li><b>training</b>: ngd (exact Fisher, η = 1) against MLlib's L-BFGS {@code LogisticRegression}
 *       on a real binary data set, data passes and wall time to MLlib's final loss (1e-6 relative);</li>
 *   <li><b>softmax</b>: the {@code fisher} estimate of softmax with K = 10 against a pure Gram with the
 *       same number of factor rows and the same N;</li>
 *   <li><b>load</b>: LIBSVM, CSV and Parquet load throughput against scikit-learn, pandas and Spark's
 *       own readers, and the start-up to the first task ({@link LoadBench}).</li>
 *   <li><b>gv</b>: one matrix-free {@code G·V} pass with s = 1 and s = 16 vectors against one
 *       loss-and-gradient pass on the same data ({@link GramProductBench}).</li>
 *   <li><b>kfac</b>: one K-FAC step against one SGD-momentum step of the MNIST autoencoder on the
 *       same mini-batch, and K-FAC's time to SGD's final error against SGD's and Adam's
 *       ({@link KfacBench}).</li>
 * </ol>
 */
public final class Bench {
  private static final Logger LOG = LoggerFactory.getLogger(Bench.class);
  static final List<String> SECTIONS = List.of("kernel", "mllib", "numpy", "scaling", "training", "softmax", "load", "gv", "kfac");

  /** Sizes and switches of one run. */
  public record Config(boolean quick, Path out, long rows, List<Integer> ns, List<Integer> kernelNs, long scalingRows, int scalingN,
                       long softmaxRows, int softmaxFeatures, long gvRows, Path dataset, List<String> skip, String commandLine, long loadRows,
                       KfacBench.Sizes kfac) {
    static Config of(boolean quick, Path out, Long rows, List<Integer> ns, List<Integer> kernelNs, Long scalingRows, Integer scalingN,
                     Long softmaxRows, Integer softmaxFeatures, Long gvRows, Path dataset, List<String> skip, String commandLine, Long loadRows,
                     KfacBench.Sizes kfac) {
      List<String> sk = skip == null ? List.of() : skip;
      for (String s : sk) {
        if (!SECTIONS.contains(s)) throw io.pullback.PullbackException.usage("--skip: unknown section '" + s + "'; valid: " + SECTIONS);
      }
      Config c = new Config(quick, out,
          // Quick sizes keep every figure meaningful (compute well above Spark's fixed job latency) in < 5 min.
          rows != null ? rows : quick ? 36_000 : 200_000,
          ns != null ? ns : List.of(256, 512, 1024, 2048),
          kernelNs != null ? kernelNs : quick ? List.of(512, 1024) : List.of(1024, 2048),
          scalingRows != null ? scalingRows : quick ? 120_000 : 200_000,
          scalingN != null ? scalingN : 512,
          softmaxRows != null ? softmaxRows : quick ? 4_000 : 20_000,
          softmaxFeatures != null ? softmaxFeatures : quick ? 49 : 99,
          gvRows != null ? gvRows : quick ? 20_000 : 100_000,
          dataset, sk, commandLine,
          loadRows != null ? loadRows : quick ? 20_000 : 200_000, kfac);
      if (c.loadRows < 4) throw io.pullback.PullbackException.usage("--load-rows must be >= 4, got " + c.loadRows);
      if (c.rows < 1 || c.scalingRows < 4 || c.softmaxRows < 1 || c.softmaxFeatures < 1 || c.scalingN < 2 || c.gvRows < 1) {
        throw io.pullback.PullbackException.usage("bench sizes must be positive (--rows, --scaling-rows >= 4, --scaling-n >= 2, --softmax-*, --gv-rows)");
      }
      for (int n : c.ns) if (n < 2) throw io.pullback.PullbackException.usage("--n: every N must be >= 2, got " + n);
      for (int n : c.kernelNs) if (n < 2) throw io.pullback.PullbackException.usage("--kernel-n: every N must be >= 2, got " + n);
      return c;
    }
  }

  /** Labels of the logistic (pure Gram) data sets: one Bernoulli output. */
  private static final LabelRule LOGISTIC_LABELS = new LabelRule(OutputDistribution.BERNOULLI_LOGIT, 1, "logistic");

  private final Config config;
  private final PrintWriter console;
  private final List<Figure> figures = new ArrayList<>();
  private final Map<String, Object> sections = new LinkedHashMap<>();
  private final Path work;

  Bench(Config config, PrintWriter console) {
    this.config = config;
    this.console = console;
    this.work = config.out().toAbsolutePath().normalize().resolve("work");
  }

  /** Runs every section not skipped, then writes the JSON and the report. */
  void run(SparkSession spark) throws IOException, InterruptedException {
    Instant started = Instant.now();
    long t0 = System.nanoTime();
    String loadAtStart = loadAverage();
    OutputDirectory.deleteRecursively(work);
    Files.createDirectories(work);
    Files.createDirectories(config.out().resolve("results"));
    console.println("pullback bench" + (config.quick() ? " --quick" : "") + ": BLAS " + Blas.implementationName()
        + ", " + Runtime.getRuntime().availableProcessors() + " cores, master " + spark.sparkContext().master());
    if (want("kernel")) kernel(); else skipped("kernel");
    Map<Integer, Double> estimateSeconds = new LinkedHashMap<>();
    if (want("mllib")) mllib(spark, estimateSeconds); else skipped("mllib");
    if (want("numpy")) numpy(spark, estimateSeconds); else skipped("numpy");
    if (want("softmax")) softmax(spark); else skipped("softmax");
    if (want("scaling")) scaling(spark); else skipped("scaling");
    if (want("training")) training(spark); else skipped("training");
    if (want("load")) sections.put("load", new LoadBench(spark, work, config.loadRows(), this::add, console).run()); else skipped("load");
    if (want("gv")) gramProducts(spark); else skipped("gv");
    if (want("kfac")) sections.put("kfac", new KfacBench(spark, work, config.kfac(), this::add, console).run()); else skipped("kfac");

    Map<String, Object> all = new LinkedHashMap<>();
    all.put("command", config.commandLine());
    all.put("quick", config.quick());
    all.put("started", started.toString());
    all.put("finished", Instant.now().toString());
    all.put("seconds", (System.nanoTime() - t0) / 1e9);
    all.put("git_commit", BuildInfo.gitCommit());
    Map<String, Object> machine = machine();
    machine.put("load_average_at_start", loadAtStart);
    all.put("machine", machine);
    all.put("versions", versions(spark));
    all.put("blas", blasInfo());
    all.put("spark_master", spark.sparkContext().master());
    all.put("default_parallelism", spark.sparkContext().defaultParallelism());
    all.put("figures", figures.stream().map(Figure::toMap).toList());
    all.put("sections", sections);
    Path json = config.out().resolve("results").resolve("latest.json");
    Json.writeJson(json, all);
    BenchReport.write(config.out(), all, figures, sections);
    // The child JVMs' logs stay in OUT/work/*.log for inspection; the data and Spark home go.
    OutputDirectory.deleteRecursively(work.resolve("training"));
    OutputDirectory.deleteRecursively(work.resolve("kfac"));
    OutputDirectory.deleteRecursively(work.resolve("spark-home"));
    console.println("Wrote " + json + " and " + config.out().resolve("REPORT.md"));
  }

  private boolean want(String section) {
    return !config.skip().contains(section);
  }

  private void skipped(String section) {
    sections.put(section, RecordMaps.ordered("skipped", "--skip " + section));
    for (String id : Figure.idsOf(section)) add(Figure.skipped(id, "section skipped (--skip " + section + ")"));
  }

  private void add(Figure f) {
    figures.add(f);
    console.println(f.line());
    LOG.info("bench: {}", f.line());
  }

  // ---------------------------------------------------------------- (a) kernel

  /** One kernel child JVM: provider name, {@code pullback.blas} value, vector module, and the N, rows and tile lists it measures. */
  private record KernelProvider(String name, String blas, boolean vectorModule, String ns, String rows, String tiles) {
    boolean isNative() {
      return name.equals("openblas-jar") || name.equals("system");
    }
  }

  /** What the kernel child JVMs measured: the section's provider entries, the best dgemm of any BLAS per N, the payload per provider. */
  private record KernelRuns(List<Map<String, Object>> providers, Map<Integer, Double> bestDgemm, Map<String, JsonNode> byName) {}

  private void kernel() throws IOException, InterruptedException {
    KernelRuns runs = new KernelRuns(new ArrayList<>(), new LinkedHashMap<>(), new LinkedHashMap<>());
    for (KernelProvider p : kernelProviders()) runs.providers().add(measureKernel(p, runs));
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("providers", runs.providers());
    section.put("best_dgemm_gflops", runs.bestDgemm());
    section.put("flop_convention", "kernel: rows*N*(N+1) (the symmetric result); dgemm: 2*rows*N^2");
    section.put("threads", "one (OPENBLAS_NUM_THREADS=1)");
    // The kernel in use: the provider this JVM selected, with the accumulator's default kernel.
    String inUseLibrary = Blas.selection().library();
    String providerInUse = Blas.isNative() ? (inUseLibrary != null && inUseLibrary.startsWith("openblas-jar") ? "openblas-jar" : "system")
        : "java-vector";
    GramAccumulator.Kernel defaultKernel = GramAccumulator.Kernel.forCurrentBlas();
    section.put("in_use", RecordMaps.ordered("provider", providerInUse, "blas", Blas.selection().implementation(),
        "kernel", defaultKernel.name().toLowerCase(Locale.ROOT), "tile", GramAccumulator.DEFAULT_TILE));
    sections.put("kernel", section);
    JsonNode used = runs.byName().get(providerInUse);
    if (used == null) {
      add(Figure.skipped("kernel_vs_best_dgemm", "the BLAS in use (" + providerInUse + ") was not measured"));
      return;
    }
    kernelFigure(section, used, runs.bestDgemm(), providerInUse, defaultKernel);
  }

  private List<KernelProvider> kernelProviders() {
    List<Integer> ns = config.kernelNs();
    String nativeRows = "512,2048";
    return List.of(
        new KernelProvider("openblas-jar", "openblas-jar", true, csv(ns), nativeRows, "128,256"),
        new KernelProvider("system", "system", true, csv(ns), nativeRows, "128,256"),
        new KernelProvider("java-vector", "java", true, String.valueOf(Math.min(1024, ns.get(0))), "256,1024", "64,128,256"),
        new KernelProvider("java-plain", "java", false, "512", "256", "128"));
  }

  /** Runs one provider's child JVM; its section entry, with its points merged into {@code runs} when it was available. */
  private Map<String, Object> measureKernel(KernelProvider p, KernelRuns runs) throws IOException, InterruptedException {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("provider", p.name());
    if (p.name().equals("openblas-jar") && Blas.extractOpenBlasJar() == null) {
      return unavailable(entry, "org.bytedeco:openblas (linux-x86_64) is not on the class path");
    }
    ChildJvm.Result r = runKernelChild(p);
    String payload = r.line("KERNEL-JSON");
    if (r.exitCode() != 0 || payload == null) return unavailable(entry, "child JVM failed (exit " + r.exitCode() + "): " + tail(r.output()));
    JsonNode node = Json.mapper().readTree(payload);
    if (p.isNative() && !node.path("native").asBoolean()) {
      return unavailable(entry, p.name().equals("system") ? "no system libblas.so.3 loads through JNI (install libopenblas0-pthread to measure it)"
          : "the jar's OpenBLAS did not load");
    }
    if (p.name().equals("system") && node.path("blas").asText().contains("openblas-jar")) {
      return unavailable(entry, "dev.ludovic.netlib.blas.nativeLibPath points at the jar's OpenBLAS");
    }
    entry.put("available", true);
    entry.put("blas", node.path("blas").asText());
    List<Map<String, Object>> points = new ArrayList<>();
    for (JsonNode pt : node.path("points")) {
      points.add(Json.mapper().convertValue(pt, Map.class));
      runs.bestDgemm().merge(pt.path("n").asInt(), pt.path("dgemm_gflops").asDouble(), Math::max);
    }
    entry.put("points", points);
    entry.put("best", bestPerKernel(node));
    runs.byName().put(p.name(), node);
    console.println("  kernel " + p.name() + ": " + node.path("blas").asText() + " done");
    return entry;
  }

  private static Map<String, Object> unavailable(Map<String, Object> entry, String note) {
    entry.put("available", false);
    entry.put("note", note);
    return entry;
  }

  private ChildJvm.Result runKernelChild(KernelProvider p) throws IOException, InterruptedException {
    List<String> jvm = new ArrayList<>(ChildJvm.jvmFlags(p.vectorModule()));
    jvm.add("-Dpullback.blas=" + p.blas());
    jvm.add("-Xmx2g");
    int rounds = config.quick() ? 2 : 3;
    String minSeconds = config.quick() ? "0.15" : "0.4";
    return ChildJvm.run(KernelBench.class.getName(), jvm,
        List.of(p.ns(), p.rows(), p.tiles(), String.valueOf(rounds), minSeconds, p.isNative() ? "native-only" : "any"),
        Map.of("OPENBLAS_NUM_THREADS", "1"), work.resolve("kernel-" + p.name() + ".log"), 900);
  }

  /**
   * The figure at the largest N measured: the default kernel's best point (rows per call), its ratio to the same
   * BLAS's dgemm measured in the same interleaved rounds (median), times how far that BLAS's dgemm is from the
   * best dgemm of any BLAS (1 when it is the best). Side-by-side ratios, because the machine is shared: a lucky
   * quiet second in one measurement must not decide the verdict.
   */
  private void kernelFigure(Map<String, Object> section, JsonNode used, Map<Integer, Double> bestDgemm, String providerInUse,
                            GramAccumulator.Kernel defaultKernel) {
    JsonNode bestPoint = defaultKernelPoint(used, defaultKernel);
    if (bestPoint == null) {
      add(Figure.skipped("kernel_vs_best_dgemm", "the default kernel was not among the measured points"));
      return;
    }
    int nFig = bestPoint.path("n").asInt();
    Map<Integer, Double> ownDgemm = new LinkedHashMap<>();
    for (JsonNode pt : used.path("points")) ownDgemm.merge(pt.path("n").asInt(), pt.path("dgemm_gflops").asDouble(), Math::max);
    double best = bestDgemm.getOrDefault(nFig, Double.NaN);
    double own = ownDgemm.getOrDefault(nFig, Double.NaN);
    double providerFactor = Math.min(1.0, own / best);
    double ratio = bestPoint.path("ratio_median").asDouble();
    section.put("figure", RecordMaps.ordered("n", nFig, "rows", bestPoint.path("rows").asInt(), "kernel_over_own_dgemm_median", ratio,
        "own_dgemm_over_best_dgemm", providerFactor));
    add(Figure.atLeast("kernel_vs_best_dgemm", "Gram kernel in use (" + providerInUse + ", " + defaultKernel.name().toLowerCase(Locale.ROOT)
        + ") / best dgemm of any BLAS, N = " + nFig, ratio * providerFactor, 0.80,
        String.format(Locale.ROOT, "kernel/own dgemm %.2f (median of interleaved rounds, %d rows per call; best %.1f vs %.1f GFLOP/s), "
            + "own dgemm/best dgemm of any BLAS %.2f (%.1f vs %.1f GFLOP/s); single thread", ratio, bestPoint.path("rows").asInt(),
            bestPoint.path("kernel_gflops").asDouble(), bestPoint.path("dgemm_gflops").asDouble(), providerFactor, own, best)));
    int nMax = config.kernelNs().stream().mapToInt(Integer::intValue).max().orElse(1024);
    if (nMax != nFig) LOG.info("kernel figure taken at N = {}", nFig);
  }

  /** The default kernel's fastest point (kernel GFLOP/s) at the largest N it was measured at, or null. */
  private static JsonNode defaultKernelPoint(JsonNode used, GramAccumulator.Kernel defaultKernel) {
    int nFig = -1;
    JsonNode bestPoint = null;
    for (JsonNode pt : used.path("points")) {
      boolean isDefault = pt.path("kernel").asText().equals(defaultKernel.name().toLowerCase(Locale.ROOT))
          && (defaultKernel != GramAccumulator.Kernel.GEMM_TILES || pt.path("tile").asInt() == GramAccumulator.DEFAULT_TILE);
      int n = pt.path("n").asInt();
      if (!isDefault) continue;
      if (n > nFig) {
        nFig = n;
        bestPoint = null;
      }
      if (n == nFig && (bestPoint == null || pt.path("kernel_gflops").asDouble() > bestPoint.path("kernel_gflops").asDouble())) bestPoint = pt;
    }
    return bestPoint;
  }

  private static Map<String, Object> bestPerKernel(JsonNode node) {
    Map<String, Object> best = new LinkedHashMap<>();
    for (JsonNode pt : node.path("points")) {
      String key = pt.path("kernel").asText() + "@N=" + pt.path("n").asInt();
      Object prev = best.get(key);
      double v = pt.path("kernel_gflops").asDouble();
      if (prev == null || ((Map<?, ?>) prev).get("kernel_gflops") instanceof Double d && d < v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kernel_gflops", v);
        m.put("rows", pt.path("rows").asInt());
        m.put("tile", pt.path("tile").asInt());
        m.put("ratio_to_own_dgemm", pt.path("ratio_best").asDouble());
        best.put(key, m);
      }
    }
    return best;
  }

  // ---------------------------------------------------------------- (b) MLlib

  /** One N of the MLlib comparison: both Grams' best times on the same cached rows, their difference, and the BLAS limit. */
  record MllibRow(int n, long rows, int partitions, int blockRows, double pullbackSeconds, double mllibSeconds, double speedup,
                  double pullbackGflops, double maxRelativeDifference, int repeats, int blasLimitThreads, double blasLimitGflops,
                  double blasLimitSeconds, double pullbackOverBlasLimit, double speedupCeiling) {
    static MllibRow of(LoadedData data, long m, int n, double ours, double theirs, double relativeDifference, int repeats, int threads,
                       double limitGflops) {
      double limitSeconds = (double) m * n * (n + 1) / limitGflops / 1e9;
      return new MllibRow(n, m, data.partitions(), data.blockRows(), ours, theirs, theirs / ours, (double) m * n * (n + 1) / ours / 1e9,
          relativeDifference, repeats, threads, limitGflops, limitSeconds, ours / limitSeconds, theirs / limitSeconds);
    }
  }

  private void mllib(SparkSession spark, Map<Integer, Double> estimateSeconds) throws InterruptedException {
    List<MllibRow> rowsOut = new ArrayList<>();
    for (int n : config.ns()) {
      console.println("  estimate vs MLlib: M = " + config.rows() + ", N = " + n);
      MllibRow row = mllibRow(spark, n);
      estimateSeconds.put(n, row.pullbackSeconds());
      rowsOut.add(row);
    }
    sections.put("mllib", RecordMaps.ordered("results", rowsOut.stream().map(RecordMaps::of).toList(),
        "what", "dense function estimate of logistic (J = [x, 1]) vs RowMatrix.computeGramianMatrix, same cached rows, compute only"));
    mllibFigures(rowsOut);
  }

  private MllibRow mllibRow(SparkSession spark, int n) throws InterruptedException {
    long m = config.rows();
    int p = spark.sparkContext().defaultParallelism();
    LogisticModel model = new LogisticModel(n - 1);
    LoadedData data = loadGaussian(spark, m, n - 1, 2, p, InputConfig.blockRowsFor(n, 1), LOGISTIC_LABELS);
    try {
      // Best of two at N <= 1024 (cheap there): one noisy second on a shared VM must not decide a ratio.
      int repeats = n <= 1024 ? 2 : 1;
      BoundFactorRows source = boundRows(model, MetricKind.FUNCTION);
      long reduceBudget = RunContext.of(spark).reduceBudgetBytes();
      Timed<DenseMetricEstimator.DenseMetric> ours = best(repeats, () -> DenseMetricEstimator.estimate(data, source, reduceBudget));
      JavaRDD<Vector> rows = data.blocks().flatMap(b -> rowsOf(b).iterator());
      rows.persist(StorageLevel.MEMORY_AND_DISK());
      rows.count();
      Timed<Matrix> theirs = best(repeats, () -> new RowMatrix(rows.rdd(), m, n).computeGramianMatrix());
      rows.unpersist(true);
      double relativeDifference = maxRelativeDifference(ours.value(), theirs.value(), m, n);
      // The BLAS limit: p kernels at once on this shape, no Spark; the most any Gram can get here.
      double limitGflops = KernelBench.concurrentRate(GramAccumulator.Kernel.forCurrentBlas(), n, data.blockRows(), p,
          config.quick() ? 0.5 : 1.5);
      MllibRow row = MllibRow.of(data, m, n, ours.seconds(), theirs.seconds(), relativeDifference, repeats, p, limitGflops);
      console.println(String.format(Locale.ROOT, "    pullback %.3f s, MLlib %.3f s, speedup %.1fx, max rel diff %.1e; BLAS limit %.3f s "
          + "(%d kernels at once, %.1f GFLOP/s) so speedup ceiling %.1fx", row.pullbackSeconds(), row.mllibSeconds(), row.speedup(),
          relativeDifference, row.blasLimitSeconds(), p, limitGflops, row.speedupCeiling()));
      return row;
    } finally {
      data.release();
    }
  }

  /** max |M·G − Gram| over max |M·G|: Pullback's G is the mean over the M rows, MLlib's Gramian the sum. */
  private static double maxRelativeDifference(DenseMetricEstimator.DenseMetric g, Matrix gm, long m, int n) {
    double maxAbs = 0;
    double maxDiff = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double a = g.values()[i * n + j] * m;
        maxAbs = Math.max(maxAbs, Math.abs(a));
        maxDiff = Math.max(maxDiff, Math.abs(a - gm.apply(i, j)));
      }
    }
    return maxDiff / maxAbs;
  }

  private void mllibFigures(List<MllibRow> rowsOut) {
    for (int target : new int[] {1024, 2048}) {
      String id = "estimate_vs_mllib_n" + target;
      MllibRow r = rowsOut.stream().filter(x -> x.n() == target).findFirst().orElse(null);
      if (r == null) {
        add(Figure.skipped(id, "N = " + target + " not measured (--n)"));
        continue;
      }
      add(Figure.atLeast(id, "MLlib computeGramianMatrix time / Pullback estimate time, N = " + target + ", M = " + config.rows(),
          r.speedup(), target == 1024 ? 4 : 10,
          String.format(Locale.ROOT, "Pullback %.2f s, MLlib %.2f s; BLAS limit %.2f s (%d kernels at once, %.1f GFLOP/s): ceiling %.2f",
              r.pullbackSeconds(), r.mllibSeconds(), r.blasLimitSeconds(), r.blasLimitThreads(), r.blasLimitGflops(), r.speedupCeiling())));
    }
  }

  private static List<Vector> rowsOf(ExampleBlock b) {
    List<Vector> out = new ArrayList<>(b.rows());
    int d = b.dim();
    for (int r = 0; r < b.rows(); r++) {
      double[] x = new double[d + 1];
      System.arraycopy(b.features(), r * d, x, 0, d);
      x[d] = 1.0;
      out.add(Vectors.dense(x));
    }
    return out;
  }

  private LoadedData loadGaussian(SparkSession spark, long rows, int features, int classes, int partitions, int blockRows, LabelRule rule) {
    String data = "synthetic:gaussian?rows=" + rows + "&features=" + features + "&seed=7&classes=" + classes;
    return DataLoader.load(spark, new DataLoader.Options(data, null, null, null, null, partitions, d -> blockRows, rule));
  }

  // ---------------------------------------------------------------- (c) numpy

  /** {@code J.T @ J} per N in python3, best of two at N <= 512; prints {@code NUMPY-JSON {...}}. */
  private static final String NUMPY_SCRIPT = String.join("\n",
      "import json, sys, time",
      "import numpy as np",
      "M = int(sys.argv[1]); ns = [int(x) for x in sys.argv[2].split(',')]",
      "try:",
      "    from threadpoolctl import threadpool_info; info = threadpool_info()",
      "except Exception as e:",
      "    info = 'threadpoolctl not importable'",
      "rng = np.random.default_rng(1)",
      "w = rng.standard_normal((4000, 256)); w.T @ w",
      "out = []",
      "for n in ns:",
      "    J = rng.standard_normal((M, n)); J[:, -1] = 1.0",
      "    best = float('inf')",
      "    for r in range(2 if n <= 512 else 1):",
      "        t = time.perf_counter(); G = J.T @ J; best = min(best, time.perf_counter() - t)",
      "    out.append({'n': n, 'seconds': best}); del J, G",
      "print('NUMPY-JSON ' + json.dumps({'numpy': np.__version__, 'threadpools': info, 'results': out}))");

  private void numpy(SparkSession spark, Map<Integer, Double> estimateSeconds) throws IOException, InterruptedException {
    Map<String, Object> section = new LinkedHashMap<>();
    sections.put("numpy", section);
    List<Integer> ns = estimateSeconds.isEmpty() ? config.ns() : new ArrayList<>(estimateSeconds.keySet());
    section.put("environment", "OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset for the python3 process");
    ChildJvm.Result r = runNumpy(ns);
    String payload = r.line("NUMPY-JSON ");
    if (r.exitCode() != 0 || payload == null) {
      section.put("skipped", "python3 with numpy not available: " + tail(r.output()));
      add(Figure.skipped("estimate_vs_numpy", "python3 with numpy is not available on this machine"));
      return;
    }
    JsonNode node = Json.mapper().readTree(payload);
    section.put("numpy_version", node.path("numpy").asText());
    section.put("threadpools", Json.mapper().convertValue(node.path("threadpools"), Object.class));
    List<Map<String, Object>> rows = new ArrayList<>();
    for (JsonNode nr : node.path("results")) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("n", nr.path("n").asInt());
      row.put("rows", config.rows());
      row.put("numpy_seconds", nr.path("seconds").asDouble());
      Double ours = estimateSeconds.get(nr.path("n").asInt());
      row.put("pullback_seconds", ours);
      if (ours != null) row.put("pullback_over_numpy", ours / nr.path("seconds").asDouble());
      rows.add(row);
    }
    section.put("results", rows);
    numpyFigure(rows, spark.sparkContext().defaultParallelism());
  }

  /** Runs {@link #NUMPY_SCRIPT} on M = {@code --rows} and {@code ns}; exit -1 with the message when python3 cannot start. */
  private ChildJvm.Result runNumpy(List<Integer> ns) throws IOException, InterruptedException {
    Path py = work.resolve("numpy_gram.py");
    Files.writeString(py, NUMPY_SCRIPT + "\n");
    ProcessBuilder pb = new ProcessBuilder("python3", py.toString(), String.valueOf(config.rows()), csv(ns)).redirectErrorStream(true);
    // numpy gets every core and picks its own kernel: the thread and core-type overrides of this
    // environment (OPENBLAS_NUM_THREADS=1 for the JVM; OPENBLAS_CORETYPE/L2_SIZE for old OpenBLAS builds) are removed.
    for (String v : List.of("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "MKL_NUM_THREADS")) pb.environment().remove(v);
    try {
      Process proc = pb.start();
      String output = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new ChildJvm.Result(proc.waitFor(), output);
    } catch (IOException e) {
      return new ChildJvm.Result(-1, e.getMessage());
    }
  }

  /** The figure at the largest N with both a numpy and a Pullback time. */
  private void numpyFigure(List<Map<String, Object>> rows, int tasks) {
    Map<String, Object> fig = null;
    for (Map<String, Object> row : rows) {
      if (row.get("pullback_seconds") != null && (fig == null || (int) row.get("n") > (int) fig.get("n"))) fig = row;
    }
    if (fig == null) {
      add(Figure.skipped("estimate_vs_numpy", "no Pullback estimate at the same shape (the mllib section was skipped)"));
      return;
    }
    double ours = (double) fig.get("pullback_seconds");
    double np = (double) fig.get("numpy_seconds");
    add(Figure.atMost("estimate_vs_numpy", "Pullback estimate time / numpy J.T @ J time, N = " + fig.get("n") + ", M = " + config.rows(),
        ours / np, 1.25, String.format(Locale.ROOT, "Pullback %.2f s (local, %d tasks), numpy %.2f s", ours, tasks, np)));
  }

  // ---------------------------------------------------------------- (d) scaling

  private void scaling(SparkSession spark) throws IOException, InterruptedException {
    Map<String, Object> section = new LinkedHashMap<>();
    sections.put("scaling", section);
    int n = config.scalingN();
    section.put("rows", scalingByRows(spark, n));
    // The machine's own ceiling for two executors: two Gram kernels at once against one, same shape,
    // measured before and after the cluster runs (the two vCPUs of a VM may share FP units).
    double kernelSeconds = config.quick() ? 0.5 : 1.0;
    double parallelBefore = parallelKernelSpeedup(n, kernelSeconds);
    long dataMb = config.scalingRows() * n * 8 / (1 << 20);
    int mem = (int) Math.max(1024, 2 * dataMb + 512);
    List<Map<String, Object>> byExecutors = scalingByExecutors(n, mem);
    double parallelAfter = parallelKernelSpeedup(n, kernelSeconds);
    double parallel = (parallelBefore + parallelAfter) / 2;
    section.put("two_kernels_over_one", RecordMaps.ordered("before", parallelBefore, "after", parallelAfter, "mean", parallel));
    console.println(String.format(Locale.ROOT, "  scaling: two Gram kernels at once run %.2fx (before) and %.2fx (after) one kernel's rate",
        parallelBefore, parallelAfter));
    section.put("executors", byExecutors);
    section.put("executor_memory_mb", mem);
    executorsFigure(byExecutors, n, parallel);
  }

  /** Estimate time against M (M/4, M/2, M of {@code --scaling-rows}) in this session, data cached. */
  private List<Map<String, Object>> scalingByRows(SparkSession spark, int n) {
    int p = spark.sparkContext().defaultParallelism();
    LogisticModel model = new LogisticModel(n - 1);
    List<Map<String, Object>> byRows = new ArrayList<>();
    for (long m : new long[] {config.scalingRows() / 4, config.scalingRows() / 2, config.scalingRows()}) {
      double best = timeEstimate(spark, model, MetricKind.FUNCTION, loadGaussian(spark, m, n - 1, 2, p, InputConfig.blockRowsFor(n, 1), LOGISTIC_LABELS));
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("rows", m);
      row.put("n", n);
      row.put("seconds", best);
      row.put("microseconds_per_row", best / m * 1e6);
      byRows.add(row);
      console.println(String.format(Locale.ROOT, "  scaling: M = %d, N = %d: %.3f s", m, n, best));
    }
    return byRows;
  }

  /** One {@link ScalingProbe} driver JVM per executor count (1 and 2 executors of one core, {@code mem} MiB each). */
  private List<Map<String, Object>> scalingByExecutors(int n, int mem) throws IOException, InterruptedException {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SPARK_HOME", ChildJvm.sparkHome(work.resolve("spark-home")).toString());
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("OPENBLAS_NUM_THREADS", "1");
    List<Map<String, Object>> byExecutors = new ArrayList<>();
    for (int e : new int[] {1, 2}) {
      String master = "local-cluster[" + e + ",1," + mem + "]";
      List<String> jvm = new ArrayList<>(ChildJvm.jvmFlags(true));
      jvm.add("-Xmx2g");
      jvm.add("-Dspark.ui.enabled=false");
      // Four partitions (two per executor with two executors): tasks of M/4 rows, so the per-task latency of
      // a local-cluster (~50 ms: launch, result fetch) stays small next to the kernel; best of five repeats.
      ChildJvm.Result r = ChildJvm.run(ScalingProbe.class.getName(), jvm,
          List.of(master, String.valueOf(config.scalingRows()), String.valueOf(n), "4", "5"), env, work.resolve("scaling-" + e + ".log"), 1200);
      String payload = r.line("SCALING-JSON");
      if (r.exitCode() != 0 || payload == null) {
        Map<String, Object> failed = new LinkedHashMap<>();
        failed.put("master", master);
        failed.put("error", "child driver failed (exit " + r.exitCode() + "): " + tail(r.output()));
        byExecutors.add(failed);
        continue;
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> row = Json.mapper().readValue(payload, Map.class);
      byExecutors.add(row);
      console.println(String.format(Locale.ROOT, "  scaling: %s: %.3f s, shuffled %d bytes, driver peak heap %d MiB", master,
          ((Number) row.get("estimate_seconds")).doubleValue(), ((Number) row.get("shuffle_write_bytes")).longValue(),
          ((Number) row.get("driver_peak_heap_bytes")).longValue() >> 20));
    }
    return byExecutors;
  }

  private void executorsFigure(List<Map<String, Object>> byExecutors, int n, double parallel) {
    Double t1 = null;
    Double t2 = null;
    for (Map<String, Object> r : byExecutors) {
      if (!r.containsKey("estimate_seconds")) continue;
      double t = ((Number) r.get("estimate_seconds")).doubleValue();
      if (String.valueOf(r.get("master")).startsWith("local-cluster[1,")) t1 = t;
      if (String.valueOf(r.get("master")).startsWith("local-cluster[2,")) t2 = t;
    }
    if (t1 == null || t2 == null) {
      add(Figure.skipped("executors_2_vs_1", "a local-cluster run failed; see sections.scaling.executors"));
    } else {
      add(Figure.atLeast("executors_2_vs_1", "estimate time with 1 executor / with 2 executors (one core each), M = " + config.scalingRows()
          + ", N = " + n, t1 / t2, 1.7, String.format(Locale.ROOT, "1 executor %.2f s, 2 executors %.2f s; machine ceiling: 2 kernels at once %.2fx one", t1, t2, parallel)));
    }
  }

  /** Aggregate rate of two concurrent Gram kernels over one kernel's rate, on this scaling shape. */
  private static double parallelKernelSpeedup(int n, double seconds) throws InterruptedException {
    GramAccumulator.Kernel kernel = GramAccumulator.Kernel.forCurrentBlas();
    int rows = InputConfig.blockRowsFor(n, 1);
    double one = KernelBench.concurrentRate(kernel, n, rows, 1, seconds);
    double two = KernelBench.concurrentRate(kernel, n, rows, 2, seconds);
    return two / one;
  }

  // ---------------------------------------------------------------- (e) training

  /** The experiment of the training comparison: ngd (exact Fisher, η = 1) and MLlib L-BFGS on {@code data}. */
  private static String trainingExperiment(Path data) {
    return String.join("\n",
        "name: bench-logistic-vs-mllib",
        "description: ngd (exact Fisher, lr 1) against MLlib L-BFGS on a real binary data set",
        "train:",
        "  data: " + data,
        "  model: logistic",
        "  init: zeros",
        "  partitions: 2",
        "arms:",
        "  - name: ngd-fisher",
        "    optimizer: ngd",
        "    metric: fisher",
        "    lr: 1",
        "    damping: 0",
        "    steps: 15",
        "  - name: mllib-lbfgs",
        "    optimizer: mllib-lbfgs",
        "    steps: 1000", "");
  }

  /** Data passes and seconds of ngd up to the step that first reached the target loss ({@code passes} -1: never). */
  private record NgdToTarget(long passes, double seconds) {}

  /** MLlib's objective history: iterations, the first iteration at the target (-1: never), and the passes estimated to there. */
  private record MllibToTarget(int iterations, int iterationsToTarget, long totalPasses, double passesToTarget) {}

  private void training(SparkSession spark) throws IOException {
    Map<String, Object> section = new LinkedHashMap<>();
    sections.put("training", section);
    Path data = config.dataset().toAbsolutePath();
    if (!Files.isRegularFile(data)) {
      section.put("skipped", data + " is absent (scripts/fetch-datasets.sh fetches it)");
      add(Figure.skipped("ngd_passes_vs_mllib", data + " is absent; run scripts/fetch-datasets.sh"));
      return;
    }
    Path out = runTrainingExperiment(spark, data);
    JsonNode results = Json.readTree(out.resolve("results.json"));
    JsonNode ngd = arm(results, "ngd-fisher");
    JsonNode lbfgs = arm(results, "mllib-lbfgs");
    double mllibLoss = lbfgs.path("final_loss").asDouble();
    double target = mllibLoss * (1 + 1e-6);
    NgdToTarget ngdRun = ngdToTarget(out.resolve("arms/ngd-fisher/history.jsonl"), ngd, target);
    MllibToTarget mllibRun = mllibToTarget(lbfgs, target);
    section.put("dataset", data.toString());
    section.put("mllib_final_loss", mllibLoss);
    section.put("ngd_final_loss", ngd.path("final_loss").asDouble());
    section.put("relative_loss_difference", Math.abs(ngd.path("final_loss").asDouble() - mllibLoss) / mllibLoss);
    section.put("ngd_passes_to_target", ngdRun.passes());
    section.put("ngd_seconds_to_target", ngdRun.seconds());
    section.put("ngd_total_passes", ngd.path("passes").asLong());
    section.put("mllib_total_passes", mllibRun.totalPasses());
    section.put("mllib_iterations", mllibRun.iterations() - 1);
    section.put("mllib_iterations_to_target", mllibRun.iterationsToTarget());
    section.put("mllib_passes_to_target_estimate", mllibRun.passesToTarget());
    section.put("mllib_seconds", lbfgs.path("train_seconds").asDouble());
    section.put("ngd_train_seconds", ngd.path("train_seconds").asDouble());
    section.put("arms", Json.mapper().convertValue(results.path("arms"), Object.class));
    if (ngdRun.passes() < 0) {
      add(new Figure("ngd_passes_vs_mllib", "ngd data passes to MLlib's final loss (1e-6 relative) / MLlib's", Double.NaN, "<= 0.333", false,
          "ngd never reached MLlib's final loss " + mllibLoss));
    } else {
      add(Figure.atMost("ngd_passes_vs_mllib", "ngd data passes to MLlib's final loss (1e-6 relative) / MLlib's passes to it",
          ngdRun.passes() / mllibRun.passesToTarget(), 1.0 / 3,
          String.format(Locale.ROOT, "ngd %d passes (%.2f s), MLlib ~%.0f of its %d passes (%.2f s)", ngdRun.passes(), ngdRun.seconds(),
              mllibRun.passesToTarget(), mllibRun.totalPasses(), lbfgs.path("train_seconds").asDouble())));
    }
  }

  /** Runs {@link #trainingExperiment} through the product's experiment runner; the folder it wrote. */
  private Path runTrainingExperiment(SparkSession spark, Path data) throws IOException {
    Path yaml = work.resolve("logistic-vs-mllib.yaml");
    AtomicFiles.writeString(yaml, trainingExperiment(data));
    Path out = work.resolve("training");
    ExperimentRunner.run(spark, new ExperimentRunner.Options(yaml.toString(), List.of(), out.toString(), null), new ExperimentRunner.Progress() {
      @Override public void armStarted(int index, int arms, String arm, int steps) {
        console.println("  training: arm " + arm);
      }
      @Override public void step(String arm, int step, int steps, double loss, double seconds) {}
      @Override public void armDone(String arm) {}
    });
    return out;
  }

  /** The last arm of {@code results.json} named {@code name}, or null. */
  private static JsonNode arm(JsonNode results, String name) {
    JsonNode found = null;
    for (JsonNode a : results.path("arms")) if (a.path("name").asText().equals(name)) found = a;
    return found;
  }

  /** ngd: passes up to and including the step whose loss first reaches the target (from its history). */
  private static NgdToTarget ngdToTarget(Path history, JsonNode ngd, double target) throws IOException {
    double seconds = 0;
    long cumulative = 0;
    for (String line : Files.readAllLines(history)) {
      if (line.isBlank()) continue;
      JsonNode h = Json.mapper().readTree(line);
      cumulative += h.path("passes").asLong(1);
      seconds += h.path("seconds").asDouble();
      if (h.path("loss").asDouble() <= target) return new NgdToTarget(cumulative, seconds);
    }
    if (ngd.path("final_loss").asDouble() <= target) return new NgdToTarget(ngd.path("passes").asLong(), ngd.path("train_seconds").asDouble());
    return new NgdToTarget(-1, seconds);
  }

  /**
   * MLlib: its objective history gives the iteration that first reached the target; passes to there
   * are estimated as total passes × (iterations to target / iterations).
   */
  private static MllibToTarget mllibToTarget(JsonNode lbfgs, double target) {
    int iters = 0;
    int itersToTarget = -1;
    for (JsonNode l : lbfgs.path("loss")) {
      if (itersToTarget < 0 && l.asDouble() <= target) itersToTarget = iters;
      iters++;
    }
    long passes = lbfgs.path("passes").asLong();
    double toTarget = itersToTarget < 0 ? passes : (double) passes * Math.max(1, itersToTarget) / Math.max(1, iters - 1);
    return new MllibToTarget(iters, itersToTarget, passes, toTarget);
  }

  // ---------------------------------------------------------------- (f) softmax fisher

  private void softmax(SparkSession spark) {
    int d = config.softmaxFeatures();
    int k = 10;
    SoftmaxModel softmax = new SoftmaxModel(d, k);
    int n = softmax.numParams();
    long m = config.softmaxRows();
    int p = spark.sparkContext().defaultParallelism();
    console.println("  softmax fisher: K = 10, D = " + d + ", N = " + n + ", M = " + m);
    double fisher = timeEstimate(spark, softmax, MetricKind.FISHER, loadGaussian(spark, m, d, k, p, InputConfig.blockRowsFor(n, k),
        new LabelRule(OutputDistribution.CATEGORICAL_SOFTMAX, k, "softmax")));
    LogisticModel gramModel = new LogisticModel(n - 1);
    double gram = timeEstimate(spark, gramModel, MetricKind.FUNCTION, loadGaussian(spark, m * k, n - 1, 2, p, InputConfig.blockRowsFor(n, 1),
        LOGISTIC_LABELS));
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("classes", k);
    section.put("features", d);
    section.put("n", n);
    section.put("examples", m);
    section.put("factor_rows", m * k);
    section.put("fisher_seconds", fisher);
    section.put("pure_gram_seconds", gram);
    sections.put("softmax", section);
    add(Figure.atMost("softmax_fisher_vs_gram", "softmax (K = 10) fisher estimate time / pure Gram of " + (m * k) + " rows, N = " + n,
        fisher / gram, 2.0, String.format(Locale.ROOT, "fisher %.2f s, pure Gram %.2f s", fisher, gram)));
  }

  /** Best of two dense estimates (the product's {@link DenseMetricEstimator}) of {@code kind} at θ₀ on {@code data}, which it then releases. */
  private static double timeEstimate(SparkSession spark, Model model, MetricKind kind, LoadedData data) {
    try {
      BoundFactorRows source = boundRows(model, kind);
      long reduceBudget = RunContext.of(spark).reduceBudgetBytes();
      return best(2, () -> DenseMetricEstimator.estimate(data, source, reduceBudget)).seconds();
    } finally {
      data.release();
    }
  }

  /** The factor rows of {@code kind} (one output sample, seed 0) bound to the model's initial parameters (seed 1). */
  static BoundFactorRows boundRows(Model model, MetricKind kind) {
    return new BoundFactorRows(new FactorRows(model, kind, 1, 0), model.initialParams(1));
  }

  /** A result and the best wall time of the repeats that produced it (the value is the last repeat's). */
  private record Timed<T>(T value, double seconds) {}

  /** Runs {@code op} {@code repeats} times; the last result with the shortest time. */
  private static <T> Timed<T> best(int repeats, Supplier<T> op) {
    double best = Double.POSITIVE_INFINITY;
    T value = null;
    for (int r = 0; r < repeats; r++) {
      long t = System.nanoTime();
      value = op.get();
      best = Math.min(best, seconds(t));
    }
    return new Timed<>(value, best);
  }

  // ---------------------------------------------------------------- (g) G·V block products

  private void gramProducts(SparkSession spark) {
    console.println("  G·V: MLP N = " + new io.pullback.model.MlpModel(GramProductBench.FEATURES, GramProductBench.HIDDEN, 1,
        io.pullback.model.Activation.TANH).numParams() + ", M = " + config.gvRows() + ", s = 1 and 16 against a loss-and-gradient pass");
    GramProductBench.Result r = GramProductBench.run(spark, config.gvRows(), config.quick() ? 3 : 5);
    sections.put("gv", r.section());
    for (Figure f : r.figures()) add(f);
  }

  // ---------------------------------------------------------------- provenance

  private static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("host", hostName());
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    m.put("cpu", cpuModel());
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("jvm_max_heap_bytes", Runtime.getRuntime().maxMemory());
    try {
      String mem = Files.readAllLines(Path.of("/proc/meminfo")).get(0);
      m.put("memory", mem.replaceAll("\\s+", " "));
      m.put("load_average_at_end", Files.readString(Path.of("/proc/loadavg")).trim());
    } catch (IOException | RuntimeException e) {
      m.put("memory", "unknown");
    }
    return m;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static String cpuModel() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).trim();
    } catch (IOException | RuntimeException ignored) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static Map<String, Object> versions(SparkSession spark) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("pullback", BuildInfo.version());
    v.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
    v.put("spark", spark.version());
    v.put("scala", scala.util.Properties.versionNumberString());
    return v;
  }

  private static Map<String, Object> blasInfo() {
    Map<String, Object> b = new LinkedHashMap<>();
    Blas.Selection s = Blas.selection();
    b.put("implementation", s.implementation());
    b.put("library", s.library());
    b.put("requested", s.requested());
    b.put("gram_kernel", GramAccumulator.Kernel.forCurrentBlas().name().toLowerCase(Locale.ROOT));
    b.put("gram_tile", GramAccumulator.DEFAULT_TILE);
    b.put("gram_chunk_rows", GramAccumulator.DEFAULT_CHUNK_ROWS);
    b.put("gram_max_rows", GramAccumulator.defaultMaxRows());
    b.put("OPENBLAS_NUM_THREADS", System.getenv("OPENBLAS_NUM_THREADS"));
    b.put("OPENBLAS_CORETYPE", System.getenv("OPENBLAS_CORETYPE"));
    return b;
  }

  static String csv(List<Integer> xs) {
    return String.join(",", xs.stream().map(String::valueOf).toList());
  }

  private static String tail(String s) {
    if (s == null) return "";
    String t = s.strip();
    return t.length() <= 600 ? t : "…" + t.substring(t.length() - 600);
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  static void writeText(Path file, String text) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    AtomicFiles.writeString(file, text);
  }
}
