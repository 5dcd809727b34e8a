package io.pullback.distributed;

import io.pullback.PullbackException;
import io.pullback.data.CsvParser;
import io.pullback.data.ExampleBlock;
import io.pullback.data.InputFormat;
import io.pullback.data.LibsvmParser;
import io.pullback.data.ParsedLine;
import io.pullback.data.RawExample;
import io.pullback.model.LabelRule;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * LIBSVM and CSV read by Pullback's own streaming parsers ({@link LibsvmParser}, {@link CsvParser}),
 * one task per Hadoop input split (so compressed files keep working and splittable files are split
 * across tasks), bytes to doubles with no per-token {@code String} and no boxing.
 *
 * <p>Two passes over the text. The <i>scan</i> parses and validates every line and returns, per split,
 * its line and example counts, the largest LIBSVM index and the first bad line; lines are numbered
 * from these counts (a split's first line number is the sum of the line counts of the splits before
 * it in its file), so an error names its file and 1-based line with no numbering job, and LIBSVM's
 * feature count D comes from the same pass when {@code {numFeatures}} is not given. The <i>pack</i>
 * parses again straight into the {@link ExampleBlock}s that are cached; example indices come from
 * the scan's counts (files in path order, splits in offset order). With {@code {partitions}} the
 * pack emits indexed rows that are range-partitioned instead ({@link DataLoader}).
 *
 * <p>CSV headers are read on the driver before any job (one line per file): duplicate names and
 * files whose headers differ (other names or another order) are refused naming file and line 1.
 */
final class TextLoader {
  private TextLoader() {}

