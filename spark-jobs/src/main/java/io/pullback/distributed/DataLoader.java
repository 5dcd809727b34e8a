package io.pullback.distributed;

import io.pullback.PullbackException;
import io.pullback.data.ExampleBlock;
import io.pullback.data.InputFormat;
import io.pullback.data.RawExample;
import io.pullback.data.SyntheticSpec;
import io.pullback.model.LabelRule;
import io.pullback.model.SyntheticGenerator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntUnaryOperator;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Reads an input (LIBSVM, CSV, Parquet or a synthetic generator), validates every row, and packs the
 * examples into cached {@link ExampleBlock}s.
 *
 * <p>Passes over the input: one to number the rows ({@code zipWithIndex}; synthetic rows are numbered
 * by construction), one to validate, one to pack and cache. With {@code partitions} given, rows are
 * range-partitioned by index (one shuffle of the raw rows) so that partition {@code p} holds the
 * contiguous examples {@code [pM/P, (p+1)M/P)} in index order: the same data and partition count
 * always give the same blocks, hence bit-identical reductions.
 *
 * <p>Column conventions: LIBSVM gives {@code label} and {@code features}. CSV (header required) and
 * Parquet: the label column(s) (default {@code label}), an optional weight column, and the features:
 * a vector or {@code array<double>} column named {@code features} if present, else every other numeric
 * column in schema order.
 */
public final class DataLoader {
  private static final Logger LOG = LoggerFactory.getLogger(DataLoader.class);

  /**
   * What to load.
   *
   * @param data a path or {@code synthetic:NAME?...}
   * @param format file format, or null to guess from the extension
   * @param labelColumns label column names (CSV/Parquet)
   * @param weightColumn weight column name, or null for unit weights
   * @param numFeatures the feature count for LIBSVM (null: Spark scans the file to find it)
   * @param partitions the partition count, or null to keep the input's partitioning
   * @param blockRows examples per packed block, as a function of the feature count D
   * @param labelRule the labels the model accepts
   */
  public record Options(String data, InputFormat format, List<String> labelColumns, String weightColumn,
                        Integer numFeatures, Integer partitions, IntUnaryOperator blockRows, LabelRule labelRule) {
    public Options {
      if (partitions != null && partitions < 1) {
        throw PullbackException.usage("--partitions must be >= 1, got " + partitions);
      }
      if (labelColumns == null || labelColumns.isEmpty()) labelColumns = List.of("label");
    }
  }

  private DataLoader() {}

  /** Loads, validates and packs; the returned blocks are cached and materialised. */
  public static LoadedData load(SparkSession spark, Options options) {
    if (SyntheticSpec.isSynthetic(options.data())) {
      return loadSynthetic(spark, options, SyntheticSpec.parse(options.data()));
    }
    return loadFile(spark, options);
  }

  private static LoadedData loadSynthetic(SparkSession spark, Options options, SyntheticSpec spec) {
    int partitions = options.partitions() != null ? options.partitions() : spark.sparkContext().defaultParallelism();
    partitions = (int) Math.max(1, Math.min(partitions, spec.rows()));
    SyntheticGenerator generator = new SyntheticGenerator(spec);
    long m = spec.rows();
    int p = partitions;
    // Partition k generates rows [k·M/P, (k+1)·M/P): the same split as ContiguousRangePartitioner.
    JavaPairRDD<Long, RawExample> indexed = spark.range(0, p, 1, p).toJavaRDD()
        .flatMapToPair(k -> {
          long from = rangeStart(k, p, m);
          long to = rangeStart(k + 1, p, m);
          return new Iterator<Tuple2<Long, RawExample>>() {
            long i = from;
            @Override public boolean hasNext() { return i < to; }
            @Override public Tuple2<Long, RawExample> next() { long idx = i++; return new Tuple2<>(idx, generator.row(idx)); }
          };
        });
    return validateAndPack(indexed, spec.features(), options, List.of(), false, spec.weighted());
  }

