package io.pullback.distributed;

import io.pullback.PullbackException;
import io.pullback.data.CsvParser;
import io.pullback.data.ExampleBlock;
import io.pullback.data.InputFormat;
import io.pullback.data.LibsvmParser;
import io.pullback.data.ParsedLine;
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
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * LIBSVM and CSV read by Pullback's own streaming parsers ({@link LibsvmParser}, {@link CsvParser}),
 * one task per Hadoop input split (so compressed files keep working and splittable files are split
 * across tasks), bytes to doubles with no per-token {@code String} and no boxing.
 *
 * <p>One pass over the text ({@link #parse}): each split's lines are parsed, checked and written
 * straight into the {@link ExampleBlock}s that are cached, and the split ends with its summary (line
 * and example counts, the first bad line). Lines and examples are numbered from these counts in file
 * and offset order ({@link #check}, {@link SplitBlocks}): an error names its file and 1-based line
 * and every error kind is found in that same pass; there is no numbering job. LIBSVM's feature count
 * D, when {@code {numFeatures}} is not given, comes from one cheap pass before it
 * ({@link #featureCount}: the largest index, no number parsed); with it there is none.
 *
 * <p>CSV headers are read on the driver before any job (one line per file): duplicate names and
 * files whose headers differ (other names or another order) are refused naming file and line 1.
 */
final class TextLoader {
  private TextLoader() {}

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
      Job job = Job.getInstance(ZstdCodec.register(new Configuration(spark.sparkContext().hadoopConfiguration())));
      FileInputFormat.setInputPaths(job, input.files().toArray(new Path[0]));
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      return (JavaNewHadoopRDD<LongWritable, Text>) jsc.newAPIHadoopRDD(job.getConfiguration(), TextInputFormat.class,
          LongWritable.class, Text.class);
    } catch (IOException e) {
      throw PullbackException.data("cannot read '" + input.files().get(0) + "': " + e.getMessage());
    }
  }

  /**
   * LIBSVM's feature count D when {@code {numFeatures}} is not given: the largest index of any line,
   * found by the cheap pass ({@link LibsvmParser#maxIndexOf}: no number parsed, nothing checked).
   */
  static int featureCount(JavaNewHadoopRDD<LongWritable, Text> lines) {
    long max = lines.mapPartitions(it -> {
      long m = 0;
      while (it.hasNext()) {
        Text t = it.next()._2();
        m = Math.max(m, LibsvmParser.maxIndexOf(t.getBytes(), 0, t.getLength()));
      }
      return List.of(m).iterator();
    }).fold(0L, Math::max);
    if (max > DataLoader.MAX_ARRAY) {
      throw PullbackException.data("LIBSVM index " + max + " is larger than any feature count Pullback can hold ("
          + DataLoader.MAX_ARRAY + ")");
    }
    return (int) max;
  }

  /**
   * The one pass: each split's lines parsed, checked and written straight into blocks of at most
   * {@code blockRows} (numbered from 0 within the split), followed by the split's {@link SplitBlocks.Summary}.
   * A split stops at its first bad line; nothing is thrown in the task.
   */
  static JavaRDD<SplitBlocks.Chunk> parse(JavaNewHadoopRDD<LongWritable, Text> lines, Layout layout, int dim, int blockRows) {
    return lines.mapPartitionsWithInputSplit((split, it) ->
        new ChunkIterator(it, (FileSplit) split, layout, dim, blockRows), true);
  }

  /** What the pass found: the examples, the largest |feature| and each partition's first global index. */
  record Parsed(long examples, double maxAbs, long[] first) {}

  /**
   * Reads the summaries in file and offset order: throws the first bad line (its 1-based line in its
   * file, from the line counts of the splits before it) as a data error, else numbers the examples.
   */
  static Parsed check(List<SplitBlocks.Summary> summaries, Layout layout, String source, int partitions) {
    List<SplitBlocks.Summary> scans = new ArrayList<>(summaries);
    scans.sort(Comparator.comparingInt(SplitBlocks.Summary::file).thenComparingLong(SplitBlocks.Summary::start));
    long examples = 0;
    double maxAbs = 0;
    long linesBefore = 0;
    for (int k = 0; k < scans.size(); k++) {
      SplitBlocks.Summary s = scans.get(k);
      if (k > 0 && scans.get(k - 1).file() != s.file()) linesBefore = 0;
      if (s.error() != null) {
        throw PullbackException.data("bad input in '" + layout.files().get(s.file()) + "', line " + (linesBefore + s.errorLine() + 1)
            + ": " + s.error());
      }
      linesBefore += s.lines();
      examples += s.examples();
      maxAbs = Math.max(maxAbs, s.maxAbs());
    }
    if (examples == 0) throw PullbackException.data("no examples in '" + source + "': the input is empty");
    return new Parsed(examples, maxAbs, SplitBlocks.firstIndices(partitions, scans));
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

  /** A split's lines parsed into blocks as they are filled, then its summary; stops at the first bad line. */
  private static final class ChunkIterator implements Iterator<SplitBlocks.Chunk> {
    private final Iterator<Tuple2<LongWritable, Text>> lines;
    private final RowReader reader;
    private final FileSplit split;
    private final int file;
    private final int dim;
    private final int labelDim;
    private final int blockRows;
    private final boolean weighted;
    private long line;
    private long examples;
    private long firstOfBlock;
    private double blockWeights;
    private final int initialRows;
    private boolean done;

    ChunkIterator(Iterator<Tuple2<LongWritable, Text>> lines, FileSplit split, Layout layout, int dim, int blockRows) {
      this.lines = lines;
      this.split = split;
      this.file = layout.fileIndex(split.getPath());
      this.reader = new RowReader(layout, dim);
      this.dim = dim;
      this.labelDim = layout.rule().labelDim();
      this.blockRows = blockRows;
      this.weighted = layout.weighted();
      this.initialRows = (int) Math.max(1, Math.min(blockRows, Math.min(256, (1 << 17) / Math.max(1, dim)))); // at most 256 rows or about 1 MiB, then doubled
    }

    @Override
    public boolean hasNext() {
      return !done;
    }

    @Override
    public SplitBlocks.Chunk next() {
      if (done) throw new NoSuchElementException();
      SplitBlocks.Builder block = new SplitBlocks.Builder(dim, labelDim, weighted, blockRows, initialRows);
      while (!block.full() && lines.hasNext()) {
        Text text = lines.next()._2();
        int offset = block.reserve(); // first: it may grow the array that features() returns
        ParsedLine outcome = reader.read(text, split.getStart() == 0 && line == 0, block.features(), offset);
        if (outcome == ParsedLine.ERROR) return finish(line, reader.problem());
        line++;
        if (outcome == ParsedLine.SKIP) continue;
        block.commit(reader.labels(), reader.weight());
        examples++;
      }
      if (block.rows() == 0) return finish(-1, null);
      ExampleBlock built = block.build(firstOfBlock);
      blockWeights += built.weightSum();
      firstOfBlock += block.rows();
      return new SplitBlocks.Chunk(built, null);
    }

    private SplitBlocks.Chunk finish(long errorLine, String error) {
      done = true;
      return new SplitBlocks.Chunk(null, new SplitBlocks.Summary(TaskContext.getPartitionId(), file, split.getStart(), line,
          examples, reader.maxIndex(), reader.maxAbs(), errorLine, error, null, blockWeights));
    }
  }
}
