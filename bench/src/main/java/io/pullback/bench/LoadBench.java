package io.pullback.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.data.InputFormat;
import io.pullback.distributed.DataLoader;
import io.pullback.distributed.LoadedData;
import io.pullback.io.Json;
import io.pullback.job.InputConfig;
import io.pullback.model.LabelRule;
import io.pullback.model.OutputDistribution;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The load section (issue 20): loading throughput and start-up, side by side in one run.
 *
 * <ul>
 *   <li>Pullback's load as {@code estimate} does it ({@link DataLoader#load}, {@code --partitions 2},
 *       LIBSVM with {@code --features}) of a seeded LIBSVM file and a CSV file of the same rows
 *       (M × 50, six decimals, 100+ MB at the default 200,000 rows) and of a Parquet file of 1.3 M
 *       rows of 50 doubles;</li>
 *   <li>the readers a user would pick instead: scikit-learn's {@code load_svmlight_file} and pandas'
 *       {@code read_csv} (C engine), one thread each, in a python3 process (skipped with the reason when
 *       they are not installed); Spark's own readers counting rows ({@code libsvm}; {@code csv} with the
 *       schema and Parquet through the vectorized reader, with every column evaluated so the values are
 *       really read); and the pipeline Pullback used before its own readers: Spark's reader, rows
 *       numbered by {@code zipWithIndex}, validated, packed ({@link DataLoader#load(Dataset, DataLoader.Options)});</li>
 *   <li>start-up: {@code bin/pullback --version}, and a whole {@code bin/pullback estimate} on the LIBSVM
 *       file timed from the process start to its first task ({@link FirstTaskListener}) and to its end,
 *       against its own {@code load_seconds} and {@code compute_seconds}.</li>
 * </ul>
 * Each in-JVM time is the best of two; MB/s and rows/s are also given per core used.
 */
final class LoadBench {
  static final int FEATURES = 50;
  private static final LabelRule LABELS = new LabelRule(OutputDistribution.BERNOULLI_LOGIT, 1, "logistic");

  /** sklearn and pandas, one parse each per repeat, best of two; prints {@code LOAD-JSON {...}}. */
  private static final String PYTHON_SCRIPT = String.join("\n",
      "import json, sys, time",
      "svm, csv, d = sys.argv[1], sys.argv[2], int(sys.argv[3])",
      "out = {}",
      "def best(f):",
      "    b = float('inf'); r = None",
      "    for _ in range(2):",
      "        t = time.perf_counter(); r = f(); b = min(b, time.perf_counter() - t)",
      "    return b, r",
      "try:",
      "    import sklearn",
      "    from sklearn.datasets import load_svmlight_file",
      "    s, (X, y) = best(lambda: load_svmlight_file(svm, n_features=d))",
      "    out['sklearn'] = {'version': sklearn.__version__, 'seconds': s, 'rows': int(X.shape[0])}",
      "except ImportError as e:",
      "    out['sklearn'] = {'missing': str(e)}",
      "try:",
      "    import pandas as pd",
      "    s, df = best(lambda: pd.read_csv(csv, engine='c'))",
      "    out['pandas'] = {'version': pd.__version__, 'seconds': s, 'rows': int(df.shape[0])}",
      "except ImportError as e:",
      "    out['pandas'] = {'missing': str(e)}",
      "print('LOAD-JSON ' + json.dumps(out))");

  private final SparkSession spark;
  private final Path work;
  private final long rows;
  private final Consumer<Figure> figures;
  private final java.io.PrintWriter console;
  private final int cores;

  LoadBench(SparkSession spark, Path work, long rows, Consumer<Figure> figures, java.io.PrintWriter console) {
    this.spark = spark;
    this.work = work;
    this.rows = rows;
    this.figures = figures;
    this.console = console;
    this.cores = spark.sparkContext().defaultParallelism();
  }

  /** One measured reader: its time, the rows it gave and the cores it used. */
  record Reader(String format, String reader, double seconds, long rows, long bytes, int cores) {
    Map<String, Object> toMap() {
      Map<String, Object> m = RecordMaps.of(this);
      double mb = bytes / 1e6;
      m.put("mb_per_second", mb / seconds);
      m.put("rows_per_second", rows / seconds);
      m.put("mb_per_second_per_core", mb / seconds / cores);
      m.put("rows_per_second_per_core", rows / seconds / cores);
      return m;
    }
  }

  Map<String, Object> run() throws IOException, InterruptedException {
    Path dir = work.resolve("load");
    Files.createDirectories(dir);
    Path svm = dir.resolve("data.libsvm");
    Path csv = dir.resolve("data.csv");
    writeText(svm, csv);
    Path parquet = dir.resolve("data.parquet");
    long parquetRows = rows * 13 / 10;
    writeParquet(parquet, parquetRows);
    console.println(String.format(Locale.ROOT, "  load: LIBSVM %.0f MB, CSV %.0f MB, Parquet %.0f MB (%d rows)", Files.size(svm) / 1e6,
        Files.size(csv) / 1e6, folderBytes(parquet) / 1e6, parquetRows));
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("rows", rows);
    section.put("features", FEATURES);
    section.put("parquet_rows", parquetRows);
    List<Reader> readers = new ArrayList<>();
    readers.add(pullback("libsvm", svm, Files.size(svm)));
    readers.add(sparkPipeline("libsvm", svm, Files.size(svm)));
    readers.add(sparkCount("libsvm", svm, Files.size(svm)));
    readers.add(pullback("csv", csv, Files.size(csv)));
    readers.add(sparkPipeline("csv", csv, Files.size(csv)));
    readers.add(sparkCount("csv", csv, Files.size(csv)));
    readers.add(pullback("parquet", parquet, folderBytes(parquet)));
    readers.add(sparkPipeline("parquet", parquet, folderBytes(parquet)));
    readers.add(sparkCount("parquet", parquet, folderBytes(parquet)));
    Map<String, Object> python = python(svm, csv, dir);
    section.put("python", python);
    addPython(readers, python, "sklearn", "libsvm", svm);
    addPython(readers, python, "pandas", "csv", csv);
    section.put("readers", readers.stream().map(Reader::toMap).toList());
    loadFigures(readers, python);
    section.put("startup", startup(svm, dir));
    return section;
  }

  // ------------------------------------------------------------------ data

  /** The same seeded rows as LIBSVM and as CSV (header x1..x50,label), values with six decimals. */
  private void writeText(Path svm, Path csv) throws IOException {
    SplittableRandom rnd = new SplittableRandom(20);
    StringBuilder line = new StringBuilder(1024);
    StringBuilder cline = new StringBuilder(1024);
    try (BufferedWriter s = Files.newBufferedWriter(svm, StandardCharsets.US_ASCII);
         BufferedWriter c = Files.newBufferedWriter(csv, StandardCharsets.US_ASCII)) {
      for (int j = 1; j <= FEATURES; j++) c.append('x').append(Integer.toString(j)).append(',');
      c.append("label\n");
      for (long i = 0; i < rows; i++) {
        line.setLength(0);
        cline.setLength(0);
        int label = (int) (i & 1);
        line.append(label);
        for (int j = 1; j <= FEATURES; j++) {
          long micro = Math.round(rnd.nextGaussian() * 1e6);
          line.append(' ').append(j).append(':');
          appendMicro(line, micro);
          appendMicro(cline, micro);
          cline.append(',');
        }
        cline.append(label);
        s.append(line).append('\n');
        c.append(cline).append('\n');
      }
    }
  }

  /** {@code micro / 10⁶} with six decimals, e.g. {@code -1.234567}. */
  static void appendMicro(StringBuilder sb, long micro) {
    if (micro < 0) sb.append('-');
    long a = Math.abs(micro);
    sb.append(a / 1_000_000).append('.');
    String frac = Long.toString(a % 1_000_000);
    for (int k = frac.length(); k < 6; k++) sb.append('0');
    sb.append(frac);
  }

  private void writeParquet(Path parquet, long n) {
    List<String> cols = new ArrayList<>();
    cols.add("cast(id % 2 as double) as label");
    for (int j = 1; j <= FEATURES; j++) cols.add("randn(" + j + ") as x" + j);
    spark.range(0, n, 1, 2).selectExpr(cols.toArray(new String[0])).write().mode("overwrite").parquet(parquet.toString());
  }

  private static long folderBytes(Path p) throws IOException {
    if (!Files.isDirectory(p)) return Files.size(p);
    try (var s = Files.walk(p)) {
      return s.filter(f -> f.getFileName().toString().endsWith(".parquet")).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  static StructType csvSchema() {
    List<StructField> f = new ArrayList<>();
    for (int j = 1; j <= FEATURES; j++) f.add(DataTypes.createStructField("x" + j, DataTypes.DoubleType, true));
    f.add(DataTypes.createStructField("label", DataTypes.DoubleType, true));
    return DataTypes.createStructType(f);
  }

  // ------------------------------------------------------------------ readers

  private DataLoader.Options options(String format, Path file) {
    int n = FEATURES + 1;
    return new DataLoader.Options(file.toString(), InputFormat.valueOf(format.toUpperCase(Locale.ROOT)), null, null,
        format.equals("libsvm") ? FEATURES : null, 2, d -> InputConfig.blockRowsFor(n, 1), LABELS);
  }

  /** Pullback's own reader, as estimate loads ({@code --partitions 2}). */
  private Reader pullback(String format, Path file, long bytes) {
    Timed t = best(() -> DataLoader.load(spark, options(format, file)));
    return new Reader(format, "pullback", t.seconds, t.rows, bytes, cores);
  }

  /** Spark's reader, numbered by zipWithIndex, validated and packed: the pipeline Pullback used before. */
  private Reader sparkPipeline(String format, Path file, long bytes) {
    Timed t = best(() -> DataLoader.load(sparkRead(format, file), options(format, file)));
    return new Reader(format, "spark-pipeline", t.seconds, t.rows, bytes, cores);
  }

  /** Spark's own reader counting the rows, every column evaluated for CSV and Parquet (a bare count reads no values). */
  private Reader sparkCount(String format, Path file, long bytes) {
    double best = Double.POSITIVE_INFINITY;
    long n = 0;
    for (int r = 0; r < 2; r++) {
      long t0 = System.nanoTime();
      Dataset<Row> df = sparkRead(format, file);
      if (format.equals("libsvm")) {
        n = df.count();
      } else {
        StringBuilder sum = new StringBuilder("count(label");
        for (int j = 1; j <= FEATURES; j++) sum.append(" + x").append(j);
        n = df.selectExpr(sum.append(")").toString()).first().getLong(0);
      }
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    return new Reader(format, format.equals("parquet") ? "spark-vectorized-count" : "spark-count", best, n, bytes, cores);
  }

  private Dataset<Row> sparkRead(String format, Path file) {
    return switch (format) {
      case "libsvm" -> spark.read().format("libsvm").option("numFeatures", FEATURES).load(file.toString());
      case "csv" -> spark.read().schema(csvSchema()).option("header", "true").csv(file.toString());
      default -> spark.read().parquet(file.toString());
    };
  }

  private record Timed(double seconds, long rows) {}

  private static Timed best(Supplier<LoadedData> load) {
    double best = Double.POSITIVE_INFINITY;
    long n = 0;
    for (int r = 0; r < 2; r++) {
      long t0 = System.nanoTime();
      LoadedData data = load.get();
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
      n = data.examples();
      data.release();
    }
    return new Timed(best, n);
  }

  private Map<String, Object> python(Path svm, Path csv, Path dir) throws IOException, InterruptedException {
    Path py = dir.resolve("load_python.py");
    Files.writeString(py, PYTHON_SCRIPT + "\n");
    // PULLBACK_BENCH_PYTHON: the interpreter that has Debian's python3-sklearn/python3-pandas (e.g. /usr/bin/python3 when
    // another python3 comes first on PATH); default python3.
    String python = System.getenv().getOrDefault("PULLBACK_BENCH_PYTHON", "python3");
    ProcessBuilder pb = new ProcessBuilder(python, py.toString(), svm.toString(), csv.toString(), String.valueOf(FEATURES))
        .redirectErrorStream(true);
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.environment().put("OPENBLAS_NUM_THREADS", "1");
    String output;
    int code;
    try {
      Process proc = pb.start();
      output = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      code = proc.waitFor();
    } catch (IOException e) {
      return RecordMaps.ordered("missing", "python3 cannot start: " + e.getMessage());
    }
    String payload = new ChildJvm.Result(code, output).line("LOAD-JSON ");
    if (code != 0 || payload == null) return RecordMaps.ordered("missing", "python3 failed: " + tail(output));
    return Json.mapper().convertValue(Json.mapper().readTree(payload), Map.class);
  }

  private void addPython(List<Reader> readers, Map<String, Object> python, String name, String format, Path file) throws IOException {
    if (python.get(name) instanceof Map<?, ?> m && m.get("seconds") instanceof Number s) {
      readers.add(new Reader(format, name, s.doubleValue(), ((Number) m.get("rows")).longValue(), Files.size(file), 1));
    }
  }

  private static Reader find(List<Reader> readers, String format, String reader) {
    for (Reader r : readers) if (r.format().equals(format) && r.reader().equals(reader)) return r;
    return null;
  }

  private void loadFigures(List<Reader> readers, Map<String, Object> python) {
    for (String[] f : new String[][] {{"libsvm", "sklearn", "scikit-learn load_svmlight_file"}, {"csv", "pandas", "pandas read_csv (C engine)"}}) {
      Reader ours = find(readers, f[0], "pullback");
      Reader ref = find(readers, f[0], f[1]);
      String id = "load_" + f[0] + "_vs_" + f[1];
      if (ref == null) {
        Object why = python.get(f[1]) instanceof Map<?, ?> m ? m.get("missing") : python.get("missing");
        figures.accept(Figure.skipped(id, f[2] + " is not available here (" + why + "); install Debian's python3-"
            + (f[1].equals("sklearn") ? "sklearn" : "pandas") + " to measure it"));
      } else {
        figures.accept(Figure.atMost(id, f[0].toUpperCase(Locale.ROOT) + " load time in estimate (2 partitions) / " + f[2] + " (1 thread), "
            + rows + " rows", ours.seconds() / ref.seconds(), 1.0, String.format(Locale.ROOT, "Pullback %.2f s (%d tasks), %s %.2f s",
            ours.seconds(), cores, f[1], ref.seconds())));
      }
      Reader pipeline = find(readers, f[0], "spark-pipeline");
      figures.accept(Figure.atLeast("load_" + f[0] + "_vs_spark_pipeline", "Spark's " + f[0] + " reader pipeline as Pullback used it (zipWithIndex, "
          + "validate, pack) / Pullback's load, " + rows + " rows", pipeline.seconds() / ours.seconds(), 3.0,
          String.format(Locale.ROOT, "Spark pipeline %.2f s, Pullback %.2f s, Spark reader counting rows %.2f s", pipeline.seconds(),
              ours.seconds(), find(readers, f[0], "spark-count").seconds())));
    }
    Reader ours = find(readers, "parquet", "pullback");
    Reader count = find(readers, "parquet", "spark-vectorized-count");
    figures.accept(Figure.atMost("load_parquet_vs_spark", "Parquet load time in estimate (2 partitions) / Spark's vectorized reader reading "
        + "every column of the same rows", ours.seconds() / count.seconds(), 1.5, String.format(Locale.ROOT,
        "Pullback %.2f s, Spark vectorized %.2f s, Spark row pipeline (before) %.2f s", ours.seconds(), count.seconds(),
        find(readers, "parquet", "spark-pipeline").seconds())));
  }

  // ------------------------------------------------------------------ start-up

  /** {@code bin/pullback --version} (best of three) and a whole {@code estimate} on the LIBSVM file with its first task's time. */
  private Map<String, Object> startup(Path svm, Path dir) throws IOException, InterruptedException {
    String home = System.getProperty("pullback.home");
    Path launcher = home == null ? null : Path.of(home, "bin", "pullback");
    if (launcher == null || !Files.isExecutable(launcher)) {
      String why = "not run under bin/pullback (no -Dpullback.home)";
      figures.accept(Figure.skipped("version_seconds", why));
      figures.accept(Figure.skipped("first_task_seconds", why));
      return RecordMaps.ordered("skipped", why);
    }
    double version = Double.POSITIVE_INFINITY;
    for (int r = 0; r < 3; r++) version = Math.min(version, launch(launcher, dir, "version", List.of("--version")).seconds);
    figures.accept(Figure.atMost("version_seconds", "bin/pullback --version, seconds (best of 3)", version, 1.0,
        String.format(Locale.ROOT, "%.2f s wall from exec to exit", version)));
    List<String> estimate = List.of("estimate", "--data", svm.toString(), "--features", String.valueOf(FEATURES), "--model", "logistic",
        "--partitions", "2");
    Launch warm = launch(launcher, dir, "estimate-warm", withOut(estimate, dir.resolve("estimate-warm")));
    Launch run = launch(launcher, dir, "estimate", withOut(estimate, dir.resolve("estimate-out")));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version_seconds", version);
    m.put("warm_up_estimate_seconds", warm.seconds);
    m.put("estimate_exit_code", run.exitCode);
    m.put("estimate_seconds", run.seconds);
    m.put("first_task_seconds", run.firstTask);
    Path summary = dir.resolve("estimate-out").resolve("summary.json");
    if (run.exitCode == 0 && Files.exists(summary)) {
      JsonNode s = Json.mapper().readTree(summary.toFile());
      for (String k : List.of("load_seconds", "compute_seconds", "write_seconds")) m.put(k, s.path(k).asDouble());
      m.put("estimate_over_compute", run.seconds / s.path("compute_seconds").asDouble());
      m.put("estimate_over_load_and_compute", run.seconds / (s.path("load_seconds").asDouble() + s.path("compute_seconds").asDouble()));
    }
    if (Double.isNaN(run.firstTask)) {
      figures.accept(Figure.skipped("first_task_seconds", "the estimate printed no first-task line (exit " + run.exitCode + ")"));
    } else {
      figures.accept(Figure.atMost("first_task_seconds", "bin/pullback estimate: seconds from the command's start to its first task", run.firstTask,
          6.0, String.format(Locale.ROOT, "first task at %.2f s; whole estimate %.2f s (load %s s, compute %s s)", run.firstTask, run.seconds,
              m.get("load_seconds"), m.get("compute_seconds"))));
    }
    return m;
  }

  private static List<String> withOut(List<String> args, Path out) throws IOException {
    io.pullback.io.OutputDirectory.deleteRecursively(out);
    List<String> a = new ArrayList<>(args);
    a.add("--out");
    a.add(out.toString());
    return a;
  }

  private record Launch(int exitCode, double seconds, double firstTask) {}

  /** Runs the launcher with the first-task listener; wall seconds to exit and to the first task (NaN: none). */
  private static Launch launch(Path launcher, Path dir, String name, List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(launcher.toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
    pb.environment().put("JAVA_OPTS", "-Dspark.extraListeners=" + FirstTaskListener.class.getName());
    long startMillis = System.currentTimeMillis();
    long t0 = System.nanoTime();
    Process p = pb.start();
    int code = p.waitFor();
    double seconds = (System.nanoTime() - t0) / 1e9;
    double first = Double.NaN;
    for (String line : Files.readAllLines(dir.resolve(name + ".log"))) {
      if (line.startsWith(FirstTaskListener.PREFIX)) first = (Long.parseLong(line.substring(FirstTaskListener.PREFIX.length()).trim()) - startMillis) / 1e3;
    }
    return new Launch(code, seconds, first);
  }

  private static String tail(String s) {
    String t = s.strip();
    return t.length() > 300 ? "..." + t.substring(t.length() - 300) : t;
  }
}