  static long rangeStart(long k, int partitions, long total) {
    try {
      return Math.multiplyExact(k, total) / partitions;
    } catch (ArithmeticException overflow) {
      return (long) ((double) k * total / partitions);
    }
  }

  private static LoadedData loadFile(SparkSession spark, Options options) {
    String path = options.data();
    List<String> inputs = checkExists(spark, path);
    InputFormat format = options.format() != null ? options.format() : InputFormat.guess(path);
    if (format == null) {
      throw PullbackException.usage("--format: cannot tell the format of '" + path + "' from its name; give --format libsvm|csv|parquet");
    }
    // Spark reads lazily: a corrupt file or an out-of-range LIBSVM index surfaces at the first action,
    // so everything up to the numbered rows is one guarded step.
    JavaPairRDD<Long, RawExample> indexed;
    int dim;
    try {
      Dataset<Row> df = switch (format) {
        case LIBSVM -> {
          var reader = spark.read().format("libsvm");
          if (options.numFeatures() != null) reader = reader.option("numFeatures", options.numFeatures());
          yield reader.load(path);
        }
        case CSV -> spark.read().option("header", "true").option("inferSchema", "true").csv(path);
        case PARQUET -> spark.read().parquet(path);
      };
      if (df.isEmpty()) {
        throw PullbackException.data("no examples in '" + path + "': the input is empty");
      }
      RowConverter converter = RowConverter.forSchema(df, options, path);
      indexed = df.toJavaRDD().map(converter).zipWithIndex().mapToPair(Tuple2::swap);
      dim = converter.dimension(df);
    } catch (PullbackException e) {
      throw e;
    } catch (Exception e) { // Spark throws SparkException (checked) from Scala code too
      throw PullbackException.data("cannot read '" + path + "' as " + format.cliName() + ": " + rootMessage(e));
    }
    return validateAndPack(indexed, dim, options, inputs, true, options.weightColumn() != null);
  }

  private static LoadedData validateAndPack(JavaPairRDD<Long, RawExample> indexed, int dim, Options options,
                                            List<String> inputs, boolean mayRepartition, boolean weighted) {
    LabelRule rule = options.labelRule();
    String source = options.data();
    JavaPairRDD<Long, RawExample> normalised = indexed.mapValues(r -> new RawExample(r.features(), rule.normalise(r.labels()), r.weight()));
    DataStats stats;
    try {
      stats = normalised.aggregate(new DataStats(),
          (s, t) -> s.add(t._1(), t._2(), dim, rule),
          DataStats::merge);
    } catch (Exception e) { // Spark throws SparkException (checked) from Scala code too
      throw PullbackException.data("cannot read '" + source + "': " + rootMessage(e));
    }
    if (stats.count == 0) {
      throw PullbackException.data("no examples in '" + source + "': the input is empty");
    }
    if (stats.hasBadRow()) {
      throw PullbackException.data("bad input in '" + source + "', row " + stats.firstBadIndex
          + " (0-based, in input order): " + stats.firstBadMessage);
    }
    if (!(stats.weightSum > 0)) {
      throw PullbackException.data("every example in '" + source + "' has weight 0; at least one positive weight is needed");
    }
    long m = stats.count;
    JavaPairRDD<Long, RawExample> ordered = normalised;
    if (mayRepartition && options.partitions() != null) {
      int p = (int) Math.max(1, Math.min(options.partitions(), m));
      ordered = normalised.repartitionAndSortWithinPartitions(new ContiguousRangePartitioner(p, m));
    }
    int blockRows = options.blockRows().applyAsInt(dim);
    if (blockRows < 1) throw PullbackException.usage("--block-rows must be >= 1, got " + blockRows);
    int labelDim = rule.labelDim();
    JavaRDD<ExampleBlock> blocks = ordered.mapPartitions(it -> pack(it, dim, labelDim, blockRows, weighted));
    blocks.persist(StorageLevel.MEMORY_AND_DISK());
    // Materialise the cache and total the weights in partition order (collect keeps it): deterministic.
    long packed = 0;
    double weightSum = 0;
    for (double[] countAndWeight : blocks.mapPartitions(DataLoader::countAndWeight).collect()) {
      packed += (long) countAndWeight[0];
      weightSum += countAndWeight[1];
    }
    if (packed != m) throw new IllegalStateException("packed " + packed + " examples but validated " + m);
    LOG.info("Loaded {} examples ({} features) from {} into {} partitions of blocks of {} rows",
        m, dim, source, blocks.getNumPartitions(), blockRows);
    return new LoadedData(blocks, m, weightSum, dim, labelDim, blocks.getNumPartitions(), blockRows, inputs);
  }

