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
 *       same number of factor rows and the same N.</li>
 * </ol>
 */
public final class Bench {
  private static final Logger LOG = LoggerFactory.getLogger(Bench.class);
  static final List<String> SECTIONS = List.of("kernel", "mllib", "numpy", "scaling", "training", "softmax");

  /** Sizes and switches of one run. */
  public record Config(boolean quick, Path out, long rows, List<Integer> ns, List<Integer> kernelNs, long scalingRows, int scalingN,
                       long softmaxRows, int softmaxFeatures, Path dataset, List<String> skip, String commandLine) {
    static Config of(boolean quick, Path out, Long rows, List<Integer> ns, List<Integer> kernelNs, Long scalingRows, Integer scalingN,
                     Long softmaxRows, Integer softmaxFeatures, Path dataset, List<String> skip, String commandLine) {
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
          dataset, sk, commandLine);
      if (c.rows < 1 || c.scalingRows < 4 || c.softmaxRows < 1 || c.softmaxFeatures < 1 || c.scalingN < 2) {
        throw io.pullback.PullbackException.usage("bench sizes must be positive (--rows, --scaling-rows >= 4, --scaling-n >= 2, --softmax-*)");
      }
      for (int n : c.ns) if (n < 2) throw io.pullback.PullbackException.usage("--n: every N must be >= 2, got " + n);
      for (int n : c.kernelNs) if (n < 2) throw io.pullback.PullbackException.usage("--kernel-n: every N must be >= 2, got " + n);
      return c;
    }
  }

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
    OutputDirectory.deleteRecursively(work.resolve("spark-home"));
    console.println("Wrote " + json + " and " + config.out().resolve("REPORT.md"));
  }

  private boolean want(String section) {
    return !config.skip().contains(section);
  }

  private void skipped(String section) {
    sections.put(section, Map.of("skipped", "--skip " + section));
    for (String id : Figure.idsOf(section)) add(Figure.skipped(id, "section skipped (--skip " + section + ")"));
  }

  private void add(Figure f) {
    figures.add(f);
    console.println(f.line());
    LOG.info("bench: {}", f.line());
  }

  // ---------------------------------------------------------------- (a) kernel

  private void kernel() throws IOException, InterruptedException {
    List<Map<String, Object>> providers = new ArrayList<>();
    String inUse = Blas.selection().implementation();
    boolean inUseNative = Blas.isNative();
    String inUseLibrary = Blas.selection().library();
    List<Integer> ns = config.kernelNs();
    int nMax = ns.stream().mapToInt(Integer::intValue).max().orElse(1024);
    String nativeRows = config.quick() ? "512,2048" : "512,2048";
    String[][] plan = {
        // name, pullback.blas, vector module, N list, rows list, tiles
        {"openblas-jar", "openblas-jar", "true", csv(ns), nativeRows, "128,256"},
        {"system", "system", "true", csv(ns), nativeRows, "128,256"},
        {"java-vector", "java", "true", String.valueOf(Math.min(1024, ns.get(0))), "256,1024", "64,128,256"},
        {"java-plain", "java", "false", "512", "256", "128"},
    };
    Map<String, String> env = new LinkedHashMap<>();
    env.put("OPENBLAS_NUM_THREADS", "1");
    int rounds = config.quick() ? 2 : 3;
    String minSeconds = config.quick() ? "0.15" : "0.4";
    Map<Integer, Double> bestDgemm = new LinkedHashMap<>();
    Map<String, JsonNode> byName = new LinkedHashMap<>();
    for (String[] p : plan) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("provider", p[0]);
      if (p[0].equals("openblas-jar") && Blas.extractOpenBlasJar() == null) {
        entry.put("available", false);
        entry.put("note", "org.bytedeco:openblas (linux-x86_64) is not on the class path");
        providers.add(entry);
        continue;
      }
      List<String> jvm = new ArrayList<>(ChildJvm.jvmFlags(p[2].equals("true")));
      jvm.add("-Dpullback.blas=" + p[1]);
      jvm.add("-Xmx2g");
      boolean nativeProvider = p[0].equals("openblas-jar") || p[0].equals("system");
      ChildJvm.Result r = ChildJvm.run(KernelBench.class.getName(), jvm,
          List.of(p[3], p[4], p[5], String.valueOf(rounds), minSeconds, nativeProvider ? "native-only" : "any"),
          env, work.resolve("kernel-" + p[0] + ".log"), 900);
      String payload = r.line("KERNEL-JSON");
      if (r.exitCode() != 0 || payload == null) {
        entry.put("available", false);
        entry.put("note", "child JVM failed (exit " + r.exitCode() + "): " + tail(r.output()));
        providers.add(entry);
        continue;
      }
      JsonNode node = Json.mapper().readTree(payload);
      boolean isNative = node.path("native").asBoolean();
      if ((p[0].equals("openblas-jar") || p[0].equals("system")) && !isNative) {
        entry.put("available", false);
        entry.put("note", p[0].equals("system") ? "no system libblas.so.3 loads through JNI (install libopenblas0-pthread to measure it)"
            : "the jar's OpenBLAS did not load");
        providers.add(entry);
        continue;
      }
      if (p[0].equals("system") && node.path("blas").asText().contains("openblas-jar")) {
        entry.put("available", false);
        entry.put("note", "dev.ludovic.netlib.blas.nativeLibPath points at the jar's OpenBLAS");
        providers.add(entry);
        continue;
      }
      entry.put("available", true);
      entry.put("blas", node.path("blas").asText());
      List<Map<String, Object>> points = new ArrayList<>();
      for (JsonNode pt : node.path("points")) {
        points.add(Json.mapper().convertValue(pt, Map.class));
        int n = pt.path("n").asInt();
        bestDgemm.merge(n, pt.path("dgemm_gflops").asDouble(), Math::max);
      }
      entry.put("points", points);
      entry.put("best", bestPerKernel(node));
      providers.add(entry);
      byName.put(p[0], node);
      console.println("  kernel " + p[0] + ": " + node.path("blas").asText() + " done");
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("providers", providers);
    section.put("best_dgemm_gflops", bestDgemm);
    section.put("flop_convention", "kernel: rows*N*(N+1) (the symmetric result); dgemm: 2*rows*N^2");
    section.put("threads", "one (OPENBLAS_NUM_THREADS=1)");
    // The kernel in use: the provider this JVM selected, with the accumulator's default kernel.
    String providerInUse = inUseNative ? (inUseLibrary != null && inUseLibrary.startsWith("openblas-jar") ? "openblas-jar" : "system")
        : "java-vector";
    JsonNode used = byName.get(providerInUse);
    GramAccumulator.Kernel defaultKernel = GramAccumulator.Kernel.forCurrentBlas();
    section.put("in_use", Map.of("provider", providerInUse, "blas", inUse, "kernel", defaultKernel.name().toLowerCase(Locale.ROOT),
        "tile", GramAccumulator.DEFAULT_TILE));
    sections.put("kernel", section);
    if (used == null) {
      add(Figure.skipped("kernel_vs_best_dgemm", "the BLAS in use (" + providerInUse + ") was not measured"));
      return;
    }
    // At the largest N measured: the default kernel's best point (rows per call), its ratio to the same
    // BLAS's dgemm measured in the same interleaved rounds (median), times how far that BLAS's dgemm is
    // from the best dgemm of any BLAS (1 when it is the best). Side-by-side ratios, because the machine
    // is shared: a lucky quiet second in one measurement must not decide the verdict.
    int nFig = -1;
    JsonNode bestPoint = null;
    Map<Integer, Double> ownDgemm = new LinkedHashMap<>();
    for (JsonNode pt : used.path("points")) ownDgemm.merge(pt.path("n").asInt(), pt.path("dgemm_gflops").asDouble(), Math::max);
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
    if (bestPoint == null) {
      add(Figure.skipped("kernel_vs_best_dgemm", "the default kernel was not among the measured points"));
      return;
    }
    double best = bestDgemm.getOrDefault(nFig, Double.NaN);
    double own = ownDgemm.getOrDefault(nFig, Double.NaN);
    double providerFactor = Math.min(1.0, own / best);
    double ratio = bestPoint.path("ratio_median").asDouble();
    section.put("figure", Map.of("n", nFig, "rows", bestPoint.path("rows").asInt(), "kernel_over_own_dgemm_median", ratio,
        "own_dgemm_over_best_dgemm", providerFactor));
    add(Figure.atLeast("kernel_vs_best_dgemm", "Gram kernel in use (" + providerInUse + ", " + defaultKernel.name().toLowerCase(Locale.ROOT)
        + ") / best dgemm of any BLAS, N = " + nFig, ratio * providerFactor, 0.80,
        String.format(Locale.ROOT, "kernel/own dgemm %.2f (median of interleaved rounds, %d rows per call; best %.1f vs %.1f GFLOP/s), "
            + "own dgemm/best dgemm of any BLAS %.2f (%.1f vs %.1f GFLOP/s); single thread", ratio, bestPoint.path("rows").asInt(),
            bestPoint.path("kernel_gflops").asDouble(), bestPoint.path("dgemm_gflops").asDouble(), providerFactor, own, best)));
    if (nMax != nFig) LOG.info("kernel figure taken at N = {}", nFig);
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

  private void mllib(SparkSession spark, Map<Integer, Double> estimateSeconds) throws InterruptedException {
    List<Map<String, Object>> rowsOut = new ArrayList<>();
    long m = config.rows();
    int p = spark.sparkContext().defaultParallelism();
    long reduceBudget = RunContext.of(spark).reduceBudgetBytes();
    for (int n : config.ns()) {
      console.println("  estimate vs MLlib: M = " + m + ", N = " + n);
      LogisticModel model = new LogisticModel(n - 1);
      LoadedData data = loadGaussian(spark, m, n - 1, 2, p, InputConfig.blockRowsFor(n, 1),
          new LabelRule(OutputDistribution.BERNOULLI_LOGIT, 1, "logistic"));
      try {
        BoundFactorRows source = new BoundFactorRows(new FactorRows(model, MetricKind.FUNCTION, 1, 0), model.initialParams(1));
        // Best of two at N <= 1024 (cheap there): one noisy second on a shared VM must not decide a ratio.
        int repeats = n <= 1024 ? 2 : 1;
        double ours = Double.POSITIVE_INFINITY;
        DenseMetricEstimator.DenseMetric g = null;
        for (int r = 0; r < repeats; r++) {
          long t = System.nanoTime();
          g = DenseMetricEstimator.estimate(data, source, reduceBudget);
          ours = Math.min(ours, seconds(t));
        }
        JavaRDD<Vector> rows = data.blocks().flatMap(b -> rowsOf(b).iterator());
        rows.persist(StorageLevel.MEMORY_AND_DISK());
        rows.count();
        double theirs = Double.POSITIVE_INFINITY;
        Matrix gm = null;
        for (int r = 0; r < repeats; r++) {
          long t = System.nanoTime();
          gm = new RowMatrix(rows.rdd(), m, n).computeGramianMatrix();
          theirs = Math.min(theirs, seconds(t));
        }
        rows.unpersist(true);
        double maxAbs = 0;
        double maxDiff = 0;
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < n; j++) {
            double a = g.values()[i * n + j] * m;
            maxAbs = Math.max(maxAbs, Math.abs(a));
            maxDiff = Math.max(maxDiff, Math.abs(a - gm.apply(i, j)));
          }
        }
        estimateSeconds.put(n, ours);
        // The BLAS limit: p kernels at once on this shape, no Spark; the most any Gram can get here.
        double limitGflops = KernelBench.concurrentRate(GramAccumulator.Kernel.forCurrentBlas(), n, data.blockRows(), p,
            config.quick() ? 0.5 : 1.5);
        double limitSeconds = (double) m * n * (n + 1) / limitGflops / 1e9;
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("n", n);
        row.put("rows", m);
        row.put("partitions", data.partitions());
        row.put("block_rows", data.blockRows());
        row.put("pullback_seconds", ours);
        row.put("mllib_seconds", theirs);
        row.put("speedup", theirs / ours);
        row.put("pullback_gflops", (double) m * n * (n + 1) / ours / 1e9);
        row.put("max_relative_difference", maxDiff / maxAbs);
        row.put("repeats", repeats);
        row.put("blas_limit_threads", p);
        row.put("blas_limit_gflops", limitGflops);
        row.put("blas_limit_seconds", limitSeconds);
        row.put("pullback_over_blas_limit", ours / limitSeconds);
        row.put("speedup_ceiling", theirs / limitSeconds);
        rowsOut.add(row);
        console.println(String.format(Locale.ROOT, "    pullback %.3f s, MLlib %.3f s, speedup %.1fx, max rel diff %.1e; BLAS limit %.3f s "
            + "(%d kernels at once, %.1f GFLOP/s) so speedup ceiling %.1fx", ours, theirs, theirs / ours, maxDiff / maxAbs, limitSeconds, p,
            limitGflops, theirs / limitSeconds));
      } finally {
        data.release();
      }
    }
    sections.put("mllib", Map.of("results", rowsOut, "what", "dense function estimate of logistic (J = [x, 1]) vs RowMatrix.computeGramianMatrix, same cached rows, compute only"));
    for (int target : new int[] {1024, 2048}) {
      String id = "estimate_vs_mllib_n" + target;
      Map<String, Object> r = rowsOut.stream().filter(x -> (int) x.get("n") == target).findFirst().orElse(null);
      if (r == null) {
        add(Figure.skipped(id, "N = " + target + " not measured (--n)"));
        continue;
      }
      add(Figure.atLeast(id, "MLlib computeGramianMatrix time / Pullback estimate time, N = " + target + ", M = " + m,
          (double) r.get("speedup"), target == 1024 ? 4 : 10,
          String.format(Locale.ROOT, "Pullback %.2f s, MLlib %.2f s; BLAS limit %.2f s (%d kernels at once, %.1f GFLOP/s): ceiling %.2f",
              (double) r.get("pullback_seconds"), (double) r.get("mllib_seconds"), (double) r.get("blas_limit_seconds"),
              (int) r.get("blas_limit_threads"), (double) r.get("blas_limit_gflops"), (double) r.get("speedup_ceiling"))));
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

  private void numpy(SparkSession spark, Map<Integer, Double> estimateSeconds) throws IOException, InterruptedException {
    Map<String, Object> section = new LinkedHashMap<>();
    sections.put("numpy", section);
    String script = String.join("\n",
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
    Path py = work.resolve("numpy_gram.py");
    Files.writeString(py, script + "\n");
    List<Integer> ns = estimateSeconds.isEmpty() ? config.ns() : new ArrayList<>(estimateSeconds.keySet());
    ProcessBuilder pb = new ProcessBuilder("python3", py.toString(), String.valueOf(config.rows()), csv(ns)).redirectErrorStream(true);
    // numpy gets every core and picks its own kernel: the thread and core-type overrides of this
    // environment (OPENBLAS_NUM_THREADS=1 for the JVM; OPENBLAS_CORETYPE/L2_SIZE for old OpenBLAS builds) are removed.
    for (String v : List.of("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "MKL_NUM_THREADS")) pb.environment().remove(v);
    section.put("environment", "OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset for the python3 process");
    String output;
    int exit;
    try {
      Process proc = pb.start();
      output = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      exit = proc.waitFor();
    } catch (IOException e) {
      output = e.getMessage();
      exit = -1;
    }
    String payload = null;
    for (String l : output.split("\n")) if (l.startsWith("NUMPY-JSON ")) payload = l.substring(11);
    if (exit != 0 || payload == null) {
      section.put("skipped", "python3 with numpy not available: " + tail(output));
      add(Figure.skipped("estimate_vs_numpy", "python3 with numpy is not available on this machine"));
      return;
    }
    JsonNode node = Json.mapper().readTree(payload);
    section.put("numpy_version", node.path("numpy").asText());
    section.put("threadpools", Json.mapper().convertValue(node.path("threadpools"), Object.class));
    List<Map<String, Object>> rows = new ArrayList<>();
    int nFig = -1;
    double ratioFig = Double.NaN;
    String detail = "";
    for (JsonNode r : node.path("results")) {
      int n = r.path("n").asInt();
      double np = r.path("seconds").asDouble();
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("n", n);
      row.put("rows", config.rows());
      row.put("numpy_seconds", np);
      Double ours = estimateSeconds.get(n);
      row.put("pullback_seconds", ours);
      if (ours != null) {
        row.put("pullback_over_numpy", ours / np);
        if (n > nFig) {
          nFig = n;
          ratioFig = ours / np;
          detail = String.format(Locale.ROOT, "Pullback %.2f s (local, %d tasks), numpy %.2f s", ours, spark.sparkContext().defaultParallelism(), np);
        }
      }
      rows.add(row);
    }
    section.put("results", rows);
    if (nFig < 0) {
      add(Figure.skipped("estimate_vs_numpy", "no Pullback estimate at the same shape (the mllib section was skipped)"));
    } else {
      add(Figure.atMost("estimate_vs_numpy", "Pullback estimate time / numpy J.T @ J time, N = " + nFig + ", M = " + config.rows(),
          ratioFig, 1.25, detail));
    }
  }

  // ---------------------------------------------------------------- (d) scaling

  private void scaling(SparkSession spark) throws IOException, InterruptedException {
    Map<String, Object> section = new LinkedHashMap<>();
    sections.put("scaling", section);
    int n = config.scalingN();
    int p = spark.sparkContext().defaultParallelism();
    List<Map<String, Object>> byRows = new ArrayList<>();
    LogisticModel model = new LogisticModel(n - 1);
    BoundFactorRows source = new BoundFactorRows(new FactorRows(model, MetricKind.FUNCTION, 1, 0), model.initialParams(1));
    long reduceBudget = RunContext.of(spark).reduceBudgetBytes();
    for (long m : new long[] {config.scalingRows() / 4, config.scalingRows() / 2, config.scalingRows()}) {
      LoadedData data = loadGaussian(spark, m, n - 1, 2, p, InputConfig.blockRowsFor(n, 1), new LabelRule(OutputDistribution.BERNOULLI_LOGIT, 1, "logistic"));
      try {
        double best = Double.POSITIVE_INFINITY;
        for (int r = 0; r < 2; r++) {
          long t = System.nanoTime();
          DenseMetricEstimator.estimate(data, source, reduceBudget);
          best = Math.min(best, seconds(t));
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("rows", m);
        row.put("n", n);
        row.put("seconds", best);
        row.put("microseconds_per_row", best / m * 1e6);
        byRows.add(row);
        console.println(String.format(Locale.ROOT, "  scaling: M = %d, N = %d: %.3f s", m, n, best));
      } finally {
        data.release();
      }
    }
    section.put("rows", byRows);

    Path home = ChildJvm.sparkHome(work.resolve("spark-home"));
    long dataMb = config.scalingRows() * n * 8 / (1 << 20);
    int mem = (int) Math.max(1024, 2 * dataMb + 512);
    List<Map<String, Object>> byExecutors = new ArrayList<>();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SPARK_HOME", home.toString());
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("OPENBLAS_NUM_THREADS", "1");
    // The machine's own ceiling for two executors: two Gram kernels at once against one, same shape,
    // measured before and after the cluster runs (the two vCPUs of a VM may share FP units).
    double kernelSeconds = config.quick() ? 0.5 : 1.0;
    double parallelBefore = parallelKernelSpeedup(n, kernelSeconds);
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
    double parallelAfter = parallelKernelSpeedup(n, kernelSeconds);
    double parallel = (parallelBefore + parallelAfter) / 2;
    section.put("two_kernels_over_one", Map.of("before", parallelBefore, "after", parallelAfter, "mean", parallel));
    console.println(String.format(Locale.ROOT, "  scaling: two Gram kernels at once run %.2fx (before) and %.2fx (after) one kernel's rate",
        parallelBefore, parallelAfter));
    section.put("executors", byExecutors);
    section.put("executor_memory_mb", mem);
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

  private void training(SparkSession spark) throws IOException {
    Map<String, Object> section = new LinkedHashMap<>();
    sections.put("training", section);
    Path data = config.dataset().toAbsolutePath();
    if (!Files.isRegularFile(data)) {
      section.put("skipped", data + " is absent (scripts/fetch-datasets.sh fetches it)");
      add(Figure.skipped("ngd_passes_vs_mllib", data + " is absent; run scripts/fetch-datasets.sh"));
      return;
    }
    Path yaml = work.resolve("logistic-vs-mllib.yaml");
    AtomicFiles.writeString(yaml, String.join("\n",
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
        "    steps: 1000", ""));
    Path out = work.resolve("training");
    ExperimentRunner.run(spark, new ExperimentRunner.Options(yaml.toString(), List.of(), out.toString(), null), new ExperimentRunner.Progress() {
      @Override public void armStarted(int index, int arms, String arm, int steps) {
        console.println("  training: arm " + arm);
      }
      @Override public void step(String arm, int step, int steps, double loss, double seconds) {}
      @Override public void armDone(String arm) {}
    });
    JsonNode results = Json.readTree(out.resolve("results.json"));
    JsonNode ngd = null;
    JsonNode lbfgs = null;
    for (JsonNode a : results.path("arms")) {
      if (a.path("name").asText().equals("ngd-fisher")) ngd = a;
      if (a.path("name").asText().equals("mllib-lbfgs")) lbfgs = a;
    }
    double mllibLoss = lbfgs.path("final_loss").asDouble();
    double target = mllibLoss * (1 + 1e-6);
    // ngd: passes up to and including the step whose loss first reaches the target.
    List<String> history = Files.readAllLines(out.resolve("arms/ngd-fisher/history.jsonl"));
    long ngdPasses = -1;
    double ngdSeconds = 0;
    long cumulative = 0;
    for (String line : history) {
      if (line.isBlank()) continue;
      JsonNode h = Json.mapper().readTree(line);
      cumulative += h.path("passes").asLong(1);
      ngdSeconds += h.path("seconds").asDouble();
      if (h.path("loss").asDouble() <= target) {
        ngdPasses = cumulative;
        break;
      }
    }
    if (ngdPasses < 0 && ngd.path("final_loss").asDouble() <= target) {
      ngdPasses = ngd.path("passes").asLong();
      ngdSeconds = ngd.path("train_seconds").asDouble();
    }
    // MLlib: its objective history gives the iteration that first reached the target; passes to there
    // are estimated as total passes × (iterations to target / iterations).
    int iters = 0;
    int itersToTarget = -1;
    for (JsonNode l : lbfgs.path("loss")) {
      if (itersToTarget < 0 && l.asDouble() <= target) itersToTarget = iters;
      iters++;
    }
    long mllibPasses = lbfgs.path("passes").asLong();
    double mllibPassesToTarget = itersToTarget < 0 ? mllibPasses : (double) mllibPasses * Math.max(1, itersToTarget) / Math.max(1, iters - 1);
    section.put("dataset", data.toString());
    section.put("mllib_final_loss", mllibLoss);
    section.put("ngd_final_loss", ngd.path("final_loss").asDouble());
    section.put("relative_loss_difference", Math.abs(ngd.path("final_loss").asDouble() - mllibLoss) / mllibLoss);
    section.put("ngd_passes_to_target", ngdPasses);
    section.put("ngd_seconds_to_target", ngdSeconds);
    section.put("ngd_total_passes", ngd.path("passes").asLong());
    section.put("mllib_total_passes", mllibPasses);
    section.put("mllib_iterations", iters - 1);
    section.put("mllib_iterations_to_target", itersToTarget);
    section.put("mllib_passes_to_target_estimate", mllibPassesToTarget);
    section.put("mllib_seconds", lbfgs.path("train_seconds").asDouble());
    section.put("ngd_train_seconds", ngd.path("train_seconds").asDouble());
    section.put("arms", Json.mapper().convertValue(results.path("arms"), Object.class));
    if (ngdPasses < 0) {
      add(new Figure("ngd_passes_vs_mllib", "ngd data passes to MLlib's final loss (1e-6 relative) / MLlib's", Double.NaN, "<= 0.333", false,
          "ngd never reached MLlib's final loss " + mllibLoss));
    } else {
      add(Figure.atMost("ngd_passes_vs_mllib", "ngd data passes to MLlib's final loss (1e-6 relative) / MLlib's passes to it",
          ngdPasses / mllibPassesToTarget, 1.0 / 3,
          String.format(Locale.ROOT, "ngd %d passes (%.2f s), MLlib ~%.0f of its %d passes (%.2f s)", ngdPasses, ngdSeconds, mllibPassesToTarget,
              mllibPasses, lbfgs.path("train_seconds").asDouble())));
    }
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
        new LabelRule(OutputDistribution.BERNOULLI_LOGIT, 1, "logistic")));
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

  private static double timeEstimate(SparkSession spark, Model model, MetricKind kind, LoadedData data) {
    try {
      BoundFactorRows source = new BoundFactorRows(new FactorRows(model, kind, 1, 0), model.initialParams(1));
      long reduceBudget = RunContext.of(spark).reduceBudgetBytes();
      double best = Double.POSITIVE_INFINITY;
      for (int r = 0; r < 2; r++) {
        long t = System.nanoTime();
        DenseMetricEstimator.estimate(data, source, reduceBudget);
        best = Math.min(best, seconds(t));
      }
      return best;
    } finally {
      data.release();
    }
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
