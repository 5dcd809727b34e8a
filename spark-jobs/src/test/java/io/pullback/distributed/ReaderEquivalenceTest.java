package io.pullback.distributed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import io.pullback.data.ExampleBlock;
import io.pullback.data.InputFormat;
import io.pullback.metric.BoundFactorRows;
import io.pullback.metric.FactorRows;
import io.pullback.metric.MetricKind;
import io.pullback.model.LabelRule;
import io.pullback.model.Model;
import io.pullback.model.ModelSpec;
import io.pullback.model.Models;
import io.pullback.testing.SharedSpark;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.compress.BZip2Codec;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.GzipCodec;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pullback's one-pass readers against the old path — Spark's own readers ({@code libsvm}, {@code csv}
 * with the schema given, Parquet rows), numbered by {@code zipWithIndex} and packed
 * ({@link DataLoader#load(Dataset, DataLoader.Options)}) — for every format, compression (none, gzip,
 * bzip2, which Hadoop splits) and partitioning: the same blocks (indices, values bit for bit) and the
 * same dense metric bit for bit. Also LIBSVM's comments, CRLF, blank lines and a byte-order mark
 * (against Spark on the same rows without them, which Spark cannot read), index 0 refused with file
 * and line, and the text read exactly once (bytes read through Hadoop's file system) when {@code {numFeatures}} is given.
 * Seeded rows (seed 2026).
 */
class ReaderEquivalenceTest extends SharedSpark {
  static final int D = 6;
  static final int ROWS = 700;
  static final LabelRule BINARY = new LabelRule(io.pullback.model.OutputDistribution.BERNOULLI_LOGIT, 1, "logistic");

  @TempDir
  static Path dir;

  static final AtomicLong jobs = new AtomicLong();

  @BeforeAll
  void listen() {
    spark.sparkContext().addSparkListener(new SparkListener() {
      @Override public void onJobStart(SparkListenerJobStart e) {
        jobs.incrementAndGet();
      }
    });
  }

  /** Seeded rows: label, then D values of several magnitudes and spellings (some zero, left out of LIBSVM). */
  static List<String[]> rows(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<String[]> out = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      String[] r = new String[D + 1];
      r[0] = rnd.nextBoolean() ? "1" : "0";
      for (int j = 1; j <= D; j++) {
        double v = rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-8, 8));
        r[j] = switch (rnd.nextInt(5)) {
          case 0 -> "0";
          case 1 -> Double.toString(v);
          case 2 -> String.format(Locale.ROOT, "%.17g", v);
          case 3 -> String.format(Locale.ROOT, "%.4e", v);
          default -> Integer.toString(rnd.nextInt(-1000, 1000));
        };
      }
      out.add(r);
    }
    return out;
  }

  static String libsvm(List<String[]> rows, boolean decorated) {
    StringBuilder sb = new StringBuilder(decorated ? "\uFEFF# a comment line\n\n" : "");
    for (int i = 0; i < rows.size(); i++) {
      String[] r = rows.get(i);
      sb.append(r[0]);
      for (int j = 1; j <= D; j++) if (!r[j].equals("0")) sb.append(decorated && j % 2 == 0 ? "\t" : " ").append(j).append(':').append(r[j]);
      sb.append(decorated && i % 3 == 0 ? "\r\n" : "\n");
      if (decorated && i % 40 == 0) sb.append(i % 80 == 0 ? "\n" : "   # between rows\n");
    }
    return sb.toString();
  }

  static String csv(List<String[]> rows) {
    StringBuilder sb = new StringBuilder();
    for (int j = 1; j <= D; j++) sb.append('x').append(j).append(',');
    sb.append("label\n");
    for (String[] r : rows) {
      for (int j = 1; j <= D; j++) sb.append(r[j]).append(',');
      sb.append(r[0]).append('\n');
    }
    return sb.toString();
  }

  static StructType csvSchema() {
    List<StructField> f = new ArrayList<>();
    for (int j = 1; j <= D; j++) f.add(DataTypes.createStructField("x" + j, DataTypes.DoubleType, false));
    f.add(DataTypes.createStructField("label", DataTypes.DoubleType, false));
    return DataTypes.createStructType(f);
  }

  /** Writes {@code text} to {@code name} (+ the codec's suffix), compressed by {@code codec} (null: plain). */
  static Path write(String name, String text, String codec) throws IOException {
    Path p = dir.resolve(name + (codec == null ? "" : codec.equals("gzip") ? ".gz" : ".bz2"));
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (codec == null) {
      Files.write(p, bytes);
      return p;
    }
    CompressionCodec c = codec.equals("gzip") ? new GzipCodec() : new BZip2Codec();
    ((org.apache.hadoop.conf.Configurable) c).setConf(new Configuration());
    try (OutputStream out = c.createOutputStream(Files.newOutputStream(p))) {
      out.write(bytes);
    }
    return p;
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String format : List.of("libsvm", "csv")) {
      for (String codec : new String[] {null, "gzip", "bzip2"}) {
        for (Integer p : new Integer[] {null, 3}) out.add(Arguments.of(format, codec, p));
      }
    }
    for (Integer p : new Integer[] {null, 2}) out.add(Arguments.of("parquet", null, p));
    return out.stream();
  }

  DataLoader.Options options(String data, InputFormat format, Integer features, Integer partitions) {
    return options(data, format, features, partitions, 64);
  }

  DataLoader.Options options(String data, InputFormat format, Integer features, Integer partitions, int blockRows) {
    return new DataLoader.Options(data, format, null, null, features, partitions, d -> blockRows, BINARY);
  }

  @ParameterizedTest(name = "{0} {1} partitions={2}")
  @MethodSource("cases")
  void oneFileGivesTheOldPathsBlocksAndMetricBitForBit(String format, String codec, Integer partitions) throws IOException {
    List<String[]> rows = rows(2026);
    String name = "eq-" + format + "-" + codec + "-" + partitions + "." + format;
    Path file;
    Dataset<Row> reference;
    if (format.equals("libsvm")) {
      file = write(name, libsvm(rows, false), codec);
      reference = spark.read().format("libsvm").option("numFeatures", D).load(file.toString());
    } else if (format.equals("csv")) {
      file = write(name, csv(rows), codec);
      reference = spark.read().schema(csvSchema()).option("header", "true").csv(file.toString());
    } else {
      Path src = write(name + ".csv", csv(rows), null);
      file = dir.resolve(name);
      spark.read().schema(csvSchema()).option("header", "true").csv(src.toString()).repartition(3)
          .write().mode(SaveMode.Overwrite).parquet(file.toString());
      reference = spark.read().parquet(file.toString());
    }
    LoadedData ours = DataLoader.load(spark, options(file.toString(), null, format.equals("libsvm") ? D : null, partitions));
    LoadedData old = DataLoader.load(reference, options(file.toString(), null, null, partitions));
    assertSame(ours, old);
  }

  @Test
  void bzip2SplitAcrossTasksAndManyFilesGiveTheOldPathsMetricWithPartitions() throws IOException {
    List<String[]> rows = rows(7);
    Path folder = dir.resolve("parts");
    Files.createDirectories(folder);
    StringBuilder all = new StringBuilder();
    for (int k = 0; k < 3; k++) {
      String text = libsvm(rows.subList(k * 200, (k + 1) * 200), false);
      all.append(text);
      Files.move(write("part-" + k, text, "bzip2"), folder.resolve("part-" + k + ".libsvm.bz2"));
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String key = "mapreduce.input.fileinputformat.split.maxsize";
    String before = conf.get(key);
    conf.setLong(key, 4096); // several splits per bzip2 file (bzip2 is splittable)
    try {
      jobs.set(0);
      LoadedData ours = DataLoader.load(spark, options(folder.toString(), null, D, 3));
      Path whole = write("whole.libsvm", all.toString(), null);
      LoadedData old = DataLoader.load(spark.read().format("libsvm").option("numFeatures", D).load(whole.toString()),
          options(whole.toString(), null, null, 3));
      assertSame(ours, old);
      long splits = TextLoader.lines(spark, InputFiles.resolve(conf, folder.toString(), null)).getNumPartitions();
      assertThat(splits).as("bzip2 files split across tasks").isGreaterThan(3);
    } finally {
      if (before == null) conf.unset(key);
      else conf.set(key, before);
    }
  }

  @Test
  void commentsCrlfBlankLinesAndBomReadAsTheUndecoratedFileBySpark() throws IOException {
    List<String[]> rows = rows(11);
    Path decorated = write("decorated.libsvm", libsvm(rows, true), null);
    Path plain = write("plain.libsvm", libsvm(rows, false), null);
    for (Integer p : new Integer[] {null, 2}) {
      for (Integer features : new Integer[] {D, null}) {
        // Blocks of 1024 rows: a split's block arrays start at 256 rows and grow while it is parsed.
        LoadedData ours = DataLoader.load(spark, options(decorated.toString(), null, features, p, 1024));
        LoadedData old = DataLoader.load(spark.read().format("libsvm").option("numFeatures", D).load(plain.toString()),
            options(plain.toString(), null, null, p, 1024));
        assertSame(ours, old);
      }
    }
  }

  @Test
  void indexZeroIsRefusedWithFileAndLineAndEveryErrorComesFromTheOnePass() throws Exception {
    Path f = write("zero.libsvm", "# header comment\n1 1:0.5 2:1\r\n\n0 0:0.25 2:2\n1 3:1 2:1\n", null);
    jobs.set(0);
    assertThatThrownBy(() -> DataLoader.load(spark, options(f.toString(), null, 3, null)))
        .isInstanceOf(PullbackException.class)
        .hasMessageEndingWith("zero.libsvm', line 4: index 0: LIBSVM feature indices start at 1")
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(3));
    spark.sparkContext().listenerBus().waitUntilEmpty();
    assertThat(jobs.get()).as("one job: the parse that found the error").isEqualTo(1);
    Path bad = write("descending.libsvm", "1 1:0.5 2:1\n0 3:0.25 2:2\n", null);
    assertThatThrownBy(() -> DataLoader.load(spark, options(bad.toString(), null, null, 2)))
        .hasMessageContaining("line 2: index 2 after index 3: indices must be in ascending order");
  }

  @Test
  void theTextIsReadOnceWithFeaturesGivenAndTwiceWithout() throws IOException {
    Path f = write("once.libsvm", libsvm(rows(5), false), null);
    long size = Files.size(f);
    for (Integer features : new Integer[] {D, null}) {
      long before = localBytesRead();
      LoadedData data = DataLoader.load(spark, options(f.toString(), null, features, 2));
      assertThat(localBytesRead() - before).as("bytes read with features %s", features).isEqualTo(features == null ? 2 * size : size);
      data.release();
    }
  }

  /** Bytes read through Hadoop's local file system in this JVM (the tasks' text reads; Spark's cache and shuffle are not counted). */
  @SuppressWarnings("deprecation")
  static long localBytesRead() {
    long n = 0;
    for (org.apache.hadoop.fs.FileSystem.Statistics s : org.apache.hadoop.fs.FileSystem.getAllStatistics()) {
      if (s.getScheme().equals("file")) n += s.getBytesRead();
    }
    return n;
  }

  @Test
  void parquetVectorColumnsGoThroughTheBatchesAndGiveTheOldPathsMetric() throws IOException {
    Path lib = write("vectors.libsvm", libsvm(rows(13), false), null);
    Path pq = dir.resolve("vectors.parquet");
    spark.read().format("libsvm").option("numFeatures", D).load(lib.toString()).repartition(2)
        .write().mode(SaveMode.Overwrite).parquet(pq.toString());
    assertThat(ParquetLoader.columnar(spark.read().parquet(pq.toString()))).as("Spark reads the vector column as batches").isNotNull();
    for (Integer p : new Integer[] {null, 3}) {
      assertSame(DataLoader.load(spark, options(pq.toString(), null, null, p)),
          DataLoader.load(spark.read().parquet(pq.toString()), options(pq.toString(), null, null, p)));
    }
  }

  @Test
  void aBadParquetRowIsNamedByItsFileAndRowInTheFile() throws IOException {
    Path folder = dir.resolve("bad.parquet");
    StructType schema = csvSchema();
    for (int k = 0; k < 2; k++) {
      List<Row> rows = new ArrayList<>();
      for (int i = 0; i < 9; i++) {
        Object[] v = new Object[D + 1];
        for (int j = 0; j < D; j++) v[j] = (double) (i + j);
        v[D] = (double) (i % 2);
        if (k == 1 && i == 6) v[2] = Double.NaN;
        rows.add(org.apache.spark.sql.RowFactory.create(v));
      }
      spark.createDataFrame(rows, schema).coalesce(1).write().mode(SaveMode.Overwrite).parquet(folder.resolve("part-" + k).toString());
    }
    assertThat(ParquetLoader.columnar(spark.read().parquet(folder.resolve("part-0").toString()))).isNotNull();
    assertThatThrownBy(() -> DataLoader.load(spark, options(folder.toString(), null, null, null)))
        .isInstanceOf(PullbackException.class)
        .hasMessageMatching("bad input in '.*/bad\\.parquet/part-1/part-00000-[^']*\\.parquet', row 7: feature 2 is NaN \\(features must be finite numbers\\)");
  }

  private static void assertSame(LoadedData ours, LoadedData old) {
    try {
      assertThat(ours.examples()).isEqualTo(old.examples());
      assertThat(ours.dim()).isEqualTo(old.dim());
      assertThat(ours.partitions()).isEqualTo(old.partitions());
      List<List<ExampleBlock>> a = ours.blocks().glom().collect();
      List<List<ExampleBlock>> b = old.blocks().glom().collect();
      assertThat(a).isEqualTo(b);
      Model model = Models.create(ModelSpec.logistic(D));
      var source = new BoundFactorRows(new FactorRows(model, MetricKind.FISHER, 1, 3), model.initialParams(9));
      double[] g = DenseMetricEstimator.estimate(ours, source, 1L << 30).values();
      double[] h = DenseMetricEstimator.estimate(old, source, 1L << 30).values();
      assertThat(g).as("metric bit for bit").isEqualTo(h);
    } finally {
      ours.release();
      old.release();
    }
  }
}