  /** Packs a partition's index-ordered examples into blocks of at most {@code blockRows}. */
  static Iterator<ExampleBlock> pack(Iterator<Tuple2<Long, RawExample>> rows, int dim, int labelDim, int blockRows, boolean weighted) {
    return new Iterator<>() {
      @Override public boolean hasNext() { return rows.hasNext(); }
      @Override public ExampleBlock next() {
        double[] x = new double[blockRows * dim];
        double[] y = new double[blockRows * labelDim];
        double[] w = weighted ? new double[blockRows] : null;
        long first = -1;
        int b = 0;
        while (b < blockRows && rows.hasNext()) {
          Tuple2<Long, RawExample> t = rows.next();
          if (first < 0) first = t._1();
          RawExample r = t._2();
          System.arraycopy(r.features(), 0, x, b * dim, dim);
          System.arraycopy(r.labels(), 0, y, b * labelDim, labelDim);
          if (w != null) w[b] = r.weight();
          b++;
        }
        if (b < blockRows) {
          x = java.util.Arrays.copyOf(x, b * dim);
          y = java.util.Arrays.copyOf(y, b * labelDim);
          if (w != null) w = java.util.Arrays.copyOf(w, b);
        }
        return new ExampleBlock(first, b, dim, labelDim, x, y, w);
      }
    };
  }

  private static Iterator<double[]> countAndWeight(Iterator<ExampleBlock> blocks) {
    double rows = 0;
    double weight = 0;
    while (blocks.hasNext()) {
      ExampleBlock b = blocks.next();
      rows += b.rows();
      weight += b.weightSum();
    }
    return List.of(new double[] {rows, weight}).iterator();
  }

