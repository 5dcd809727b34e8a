package io.pullback.distributed;

import io.pullback.data.ExampleBlock;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/**
 * Examples parsed in one pass straight into blocks, one input split (or Parquet file partition) per
 * task, then given their global indices without a numbering job.
 *
 * <p>A task cannot know how many examples the splits before it hold, so it numbers its blocks from 0
 * and ends its output with a {@link Summary} (counts, the largest |feature|, its first bad line). The
 * driver caches these {@link Chunk}s, reads the summaries (the action that materialises the cache),
 * and from the counts in split order derives each partition's first global index; {@link #indexed}
 * is then a view of the cached blocks shifted by that offset (no copy: the shifted blocks share the
 * cached arrays). With {@code {partitions}} the indexed blocks are cut at the range boundaries of
 * {@link ContiguousRangePartitioner} and shuffled as whole slices, never as rows ({@link #rangePartitioned}),
 * unless the tasks already hold those ranges ({@link #holdsRanges}: e.g. Parquet files written by
 * Spark with as many rows each as a range), when the view is used as it is. Each summary also
 * carries its task's weight total, so no second job totals the weights of an unshuffled view.
 *
 * <p>Cost: one pass over the input; the summaries are a few numbers per task; the shuffle (only with
 * {@code {partitions}} and unaligned tasks) moves {@code 8·M·(D + labels + 1)} bytes as block slices.
 */
final class SplitBlocks {
  private SplitBlocks() {}

  /**
   * What one task read: its position (partition, file, start offset), its line count and example
   * count, the largest |feature|, and its first bad line (0-based within the task, -1 if none) with
   * what is wrong ({@code error}, null if none). Parquet tasks read several file segments: they list
   * them in {@code segments} (file index, start offset, rows: three numbers each, in read order), and
   * for a bad row {@code errorLine} is the index of its segment and {@code lines} its row in it.
   * {@code weightSum} is the sum, from 0 in block order, of its blocks' {@link ExampleBlock#weightSum()}:
   * the partial the weight total of {@link #weightSum(List)} adds up.
   */
  record Summary(int partition, int file, long start, long lines, long examples, long maxIndex, double maxAbs,
                 long errorLine, String error, long[] segments, double weightSum) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** One element of a task's output: a block (numbered from 0 in the task), or, last, the summary. */
  record Chunk(ExampleBlock block, Summary summary) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** The summaries of the tasks, in partition order, from the cached chunks. */
  static List<Summary> summaries(JavaRDD<Chunk> chunks) {
    return chunks.mapPartitions(it -> {
      Summary s = null;
      while (it.hasNext()) {
        Chunk c = it.next();
        if (c.summary() != null) s = c.summary();
      }
      return s == null ? List.<Summary>of().iterator() : List.of(s).iterator();
    }).collect();
  }

  /** First global index of each partition's examples, given the example count of each partition in input order. */
  static long[] firstIndices(int partitions, List<Summary> inInputOrder) {
    long[] first = new long[partitions];
    long next = 0;
    for (Summary s : inInputOrder) {
      first[s.partition()] = next;
      next += s.examples();
    }
    return first;
  }

  /** The example count of each partition, by partition index. */
  static long[] counts(int partitions, List<Summary> summaries) {
    long[] count = new long[partitions];
    for (Summary s : summaries) count[s.partition()] += s.examples();
    return count;
  }

  /**
   * Whether partition k of the tasks already holds exactly range k of {@link ContiguousRangePartitioner}
   * for {@code p} ranges of {@code m} examples, for every k (so range-partitioning would move nothing
   * and repack the same blocks: each task's blocks start at its range's start and are full but the last).
   */
  static boolean holdsRanges(long[] first, long[] count, int p, long m) {
    if (first.length != p) return false;
    ContiguousRangePartitioner ranges = new ContiguousRangePartitioner(p, m);
    for (int k = 0; k < p; k++) {
      if (count[k] <= 0 || ranges.getPartition(first[k]) != k || ranges.getPartition(first[k] + count[k] - 1) != k) return false;
      if (first[k] > 0 && ranges.getPartition(first[k] - 1) == k) return false;
    }
    return true;
  }

  /**
   * Σ w over the tasks' blocks, their partials added in partition order from 0: the same sum, bit for
   * bit, as totalling the blocks of each partition in a job and adding the partials on the driver.
   */
  static double weightSum(List<Summary> summaries) {
    List<Summary> byPartition = new ArrayList<>(summaries);
    byPartition.sort(java.util.Comparator.comparingInt(Summary::partition));
    double total = 0;
    for (Summary s : byPartition) total += s.weightSum();
    return total;
  }

  /** The cached blocks with global indices (partition p's blocks shifted by {@code first[p]}); the summaries dropped. */
  static JavaRDD<ExampleBlock> indexed(JavaRDD<Chunk> chunks, long[] first) {
    return chunks.mapPartitionsWithIndex((p, it) -> {
      long shift = first[p];
      return new Iterator<ExampleBlock>() {
        ExampleBlock next = advance();

        private ExampleBlock advance() {
          while (it.hasNext()) {
            ExampleBlock b = it.next().block();
            if (b != null) {
              return new ExampleBlock(b.firstIndex() + shift, b.rows(), b.dim(), b.labelDim(), b.features(), b.labels(), b.weights());
            }
          }
          return null;
        }

        @Override public boolean hasNext() { return next != null; }
        @Override public ExampleBlock next() {
          if (next == null) throw new NoSuchElementException();
          ExampleBlock b = next;
          next = advance();
          return b;
        }
      };
    }, true);
  }

