package io.pullback.distributed;

import io.pullback.model.LabelRule;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.InputFileBlockHolder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.execution.FileSourceScanExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.DoubleType$;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * Parquet read through Spark's vectorized reader ({@code FileSourceScanExec.executeColumnar}): each
 * task turns its column batches straight into {@link io.pullback.data.ExampleBlock}s (values read from
 * the column vectors, no {@code Row} and no per-row array), checks every row in the same pass, and
 * ends with a {@link SplitBlocks.Summary} listing the file segments it read; rows are numbered from
 * the counts ({@link SplitBlocks}), in Spark's scan order, which is the row order of
 * {@code spark.read().parquet(…)}. A bad row is named by its file and its 1-based row in that file.
 *
 * <p>Limits: when Spark would not read the columns as batches (vectorized reader off, a column type
 * it cannot batch, more columns than {@code spark.sql.codegen.maxFields}), {@link #columnar} returns
 * null and {@link DataLoader} reads rows instead (the same checks, a numbering job).
 */
final class ParquetLoader {
  private static final String MISSING = "features are missing or not numeric";

  private ParquetLoader() {}

  /** Where each role is in the scan's output: label columns, the weight (-1: none), a vector/array column or feature columns. */
  record Columns(int[] labels, int weight, int vector, int[] features, List<String> files) implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    int dim(int vectorDim) {
      return vector >= 0 ? vectorDim : features.length;
    }

    int fileIndex(String path) {
      String p = new org.apache.hadoop.fs.Path(path).toUri().getPath();
      for (int i = 0; i < files.size(); i++) if (new org.apache.hadoop.fs.Path(files.get(i)).toUri().getPath().equals(p)) return i;
      return -1;
    }
  }

  /** The scan of {@code df} as column batches, or null when Spark would read it row by row. */
  static JavaRDD<ColumnarBatch> columnar(Dataset<Row> df) {
    FileSourceScanExec scan = find(df.queryExecution().executedPlan());
    if (scan == null || !scan.supportsColumnar()) return null;
    return scan.executeColumnar().toJavaRDD();
  }

  /** The names of the scan's columns, in batch order. */
  static List<String> scanColumns(Dataset<Row> df) {
    FileSourceScanExec scan = find(df.queryExecution().executedPlan());
    List<String> names = new ArrayList<>();
    scala.collection.Iterator<org.apache.spark.sql.catalyst.expressions.Attribute> it = scan.output().iterator();
    while (it.hasNext()) names.add(it.next().name());
    return names;
  }

  static StructType scanSchema(Dataset<Row> df) {
    return find(df.queryExecution().executedPlan()).schema();
  }

  private static FileSourceScanExec find(SparkPlan plan) {
    if (plan instanceof FileSourceScanExec f) return f;
    scala.collection.Iterator<SparkPlan> children = plan.children().iterator();
    while (children.hasNext()) {
      FileSourceScanExec f = find(children.next());
      if (f != null) return f;
    }
    return null;
  }

  /** The one pass: each task's batches packed into blocks of at most {@code blockRows}, then its summary. */
  static JavaRDD<SplitBlocks.Chunk> parse(JavaRDD<ColumnarBatch> batches, Columns columns, StructType schema, int dim, LabelRule rule,
                                          int blockRows) {
    DataType[] types = new DataType[schema.fields().length];
    for (int i = 0; i < types.length; i++) {
      DataType t = schema.fields()[i].dataType();
      types[i] = t instanceof org.apache.spark.sql.types.UserDefinedType<?> u ? u.sqlType() : t; // VectorUDT: its struct
    }
    return batches.mapPartitions(it -> new ChunkIterator(it, columns, types, dim, rule, blockRows));
  }

  /**
   * The first bad row, in scan order, as {@code 'FILE', row R} (R 1-based within the file, from the
   * segments every task read), or null when every row is valid.
   */
  static String firstError(List<SplitBlocks.Summary> byPartition, Columns columns) {
    for (SplitBlocks.Summary s : byPartition) {
      if (s.error() == null) continue;
      long[] seg = s.segments();
      int k = (int) s.errorLine();                 // the segment of the bad row
      long file = seg[3 * k];
      long start = seg[3 * k + 1];
      long rowInSegment = s.lines();
      long before = 0;
      for (SplitBlocks.Summary o : byPartition) {
        long[] g = o.segments();
        for (int j = 0; j + 2 < g.length; j += 3) if (g[j] == file && g[j + 1] < start) before += g[j + 2];
      }
      return "bad input in '" + columns.files().get((int) file) + "', row " + (before + rowInSegment + 1) + ": " + s.error();
    }
    return null;
  }

  /** A task's batches as blocks, checked row by row; stops at the first bad row. */
  private static final class ChunkIterator implements Iterator<SplitBlocks.Chunk> {
    private final Iterator<ColumnarBatch> batches;
    private final Columns columns;
    private final DataType[] types;
    private final int dim;
    private final LabelRule rule;
    private final int blockRows;
    private final int initialRows;
    private final double[] labels;
    private final List<long[]> segments = new ArrayList<>();
    private double weight;
    private ColumnarBatch batch;
    private int row;
    private long examples;
    private long firstOfBlock;
    private double maxAbs;
    private double blockWeights;
    private boolean done;

    ChunkIterator(Iterator<ColumnarBatch> batches, Columns columns, DataType[] types, int dim, LabelRule rule, int blockRows) {
      this.batches = batches;
      this.columns = columns;
      this.types = types;
      this.dim = dim;
      this.rule = rule;
      this.blockRows = blockRows;
      this.initialRows = (int) Math.max(1, Math.min(blockRows, Math.min(256, (1 << 17) / Math.max(1, dim))));
      this.labels = new double[columns.labels().length];
    }

    @Override public boolean hasNext() {
      return !done;
    }

    @Override public SplitBlocks.Chunk next() {
      if (done) throw new NoSuchElementException();
      SplitBlocks.Builder block = new SplitBlocks.Builder(dim, rule.labelDim(), columns.weight() >= 0, blockRows, initialRows);
      while (!block.full() && nextRow()) {
        int offset = block.reserve();
        String problem = read(batch, row, block.features(), offset);
        long[] seg = segments.get(segments.size() - 1);
        if (problem != null) return finish(seg[2], segments.size() - 1, problem);
        seg[2]++;
        block.commit(labels, weight);
        examples++;
        row++;
      }
      if (block.rows() == 0) return finish(0, -1, null);
      io.pullback.data.ExampleBlock built = block.build(firstOfBlock);
      blockWeights += built.weightSum();
      firstOfBlock += block.rows();
      return new SplitBlocks.Chunk(built, null);
    }

    /** Moves to a row to read (the next batch when this one is used up); false at the end. */
    private boolean nextRow() {
      while (batch == null || row >= batch.numRows()) {
        if (!batches.hasNext()) return false;
        batch = batches.next();
        row = 0;
        String file = org.apache.spark.paths.SparkPath.fromUrlString(InputFileBlockHolder.getInputFilePath().toString()).toPath()
            .toString();
        long start = InputFileBlockHolder.getStartOffset();
        long[] last = segments.isEmpty() ? null : segments.get(segments.size() - 1);
        long index = columns.fileIndex(file);
        if (last == null || last[0] != index || last[1] != start) segments.add(new long[] {index, start, 0});
      }
      return true;
    }

    /**
     * Reads row {@code r} into {@code x[offset…]}, the labels and the weight; what is wrong with it, or
     * null. The checks in the order of the row path: features, labels, weight.
     */
    private String read(ColumnarBatch b, int r, double[] x, int offset) {
      boolean labelMissing = false;
      for (int i = 0; i < labels.length; i++) {
        ColumnVector v = b.column(columns.labels()[i]);
        if (v.isNullAt(r)) labelMissing = true;
        else labels[i] = value(v, types[columns.labels()[i]], r);
      }
      weight = 1.0;
      if (columns.weight() >= 0) {
        ColumnVector v = b.column(columns.weight());
        weight = v.isNullAt(r) ? Double.NaN : value(v, types[columns.weight()], r);
      }
      String featureProblem = columns.vector() >= 0 ? vector(b.column(columns.vector()), r, x, offset) : numeric(b, r, x, offset);
      if (featureProblem != null) return featureProblem;
      String labelProblem = rule.check(labelMissing ? null : rule.normalise(labels));
      if (labelProblem != null) return labelProblem;
      if (!(weight >= 0) || Double.isInfinite(weight)) return "weight " + weight + " is not a finite number >= 0";
      for (int j = 0; j < dim; j++) maxAbs = Math.max(maxAbs, Math.abs(x[offset + j]));
      return null;
    }

    private String numeric(ColumnarBatch b, int r, double[] x, int offset) {
      int[] f = columns.features();
      for (int j = 0; j < f.length; j++) {
        ColumnVector v = b.column(f[j]);
        if (v.isNullAt(r)) return MISSING;
        x[offset + j] = value(v, types[f[j]], r);
      }
      return finite(x, offset);
    }

    /** A VectorUDT column (struct of type, size, indices, values; type 1 is dense) or an array of numbers. */
    private String vector(ColumnVector v, int r, double[] x, int offset) {
      if (v.isNullAt(r)) return MISSING;
      DataType t = types[columns.vector()];
      if (!(t instanceof StructType)) {
        return array(v, r, ((org.apache.spark.sql.types.ArrayType) t).elementType(), x, offset, true);
      }
      if (v.getChild(0).getByte(r) == 1) return array(v.getChild(3), r, DoubleType$.MODULE$, x, offset, true);
      int size = v.getChild(1).getInt(r);
      if (size != dim) return "has " + size + " features, expected " + dim;
      WritableColumnVector indices = (WritableColumnVector) v.getChild(2);
      WritableColumnVector values = (WritableColumnVector) v.getChild(3);
      int from = indices.getArrayOffset(r);
      int nnz = indices.getArrayLength(r);
      int vfrom = values.getArrayOffset(r);
      for (int k = 0; k < nnz; k++) x[offset + indices.arrayData().getInt(from + k)] = values.arrayData().getDouble(vfrom + k);
      return finite(x, offset);
    }

    /** Row {@code r} of an array column, read in place from its element vector (no per-row object). */
    private String array(ColumnVector v, int r, DataType element, double[] x, int offset, boolean checkLength) {
      WritableColumnVector a = (WritableColumnVector) v;
      int from = a.getArrayOffset(r);
      int n = a.getArrayLength(r);
      if (checkLength && n != dim) return "has " + n + " features, expected " + dim;
      ColumnVector data = a.arrayData();
      for (int j = 0; j < n; j++) {
        if (data.isNullAt(from + j)) return MISSING;
        x[offset + j] = value(data, element, from + j);
      }
      return finite(x, offset);
    }

    private String finite(double[] x, int offset) {
      for (int j = 0; j < dim; j++) {
        if (!Double.isFinite(x[offset + j])) return "feature " + j + " is " + x[offset + j] + " (features must be finite numbers)";
      }
      return null;
    }

    private SplitBlocks.Chunk finish(long rowInSegment, long segment, String error) {
      done = true;
      long[] flat = new long[3 * segments.size()];
      for (int k = 0; k < segments.size(); k++) System.arraycopy(segments.get(k), 0, flat, 3 * k, 3);
      return new SplitBlocks.Chunk(null, new SplitBlocks.Summary(TaskContext.getPartitionId(), -1, 0, rowInSegment, examples, 0,
          maxAbs, segment, error, flat, blockWeights));
    }
  }

  /** One value of a numeric column as a double, as {@code ((Number) row.get(i)).doubleValue()} gives it. */
  static double value(ColumnVector v, DataType t, int r) {
    if (t instanceof DoubleType) return v.getDouble(r);
    if (t instanceof FloatType) return v.getFloat(r);
    if (t instanceof IntegerType) return v.getInt(r);
    if (t instanceof LongType) return v.getLong(r);
    if (t instanceof ShortType) return v.getShort(r);
    if (t instanceof ByteType) return v.getByte(r);
    if (t instanceof DecimalType d) return v.getDecimal(r, d.precision(), d.scale()).toJavaBigDecimal().doubleValue();
    throw new IllegalArgumentException("not a numeric column type: " + t.simpleString());
  }
}