  private static List<String> checkExists(SparkSession spark, String path) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(p)) {
        throw PullbackException.data("--data: input '" + path + "' does not exist");
      }
      List<String> files = new ArrayList<>();
      var it = fs.listFiles(p, true);
      while (it.hasNext()) files.add(it.next().getPath().toString());
      if (files.isEmpty()) throw PullbackException.data("--data: input '" + path + "' is an empty folder");
      files.sort(null);
      return files;
    } catch (IOException e) {
      throw PullbackException.data("--data: cannot read '" + path + "': " + e.getMessage());
    }
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** Converts a Spark row to a {@link RawExample}, given the column positions resolved from the schema. */
  static final class RowConverter implements Function<Row, RawExample> {
    private static final long serialVersionUID = 1L;
    private final int[] labelIdx;
    private final int weightIdx;
    private final int vectorIdx;
    private final int[] featureIdx;

    private RowConverter(int[] labelIdx, int weightIdx, int vectorIdx, int[] featureIdx) {
      this.labelIdx = labelIdx;
      this.weightIdx = weightIdx;
      this.vectorIdx = vectorIdx;
      this.featureIdx = featureIdx;
    }

    static RowConverter forSchema(Dataset<Row> df, Options options, String path) {
      List<String> names = List.of(df.columns());
      int[] labelIdx = new int[options.labelColumns().size()];
      for (int i = 0; i < labelIdx.length; i++) {
        String c = options.labelColumns().get(i);
        labelIdx[i] = names.indexOf(c);
        if (labelIdx[i] < 0) {
          throw PullbackException.usage("--label-col: column '" + c + "' not found in '" + path + "'; columns are " + names);
        }
        requireNumeric(df.schema().fields()[labelIdx[i]], path, "label");
      }
      int weightIdx = -1;
      if (options.weightColumn() != null) {
        weightIdx = names.indexOf(options.weightColumn());
        if (weightIdx < 0) {
          throw PullbackException.usage("--weight-col: column '" + options.weightColumn() + "' not found in '" + path + "'; columns are " + names);
        }
        requireNumeric(df.schema().fields()[weightIdx], path, "weight");
      }
      int vectorIdx = names.indexOf("features");
      List<Integer> features = new ArrayList<>();
      if (vectorIdx >= 0 && !(df.schema().fields()[vectorIdx].dataType() instanceof NumericType)) {
        DataType t = df.schema().fields()[vectorIdx].dataType();
        boolean isVector = t.typeName().equals("vector") || t.getClass().getSimpleName().startsWith("VectorUDT");
        boolean isArray = t instanceof ArrayType a && a.elementType() instanceof NumericType;
        if (!isVector && !isArray) {
          throw PullbackException.data("column 'features' in '" + path + "' has type " + t.simpleString() + "; expected a vector or array<double>");
        }
      } else {
        vectorIdx = -1;
        for (int i = 0; i < names.size(); i++) {
          final int col = i;
          if (col == weightIdx || java.util.Arrays.stream(labelIdx).anyMatch(l -> l == col)) continue;
          StructField f = df.schema().fields()[i];
          requireNumeric(f, path, "feature");
          features.add(i);
        }
        if (features.isEmpty()) throw PullbackException.data("'" + path + "' has no feature columns besides the label/weight columns " + names);
      }
      return new RowConverter(labelIdx, weightIdx, vectorIdx, features.stream().mapToInt(Integer::intValue).toArray());
    }

    private static void requireNumeric(StructField f, String path, String role) {
      if (!(f.dataType() instanceof NumericType)) {
        throw PullbackException.data("column '" + f.name() + "' in '" + path + "' has type " + f.dataType().simpleString()
            + "; every " + role + " column must be numeric");
      }
    }

    /** Number of features: the numeric columns, or the size of the first vector. */
    int dimension(Dataset<Row> df) {
      if (vectorIdx < 0) return featureIdx.length;
      List<Row> first = df.select(df.columns()[vectorIdx]).limit(1).collectAsList();
      if (first.isEmpty()) return 0;
      Object v = first.get(0).get(0);
      if (v instanceof Vector vec) return vec.size();
      if (v instanceof scala.collection.Seq<?> s) return s.size();
      if (v instanceof List<?> l) return l.size();
      return 0;
    }

    @Override
    public RawExample call(Row row) {
      double[] labels = new double[labelIdx.length];
      for (int i = 0; i < labelIdx.length; i++) {
        if (row.isNullAt(labelIdx[i])) return new RawExample(features(row), null, 1.0);
        labels[i] = ((Number) row.get(labelIdx[i])).doubleValue();
      }
      double w = 1.0;
      if (weightIdx >= 0) w = row.isNullAt(weightIdx) ? Double.NaN : ((Number) row.get(weightIdx)).doubleValue();
      return new RawExample(features(row), labels, w);
    }

    private double[] features(Row row) {
      if (vectorIdx >= 0) {
        if (row.isNullAt(vectorIdx)) return null;
        Object v = row.get(vectorIdx);
        if (v instanceof Vector vec) return vec.toArray();
        if (v instanceof scala.collection.Seq<?> s) {
          double[] x = new double[s.size()];
          for (int i = 0; i < x.length; i++) {
            Object e = s.apply(i);
            if (e == null) return null;
            x[i] = ((Number) e).doubleValue();
          }
          return x;
        }
        return null;
      }
      double[] x = new double[featureIdx.length];
      for (int i = 0; i < x.length; i++) {
        if (row.isNullAt(featureIdx[i])) return null;
        x[i] = ((Number) row.get(featureIdx[i])).doubleValue();
      }
      return x;
    }
  }
}