  /**
   * Indexed blocks range-partitioned into {@code p} partitions of contiguous examples (those of
   * {@link ContiguousRangePartitioner}), then packed into blocks of {@code packRows}: the same blocks,
   * bit for bit, as packing the index-ordered rows of each range.
   */
  static JavaRDD<ExampleBlock> rangePartitioned(JavaRDD<ExampleBlock> blocks, int p, long m, int packRows) {
    ContiguousRangePartitioner ranges = new ContiguousRangePartitioner(p, m);
    JavaPairRDD<Long, ExampleBlock> slices = blocks.flatMapToPair(b -> {
      List<Tuple2<Long, ExampleBlock>> out = new ArrayList<>(2);
      int from = 0;
      while (from < b.rows()) {
        int part = ranges.getPartition(b.firstIndex() + from);
        int to = from + 1;
        while (to < b.rows() && ranges.getPartition(b.firstIndex() + to) == part) to++;
        out.add(new Tuple2<>(b.firstIndex() + from, from == 0 && to == b.rows() ? b : b.slice(from, to)));
        from = to;
      }
      return out.iterator();
    });
    return slices.repartitionAndSortWithinPartitions(ranges).mapPartitions(it -> repack(it, packRows));
  }

  /** Index-ordered slices of one range packed into blocks of {@code packRows} rows (the last may be shorter). */
  static Iterator<ExampleBlock> repack(Iterator<Tuple2<Long, ExampleBlock>> slices, int packRows) {
    return new Iterator<>() {
      ExampleBlock current;
      int row;

      @Override public boolean hasNext() {
        while ((current == null || row == current.rows()) && slices.hasNext()) {
          current = slices.next()._2();
          row = 0;
        }
        return current != null && row < current.rows();
      }

      @Override public ExampleBlock next() {
        if (!hasNext()) throw new NoSuchElementException();
        Builder out = new Builder(current.dim(), current.labelDim(), current.weights() != null, packRows, packRows);
        long first = current.firstIndex() + row;
        while (out.rows() < packRows && hasNext()) {
          int take = Math.min(packRows - out.rows(), current.rows() - row);
          out.copyRows(current, row, take);
          row += take;
        }
        return out.build(first);
      }
    };
  }

  /**
   * A block being filled row by row, its arrays grown by doubling up to {@code capacity} rows (so a
   * split of ten rows never allocates a full block). Rows are written in place by the parsers.
   */
  static final class Builder {
    private final int dim;
    private final int labelDim;
    private final int capacity;
    private double[] x;
    private double[] y;
    private double[] w;
    private int allocated;
    private int rows;

    Builder(int dim, int labelDim, boolean weighted, int capacity, int initialRows) {
      this.dim = dim;
      this.labelDim = labelDim;
      this.capacity = capacity;
      int n = Math.max(1, Math.min(capacity, initialRows));
      allocated = n;
      x = new double[n * dim];
      y = new double[n * labelDim];
      w = weighted ? new double[n] : null;
    }

    int rows() {
      return rows;
    }

    boolean full() {
      return rows == capacity;
    }

    /** Makes room for one more row and returns the offset of its features in {@link #features()}. */
    int reserve() {
      if (rows == allocated) {
        int grown = (int) Math.min(capacity, 2L * allocated);
        allocated = grown;
        x = Arrays.copyOf(x, grown * dim);
        y = Arrays.copyOf(y, grown * labelDim);
        if (w != null) w = Arrays.copyOf(w, grown);
      }
      return rows * dim;
    }

    double[] features() {
      return x;
    }

    /** Completes the row reserved last with its labels and weight. */
    void commit(double[] labels, double weight) {
      System.arraycopy(labels, 0, y, rows * labelDim, labelDim);
      if (w != null) w[rows] = weight;
      rows++;
    }

    void copyRows(ExampleBlock from, int first, int count) {
      System.arraycopy(from.features(), first * dim, x, rows * dim, count * dim);
      System.arraycopy(from.labels(), first * labelDim, y, rows * labelDim, count * labelDim);
      if (w != null) System.arraycopy(from.weights(), first, w, rows, count);
      rows += count;
    }

    /** The block of the rows so far, first example {@code firstIndex}; the arrays trimmed to size. */
    ExampleBlock build(long firstIndex) {
      double[] bx = x.length == rows * dim ? x : Arrays.copyOf(x, rows * dim);
      double[] by = y.length == rows * labelDim ? y : Arrays.copyOf(y, rows * labelDim);
      double[] bw = w == null || w.length == rows ? w : Arrays.copyOf(w, rows);
      return new ExampleBlock(firstIndex, rows, dim, labelDim, bx, by, bw);
    }
  }
}
