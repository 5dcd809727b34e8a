package io.pullback.distributed;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import java.util.function.BinaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * A tree reduction whose floating-point result depends only on the data and the partitioning.
 *
 * <p>Spark's {@code treeAggregate} and {@code reduce} merge partial results in the order tasks
 * finish (and {@code foldByKey} in the order shuffle blocks arrive), so a floating-point sum can
 * change in its last bits from run to run or after a task retry. Here every partial result carries
 * its partition index; each level groups {@code fanIn} consecutive indices under one key, sorts the
 * group by index and merges left to right; the last level is collected and merged on the driver in
 * index order. The tree shape is a function of the partition count and {@code fanIn} only.
 *
 * <p>Cost: {@code depth − 1} shuffles of the partial results (each level moves every partial once),
 * then {@code ≤ fanIn} partials to the driver. Executor memory per reduce task: {@code fanIn}
 * partials.
 */
public final class DeterministicTreeReduce {
  private static final Logger LOG = LoggerFactory.getLogger(DeterministicTreeReduce.class);

  private DeterministicTreeReduce() {}

  /** A serializable merge of two partial results (may modify and return the left one). */
  @FunctionalInterface
  public interface Merge<T> extends BinaryOperator<T>, Serializable {}

  /**
   * Chooses the fan-in: the smallest tree depth {@code d ≥ 1} whose fan-in {@code ⌈P^{1/d}⌉} keeps
   * {@code fanIn × partialBytes} within {@code budgetBytes} (what one task or the driver holds at once),
   * never below 2.
   */
  public static int chooseFanIn(int partitions, long partialBytes, long budgetBytes) {
    if (partitions <= 1) return 2;
    for (int depth = 1; depth <= 16; depth++) {
      int fanIn = (int) Math.ceil(Math.pow(partitions, 1.0 / depth) - 1e-9);
      fanIn = Math.max(2, fanIn);
      if ((long) fanIn * partialBytes <= budgetBytes || fanIn == 2) return fanIn;
    }
    return 2;
  }

  /**
   * Reduces {@code (partitionIndex, partial)} pairs in a fixed order.
   *
   * @param partials one value per partition, keyed by its partition index
   * @param merge merges the right value into the left (may modify and return the left)
   * @param fanIn how many partials are merged per tree node (≥ 2)
   * @return the merged value, or null when there are no partials
   */
  public static <T extends Serializable> T reduce(JavaPairRDD<Integer, T> partials, Merge<T> merge, int fanIn) {
    if (fanIn < 2) throw new IllegalArgumentException("fanIn must be >= 2, got " + fanIn);
    JavaPairRDD<Integer, T> level = partials;
    int count = partials.getNumPartitions();
    int depth = 1;
    while (count > fanIn) {
      int next = (count + fanIn - 1) / fanIn;
      final int f = fanIn;
      level = level
          .mapToPair(t -> new Tuple2<>(t._1() / f, t))
          .groupByKey(new HashPartitioner(next))
          .mapValues(group -> mergeInOrder(group, merge));
      count = next;
      depth++;
    }
    List<Tuple2<Integer, T>> last = new ArrayList<>(level.collect());
    LOG.debug("Deterministic tree reduce: depth {}, fan-in {}, {} partials at the driver", depth, fanIn, last.size());
    return mergeInOrder(last, merge);
  }

  private static <T> T mergeInOrder(Iterable<Tuple2<Integer, T>> group, Merge<T> merge) {
    List<Tuple2<Integer, T>> sorted = new ArrayList<>();
    group.forEach(sorted::add);
    sorted.sort(Comparator.comparing(Tuple2::_1));
    T acc = null;
    for (Tuple2<Integer, T> t : sorted) {
      acc = acc == null ? t._2() : merge.apply(acc, t._2());
    }
    return acc;
  }
}
