package io.pullback.distributed;

import io.pullback.PullbackException;
import io.pullback.data.CsvParser;
import io.pullback.data.ExampleBlock;
import io.pullback.data.InputFormat;
import io.pullback.data.RawExample;
import io.pullback.data.SyntheticSpec;
import io.pullback.model.LabelRule;
import io.pullback.model.SyntheticGenerator;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntUnaryOperator;
import org.apache.hadoop.conf.Configuration;
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
 * <p>Inputs ({@link InputFiles}): a path, a glob or a comma-separated list; folders stand for the
 * data files below them (hidden files, {@code _SUCCESS}, {@code *.crc}, {@code README*} skipped);
 * the format is inferred from the file names unless {@code {format}} is given. LIBSVM and CSV are
 * read by {@link TextLoader} (one pass parsing and validating straight into blocks, errors with file
 * and line; plus one cheap pass for LIBSVM's D when {@code {numFeatures}} is not given); Parquet by Spark's reader (one pass to validate, one to pack; rows numbered by
 * {@code zipWithIndex}); synthetic rows are generated in the executors and numbered by construction.
 * With {@code partitions} given, rows are range-partitioned by index (one shuffle of the raw rows) so
 * that partition {@code p} holds the contiguous examples {@code [pM/P, (p+1)M/P)} in index order:
 * the same data and partition count always give the same blocks, hence bit-identical reductions.
 *
 * <p>Every data error names the file (or the input) and the 1-based line (text) or row (Parquet,
 * synthetic) and what is wrong; nothing is thrown inside a task for bad text, so Spark logs no task
 * failure.
 *
 * <p>Column conventions: LIBSVM gives {@code label} and {@code features}. CSV (header required) and
 * Parquet: the label column(s) (default {@code label}), an optional weight column, and the features:
 * a vector or {@code array<double>} column named {@code features} if present (Parquet), else every
 * other column in header (schema) order.
 */
public final class DataLoader {
  private static final Logger LOG = LoggerFactory.getLogger(DataLoader.class);
  /** The largest Java array, in elements. */
  static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  /**
   * What to load.
   *
   * @param data a path, glob, comma-separated list, folder, or {@code synthetic:NAME?...}
   * @param format file format, or null to infer it from the file names
   * @param labelColumns label column names (CSV/Parquet)
   * @param weightColumn weight column name, or null for unit weights
   * @param numFeatures the feature count for LIBSVM (null: the largest index, found by a cheap pass)
   * @param partitions the partition count, or null to keep the input's partitioning (one per split)
   * @param blockRows examples per packed block, as a function of the feature count D
   * @param labelRule the labels the model accepts
   * @param labels the IDX labels file of {@code {format}} idx, or null
   * @param targetInputs whether each example's label is replaced by its features ({@code {target}} inputs)
   */
  public record Options(String data, InputFormat format, List<String> labelColumns, String weightColumn,
                        Integer numFeatures, Integer partitions, IntUnaryOperator blockRows, LabelRule labelRule,
                        String labels, boolean targetInputs) {
    public Options {
      if (partitions != null && partitions < 1) {
        throw PullbackException.usage("{partitions} must be >= 1, got " + partitions);
      }
      if (numFeatures != null && numFeatures < 1) {
        throw PullbackException.usage("{numFeatures} must be >= 1, got " + numFeatures);
      }
      if (labelColumns == null || labelColumns.isEmpty()) labelColumns = List.of("label");
    }

    /** Without an IDX labels file, the labels as read. */
    public Options(String data, InputFormat format, List<String> labelColumns, String weightColumn,
                   Integer numFeatures, Integer partitions, IntUnaryOperator blockRows, LabelRule labelRule) {
      this(data, format, labelColumns, weightColumn, numFeatures, partitions, blockRows, labelRule, null, false);
    }

    /**
     * The rule the input's own labels are read with: the model's, or, when they are to be replaced
     * by the inputs, any finite values (one per label column).
     */
    LabelRule readRule() {
      return targetInputs ? new LabelRule(io.pullback.model.OutputDistribution.GAUSSIAN, labelColumns.size(), "replaced (target inputs)")
          : labelRule;
    }
  }

  private DataLoader() {}

  /** Loads, validates and packs; the returned blocks are cached and materialised. */
  public static LoadedData load(SparkSession spark, Options options) {
    if (SyntheticSpec.isSynthetic(options.data())) {
      return loadSynthetic(spark, options, SyntheticSpec.parse(options.data()));
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    InputFiles input = InputFiles.resolve(conf, options.data(), options.format());
    if (options.labels() != null && input.format() != InputFormat.IDX) {
      throw PullbackException.usage("{labels} applies to {format} idx only ('" + options.data() + "' is "
          + input.format().cliName() + ")");
    }
    return switch (input.format()) {
      case PARQUET -> loadParquet(spark, options, input);
      case IDX -> IdxLoader.load(spark, options, input);
      default -> loadText(spark, options, input);
    };
  }

  /**
   * The feature count D when it is known without reading any example: synthetic data, LIBSVM with
   * {@code {numFeatures}}, CSV (from the header, one line per file read on the driver); null otherwise
   * (LIBSVM without it, Parquet). Checks the input's files and header on the way.
   */
  public static Integer knownDimension(Configuration conf, Options options) {
    if (SyntheticSpec.isSynthetic(options.data())) return SyntheticSpec.parse(options.data()).features();
    InputFiles input = InputFiles.resolve(conf, options.data(), options.format());
    return switch (input.format()) {
      case LIBSVM -> options.numFeatures();
      case CSV -> TextLoader.csvColumns(conf, input, options.labelColumns(), options.weightColumn()).features();
      case PARQUET, IDX -> null;
    };
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

  /** LIBSVM and CSV: {@link TextLoader}'s one parsing pass into blocks (D first, if LIBSVM's is not given). */
  private static LoadedData loadText(SparkSession spark, Options options, InputFiles input) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<String> paths = input.files().stream().map(Object::toString).toList();
    boolean csv = input.format() == InputFormat.CSV;
    if (!csv && options.weightColumn() != null) {
      throw PullbackException.usage("{weightColumn}: column '" + options.weightColumn() + "' not found in '" + options.data()
          + "'; columns are [label, features] (LIBSVM has no weight column)");
    }
    CsvParser.Columns columns = csv ? TextLoader.csvColumns(conf, input, options.labelColumns(), options.weightColumn()) : null;
    LabelRule rule = options.readRule();
    TextLoader.Layout layout = new TextLoader.Layout(input.format(), paths, columns, rule, csv && options.weightColumn() != null);
    var lines = TextLoader.lines(spark, input);
    int dim = csv ? columns.features() : options.numFeatures() != null ? options.numFeatures() : TextLoader.featureCount(lines);
    int blockRows = blockRows(options, dim, rule.labelDim());
    JavaRDD<SplitBlocks.Chunk> chunks = TextLoader.parse(lines, layout, dim, blockRows).persist(StorageLevel.MEMORY_AND_DISK());
    TextLoader.Parsed parsed;
    List<SplitBlocks.Summary> summaries;
    try {
      summaries = SplitBlocks.summaries(chunks);
      parsed = TextLoader.check(summaries, layout, options.data(), chunks.getNumPartitions());
    } catch (Throwable e) { // also a job cancelled by a signal (a checked SparkException)
      chunks.unpersist(false);
      throw e;
    }
    return indexAndCache(chunks, summaries, parsed.first(), parsed.examples(), dim, blockRows, paths, options, parsed.maxAbs());
  }

  /**
   * Blocks parsed per task (cached {@code chunks}, numbered from 0 in each task, with their
   * {@code summaries}) given their global indices ({@code first[p]} for partition p). Without
   * {@code {partitions}}, or when the tasks already hold its ranges ({@link SplitBlocks#holdsRanges}),
   * the indexed view of the chunks is the result and its weight total comes from the summaries (no
   * further job); otherwise the view is range-partitioned as block slices and packed again (then the
   * chunks are freed) and materialised as {@link #cache}. Both give the same blocks and total, bit for bit.
   */
  private static LoadedData indexAndCache(JavaRDD<SplitBlocks.Chunk> chunks, List<SplitBlocks.Summary> summaries, long[] first,
                                          long m, int dim, int blockRows, List<String> paths, Options options, double maxAbs) {
    JavaRDD<ExampleBlock> blocks = SplitBlocks.indexed(chunks, first);
    int p = options.partitions() == null ? first.length : (int) Math.max(1, Math.min(options.partitions(), m));
    if (options.partitions() == null || SplitBlocks.holdsRanges(first, SplitBlocks.counts(first.length, summaries), p, m)) {
      double weightSum = SplitBlocks.weightSum(summaries);
      return checked(blocks, chunks, m, weightSum, dim, options.labelRule().labelDim(), blockRows, paths, options, maxAbs);
    }
    JavaRDD<ExampleBlock> ranged = SplitBlocks.rangePartitioned(blocks, p, m, (int) Math.min(blockRows, m));
    ranged.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      return cache(ranged, ranged, m, dim, options.labelRule().labelDim(), blockRows, paths, options, maxAbs);
    } finally {
      chunks.unpersist(false);
    }
  }

  private static LoadedData loadParquet(SparkSession spark, Options options, InputFiles input) {
    List<String> paths = input.files().stream().map(Object::toString).toList();
    LoadedData batched = loadParquetBatches(spark, options, paths);
    return batched != null ? batched : loadRows(() -> spark.read().parquet(paths.toArray(new String[0])), options, paths);
  }

  /**
   * Parquet through Spark's vectorized reader, one pass into blocks ({@link ParquetLoader}); null when
   * Spark would not read these columns as batches (then the row path is taken).
   */
  private static LoadedData loadParquetBatches(SparkSession spark, Options options, List<String> paths) {
    String path = options.data();
    Dataset<Row> df;
    ParquetLoader.Columns columns;
    JavaRDD<org.apache.spark.sql.vectorized.ColumnarBatch> batches;
    int dim;
    try {
      df = spark.read().parquet(paths.toArray(new String[0]));
      RowConverter converter = RowConverter.forSchema(df, options, path);
      batches = ParquetLoader.columnar(df);
      if (batches == null) return null;
      columns = converter.columnsIn(ParquetLoader.scanColumns(df), df.columns(), paths);
      dim = converter.dimension(df);
    } catch (PullbackException e) {
      throw e;
    } catch (Exception e) { // Spark throws SparkException (checked) from Scala code too
      throw PullbackException.data("cannot read '" + path + "' as parquet: " + rootMessage(e));
    }
    LabelRule rule = options.labelRule();
    int blockRows = blockRows(options, dim, rule.labelDim());
    JavaRDD<SplitBlocks.Chunk> chunks = ParquetLoader.parse(batches, columns, ParquetLoader.scanSchema(df), dim, rule, blockRows)
        .persist(StorageLevel.MEMORY_AND_DISK());
    long m = 0;
    double maxAbs = 0;
    long[] first;
    List<SplitBlocks.Summary> summaries;
    try {
      try {
        summaries = SplitBlocks.summaries(chunks);
      } catch (Exception e) {
        throw PullbackException.data("cannot read '" + path + "' as parquet: " + rootMessage(e));
      }
      String error = ParquetLoader.firstError(summaries, columns);
      if (error != null) throw PullbackException.data(error);
      for (SplitBlocks.Summary s : summaries) {
        m += s.examples();
        maxAbs = Math.max(maxAbs, s.maxAbs());
      }
      if (m == 0) throw PullbackException.data("no examples in '" + path + "': the input is empty");
      first = SplitBlocks.firstIndices(chunks.getNumPartitions(), summaries);
    } catch (Throwable e) { // also a job cancelled by a signal (a checked SparkException)
      chunks.unpersist(false);
      throw e;
    }
    return indexAndCache(chunks, summaries, first, m, dim, blockRows, paths, options, maxAbs);
  }

  /**
   * Loads the rows of a Dataset the caller already has (a spark.ml {@code fit}): the same column
   * conventions, validation and packing as Parquet input ({@code options.data()} names the input in
   * messages; a row is named by its 1-based position in the Dataset's order). Cost: one validating
   * pass and one packing pass over the rows, plus a shuffle when {@code options.partitions()} is given.
   */
  public static LoadedData load(Dataset<Row> rows, Options options) {
    return loadRows(() -> rows, options, List.of());
  }

  private static LoadedData loadRows(java.util.function.Supplier<Dataset<Row>> read, Options options, List<String> paths) {
    String path = options.data();
    // Spark reads lazily: a corrupt file surfaces at the first action, so everything up to the
    // numbered rows is one guarded step.
    JavaPairRDD<Long, RawExample> indexed;
    int dim;
    try {
      Dataset<Row> df = read.get();
      if (df.isEmpty()) {
        throw PullbackException.data("no examples in '" + path + "': the input is empty");
      }
      RowConverter converter = RowConverter.forSchema(df, options, path);
      indexed = df.toJavaRDD().map(converter).zipWithIndex().mapToPair(Tuple2::swap);
      dim = converter.dimension(df);
    } catch (PullbackException e) {
      throw e;
    } catch (Exception e) { // Spark throws SparkException (checked) from Scala code too
      throw PullbackException.data("cannot read '" + path + "' as parquet: " + rootMessage(e));
    }
    return validateAndPack(indexed, dim, options, paths, true, options.weightColumn() != null);
  }

  /** {@code {blockRows}} for D features, checked: a block's arrays must fit in a Java array. */
  static int blockRows(Options options, int dim, int labelDim) {
    int blockRows = options.blockRows().applyAsInt(dim);
    if (blockRows < 1) throw PullbackException.usage("{blockRows} must be >= 1, got " + blockRows);
    long values = (long) blockRows * Math.max(dim, labelDim);
    if (values > MAX_ARRAY) {
      throw PullbackException.usage("{blockRows} " + blockRows + " with " + dim + " features makes blocks of " + values
          + " values, more than one Java array holds (" + MAX_ARRAY + "); use a smaller {blockRows}");
    }
    return blockRows;
  }

  static LoadedData validateAndPack(JavaPairRDD<Long, RawExample> indexed, int dim, Options options,
                                    List<String> inputs, boolean mayRepartition, boolean weighted) {
    LabelRule rule = options.readRule();
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
      throw PullbackException.data("bad input in '" + source + "', row " + (stats.firstBadIndex + 1)
          + " (1-based, in input order): " + stats.firstBadMessage);
    }
    long m = stats.count;
    JavaPairRDD<Long, RawExample> ordered = normalised;
    if (mayRepartition && options.partitions() != null) {
      int p = (int) Math.max(1, Math.min(options.partitions(), m));
      ordered = normalised.repartitionAndSortWithinPartitions(new ContiguousRangePartitioner(p, m));
    }
    int labelDim = rule.labelDim();
    int blockRows = blockRows(options, dim, labelDim);
    int packRows = (int) Math.min(blockRows, m); // a block never needs more rows than there are examples
    JavaRDD<ExampleBlock> blocks = ordered.mapPartitions(it -> pack(it, dim, labelDim, packRows, weighted));
    blocks.persist(StorageLevel.MEMORY_AND_DISK());
    return cache(blocks, blocks, m, dim, labelDim, blockRows, inputs, options, stats.maxAbs);
  }

  /**
   * Materialises the blocks (which read the persisted {@code cached}: the blocks themselves or the
   * chunks they are a view of), totalling the weights in partition order (deterministic); checks the total.
   */
  private static LoadedData cache(JavaRDD<ExampleBlock> blocks, JavaRDD<?> cached, long m, int dim, int labelDim, int blockRows,
                                  List<String> inputs, Options options, double maxAbs) {
    long packed = 0;
    double weightSum = 0;
    for (double[] countAndWeight : blocks.mapPartitions(DataLoader::countAndWeight).collect()) {
      packed += (long) countAndWeight[0];
      weightSum += countAndWeight[1];
    }
    if (packed != m) throw new IllegalStateException("packed " + packed + " examples but validated " + m);
    return checked(blocks, cached, m, weightSum, dim, labelDim, blockRows, inputs, options, maxAbs);
  }

  /** Blocks whose weight total is known (the cached {@code cached} freed if it is unusable), with {@code {target}} applied. */
  private static LoadedData checked(JavaRDD<ExampleBlock> blocks, JavaRDD<?> cached, long m, double weightSum, int dim, int labelDim,
                                    int blockRows, List<String> inputs, Options options, double maxAbs) {
    String source = options.data();
    if (!(weightSum > 0) || Double.isInfinite(weightSum)) {
      cached.unpersist(false);
      throw PullbackException.data(Double.isInfinite(weightSum)
          ? "the weights in '" + source + "' sum to " + weightSum + " (they overflow); rescale {weightColumn}"
          : "every example in '" + source + "' has weight 0; at least one positive weight is needed");
    }
    if (options.targetInputs()) {
      blocks = inputsAsTargets(blocks, dim, options);
      labelDim = dim;
    }
    LOG.info("Loaded {} examples ({} features) from {} into {} partitions of blocks of {} rows",
        m, dim, source, blocks.getNumPartitions(), blockRows);
    return new LoadedData(blocks, m, weightSum, dim, labelDim, blocks.getNumPartitions(), blockRows, inputs, maxAbs, cached);
  }

  /**
   * {@code {target}} inputs: each block's labels become its features (the same array, D values per
   * example; blocks are never written to), checked against the model's label rule (e.g. a Bernoulli
   * model needs values in [0, 1]); the first bad example, in index order, is reported. One pass
   * over the cached blocks; the returned blocks are cached and the given ones released.
   */
  private static JavaRDD<ExampleBlock> inputsAsTargets(JavaRDD<ExampleBlock> blocks, int dim, Options options) {
    LabelRule rule = options.labelRule();
    if (rule.labelDim() != dim) {
      blocks.unpersist(false);
      throw PullbackException.usage("{target} inputs fits each example to its own " + dim + " features, but the model takes "
          + rule.labelDim() + " label values per example; set {outputs} " + dim);
    }
    JavaRDD<ExampleBlock> mapped = blocks.map(b -> new ExampleBlock(b.firstIndex(), b.rows(), dim, dim, b.features(), b.features(), b.weights()));
    mapped.persist(StorageLevel.MEMORY_AND_DISK());
    List<String> bad = mapped.mapPartitions(it -> {
      while (it.hasNext()) {
        ExampleBlock b = it.next();
        for (int e = 0; e < b.rows(); e++) {
          String problem = rule.check(java.util.Arrays.copyOfRange(b.features(), e * dim, (e + 1) * dim));
          if (problem != null) return List.of("row " + (b.firstIndex() + e + 1) + ": " + problem).iterator();
        }
      }
      return java.util.Collections.<String>emptyIterator();
    }).take(1);
    blocks.unpersist(false);
    if (!bad.isEmpty()) {
      mapped.unpersist(false);
      throw PullbackException.data("bad input in '" + options.data() + "' with {target} inputs (the features are the labels), "
          + bad.get(0) + " (1-based, in input order)");
    }
    return mapped;
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
          throw PullbackException.usage("{labelColumns}: column '" + c + "' not found in '" + path + "'; columns are " + names);
        }
        requireNumeric(df.schema().fields()[labelIdx[i]], path, "label");
      }
      int weightIdx = -1;
      if (options.weightColumn() != null) {
        weightIdx = names.indexOf(options.weightColumn());
        if (weightIdx < 0) {
          throw PullbackException.usage("{weightColumn}: column '" + options.weightColumn() + "' not found in '" + path + "'; columns are " + names);
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

    /** The same roles as positions in a scan's columns ({@code scan}; {@code names} are the Dataset's). */
    ParquetLoader.Columns columnsIn(List<String> scan, String[] names, List<String> files) {
      java.util.function.IntUnaryOperator at = i -> scan.indexOf(names[i]);
      return new ParquetLoader.Columns(java.util.Arrays.stream(labelIdx).map(at).toArray(), weightIdx < 0 ? -1 : at.applyAsInt(weightIdx),
          vectorIdx < 0 ? -1 : at.applyAsInt(vectorIdx), java.util.Arrays.stream(featureIdx).map(at).toArray(), files);
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