  /** What one split held: its position, counts, the largest |value| and LIBSVM index, the first error. */
  record SplitScan(int partition, int file, long start, long lines, long examples, long maxIndex, double maxAbs,
                   long errorLine, String error) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /**
   * How every task parses: the format, the files (their index orders them), LIBSVM's D when known,
   * CSV's column roles, the label rule.
   */
  record Layout(InputFormat format, List<String> files, CsvParser.Columns columns, LabelRule rule, boolean weighted)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    int fileIndex(Path path) {
      String p = path.toUri().getPath();
      for (int i = 0; i < files.size(); i++) if (new Path(files.get(i)).toUri().getPath().equals(p)) return i;
      throw new IllegalStateException("split of an unknown file " + path);
    }
  }

  /** What the scan found: the examples, the feature count and the scans in file and offset order. */
  record Scan(long examples, int dim, double maxAbs, List<SplitScan> splits) {}

  /** The header of the CSV files, checked: no duplicate names, every file the same. */
  static CsvParser.Columns csvColumns(Configuration conf, InputFiles input, List<String> labelColumns, String weightColumn) {
    List<String> header = null;
    Path headerFile = null;
    for (Path f : input.files()) {
      String line = InputFiles.firstLine(conf, f);
      if (line == null) continue; // an empty part file holds no rows
      if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
      List<String> names = CsvParser.headerNames(line);
      Map<String, Integer> seen = new HashMap<>();
      for (int i = 0; i < names.size(); i++) {
        Integer before = seen.put(names.get(i), i);
        if (before != null) {
          throw PullbackException.data("bad header in '" + f + "', line 1: column name '" + names.get(i) + "' appears twice"
              + " (columns " + (before + 1) + " and " + (i + 1) + "); every column needs its own name");
        }
      }
      if (header == null) {
        header = names;
        headerFile = f;
      } else if (!header.equals(names)) {
        boolean reordered = new java.util.HashSet<>(header).equals(new java.util.HashSet<>(names));
        throw PullbackException.data("bad header in '" + f + "', line 1: columns " + names
            + (reordered ? " are in another order than " : " differ from ") + header + " in '" + headerFile
            + "'; every file of the input must have the same header");
      }
    }
    if (header == null) throw PullbackException.data("no examples in '" + input.files().get(0) + "': the input is empty");
    try {
      return CsvParser.Columns.of(header, labelColumns, weightColumn);
    } catch (IllegalArgumentException e) {
      String[] what = e.getMessage().split(":", 2);
      String flag = what[0].equals("label") ? "{labelColumns}" : "{weightColumn}";
      throw PullbackException.usage(flag + ": column '" + what[1] + "' not found in '" + headerFile + "'; columns are " + header);
    }
  }

  /** The splits of the files, as an RDD of (offset, line) per split. */
  static JavaNewHadoopRDD<LongWritable, Text> lines(SparkSession spark, InputFiles input) {
    try {
      Job job = Job.getInstance(new Configuration(spark.sparkContext().hadoopConfiguration()));
      FileInputFormat.setInputPaths(job, input.files().toArray(new Path[0]));
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      return (JavaNewHadoopRDD<LongWritable, Text>) jsc.newAPIHadoopRDD(job.getConfiguration(), TextInputFormat.class,
          LongWritable.class, Text.class);
    } catch (IOException e) {
      throw PullbackException.data("cannot read '" + input.files().get(0) + "': " + e.getMessage());
    }
  }

  /** The scan pass: every line parsed and checked; throws the first bad line (file order) as a data error. */
  static Scan scan(JavaNewHadoopRDD<LongWritable, Text> lines, Layout layout, Integer numFeatures, String source) {
    int dim = numFeatures == null ? -1 : numFeatures;
    List<SplitScan> scans = new ArrayList<>(lines.mapPartitionsWithInputSplit(
        (split, it) -> List.of(scanSplit((FileSplit) split, it, layout, dim)).iterator(), true).collect());
    scans.sort(Comparator.comparingInt(SplitScan::file).thenComparingLong(SplitScan::start));
    long examples = 0;
    long maxIndex = 0;
    double maxAbs = 0;
    long linesBefore = 0;
    for (int k = 0; k < scans.size(); k++) {
      SplitScan s = scans.get(k);
      if (k > 0 && scans.get(k - 1).file() != s.file()) linesBefore = 0;
      if (s.error() != null) {
        throw PullbackException.data("bad input in '" + layout.files().get(s.file()) + "', line " + (linesBefore + s.errorLine() + 1)
            + ": " + s.error());
      }
      linesBefore += s.lines();
      examples += s.examples();
      maxIndex = Math.max(maxIndex, s.maxIndex());
      maxAbs = Math.max(maxAbs, s.maxAbs());
    }
    if (examples == 0) throw PullbackException.data("no examples in '" + source + "': the input is empty");
    int d = layout.format() == InputFormat.CSV ? layout.columns().features() : numFeatures != null ? numFeatures : (int) maxIndex;
    return new Scan(examples, d, maxAbs, List.copyOf(scans));
  }

  private static SplitScan scanSplit(FileSplit split, Iterator<Tuple2<LongWritable, Text>> it, Layout layout, int dim) {
    int file = layout.fileIndex(split.getPath());
    RowReader reader = new RowReader(layout, dim);
    long line = 0;
    long examples = 0;
    for (; it.hasNext(); line++) {
      Text text = it.next()._2();
      ParsedLine outcome = reader.read(text, split.getStart() == 0 && line == 0, null, 0);
      if (outcome == ParsedLine.ERROR) {
        return new SplitScan(TaskContext.getPartitionId(), file, split.getStart(), line, examples, reader.maxIndex(),
            reader.maxAbs(), line, reader.problem());
      }
      if (outcome == ParsedLine.EXAMPLE) examples++;
    }
    return new SplitScan(TaskContext.getPartitionId(), file, split.getStart(), line, examples, reader.maxIndex(),
        reader.maxAbs(), -1, null);
  }

  /** First example index and example count of each partition, from the scan. */
  static long[][] partitionOffsets(Scan scan, int partitions) {
    long[] first = new long[partitions];
    long[] count = new long[partitions];
    long next = 0;
    for (SplitScan s : scan.splits()) {
      first[s.partition()] = next;
      count[s.partition()] = s.examples();
      next += s.examples();
    }
    return new long[][] {first, count};
  }

  /** The pack pass: each split's examples parsed straight into blocks of at most {@code blockRows}. */
  static JavaRDD<ExampleBlock> blocks(JavaNewHadoopRDD<LongWritable, Text> lines, Layout layout, Scan scan, int blockRows) {
    long[][] offsets = partitionOffsets(scan, lines.getNumPartitions());
    int dim = scan.dim();
    int labelDim = layout.rule().labelDim();
    return lines.mapPartitionsWithInputSplit((split, it) -> {
      int p = TaskContext.getPartitionId();
      return new BlockIterator(it, new RowReader(layout, dim), ((FileSplit) split).getStart() == 0, offsets[0][p], offsets[1][p],
          dim, labelDim, blockRows, layout.weighted());
    }, true);
  }

  /** The pack pass for range partitioning: (global index, example) pairs. */
  static JavaPairRDD<Long, RawExample> indexedRows(JavaNewHadoopRDD<LongWritable, Text> lines, Layout layout, Scan scan) {
    long[][] offsets = partitionOffsets(scan, lines.getNumPartitions());
    int dim = scan.dim();
    int labelDim = layout.rule().labelDim();
    JavaRDD<Tuple2<Long, RawExample>> rows = lines.mapPartitionsWithInputSplit((split, it) -> {
      long first = offsets[0][TaskContext.getPartitionId()];
      BlockIterator one = new BlockIterator(it, new RowReader(layout, dim), ((FileSplit) split).getStart() == 0, first,
          offsets[1][TaskContext.getPartitionId()], dim, labelDim, 1, true);
      return new Iterator<Tuple2<Long, RawExample>>() {
        @Override public boolean hasNext() { return one.hasNext(); }
        @Override public Tuple2<Long, RawExample> next() {
          ExampleBlock b = one.next();
          return new Tuple2<>(b.firstIndex(), new RawExample(b.features(), b.labels(), b.weights()[0]));
        }
      };
    }, true);
    return rows.mapToPair(t -> t);
  }

  /** Parses one line with the format's parser, then checks the labels and the weight. */
  static final class RowReader {
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    private final LibsvmParser libsvm;
    private final CsvParser csv;
    private final LabelRule rule;
    private final int dim;
    private final double[] oneLabel = new double[1];
    private double[] labels;
    private double weight;
    private String problem;

    RowReader(Layout layout, int dim) {
      this.libsvm = layout.format() == InputFormat.LIBSVM ? new LibsvmParser() : null;
      this.csv = layout.format() == InputFormat.CSV ? new CsvParser(layout.columns()) : null;
      this.rule = layout.rule();
      this.dim = dim;
    }

    /** Reads one line into {@code x[offset, offset + D)} (null: checks only); {@code firstOfFile} skips a BOM and CSV's header. */
    ParsedLine read(Text text, boolean firstOfFile, double[] x, int offset) {
      byte[] b = text.getBytes();
      int from = 0;
      int to = text.getLength();
      if (firstOfFile) {
        if (csv != null) return ParsedLine.SKIP; // the header, checked on the driver
        if (to >= 3 && b[0] == BOM[0] && b[1] == BOM[1] && b[2] == BOM[2]) from = 3;
      }
      ParsedLine outcome;
      if (libsvm != null) {
        outcome = libsvm.parse(b, from, to, dim, x, offset);
        if (outcome != ParsedLine.EXAMPLE) return fail(outcome, libsvm.problem());
        oneLabel[0] = libsvm.label();
        labels = oneLabel;
        weight = 1.0;
      } else {
        outcome = csv.parse(b, from, to, x, offset);
        if (outcome != ParsedLine.EXAMPLE) return fail(outcome, csv.problem());
        labels = csv.labels();
        weight = csv.weight();
      }
      rule.normalise(labels);
      String p = rule.check(labels);
      if (p == null && (!(weight >= 0) || Double.isInfinite(weight))) p = "weight " + weight + " is not a finite number >= 0";
      return p == null ? ParsedLine.EXAMPLE : fail(ParsedLine.ERROR, p);
    }

    private ParsedLine fail(ParsedLine outcome, String message) {
      problem = message;
      return outcome;
    }

    String problem() {
      return problem;
    }

    double[] labels() {
      return labels;
    }

    double weight() {
      return weight;
    }

    long maxIndex() {
      return libsvm == null ? 0 : libsvm.maxIndex();
    }

    double maxAbs() {
      return libsvm != null ? libsvm.maxAbs() : csv.maxAbs();
    }
  }

  /** A split's examples as blocks, parsed as they are filled (the scan already validated them). */
  private static final class BlockIterator implements Iterator<ExampleBlock> {
    private final Iterator<Tuple2<LongWritable, Text>> lines;
    private final RowReader reader;
    private final int dim;
    private final int labelDim;
    private final int blockRows;
    private final boolean weighted;
    private boolean firstLine;
    private long next;
    private long remaining;

    BlockIterator(Iterator<Tuple2<LongWritable, Text>> lines, RowReader reader, boolean atFileStart, long first, long count,
                  int dim, int labelDim, int blockRows, boolean weighted) {
      this.lines = lines;
      this.reader = reader;
      this.firstLine = atFileStart;
      this.next = first;
      this.remaining = count;
      this.dim = dim;
      this.labelDim = labelDim;
      this.blockRows = blockRows;
      this.weighted = weighted;
    }

    @Override
    public boolean hasNext() {
      return remaining > 0;
    }

    @Override
    public ExampleBlock next() {
      if (remaining <= 0) throw new NoSuchElementException();
      int rows = (int) Math.min(blockRows, remaining);
      double[] x = new double[rows * dim];
      double[] y = new double[rows * labelDim];
      double[] w = weighted ? new double[rows] : null;
      int b = 0;
      while (b < rows) {
        if (!lines.hasNext()) throw new IllegalStateException("the input changed since it was scanned: fewer examples in a split");
        ParsedLine outcome = reader.read(lines.next()._2(), firstLine, x, b * dim);
        firstLine = false;
        if (outcome == ParsedLine.ERROR) throw new IllegalStateException("the input changed since it was scanned: " + reader.problem());
        if (outcome == ParsedLine.SKIP) continue;
        System.arraycopy(reader.labels(), 0, y, b * labelDim, labelDim);
        if (w != null) w[b] = reader.weight();
        b++;
      }
      ExampleBlock block = new ExampleBlock(next, rows, dim, labelDim, x, y, w);
      next += rows;
      remaining -= rows;
      return block;
    }
  }
}
