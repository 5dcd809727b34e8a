package io.pullback.distributed;

import java.io.Serializable;
import org.apache.spark.Partitioner;

/**
 * The one range partitioner: a key with ordinal {@code o ∈ [first, first + count)} goes to partition
 * {@code ⌊(o − first)·P/count⌋}. Every partition receives a contiguous run of ordinals, so with
 * {@code repartitionAndSortWithinPartitions} the records come out in ordinal order across partitions
 * and the reduction order is fixed by the keys and P alone (deterministic sums).
 *
 * <p>Uses: examples by global index ({@link #ContiguousRangePartitioner(int, long)}, the identity
 * ordinal), a band's metric tiles by their column-major upper ordinal, product blocks by output block.
 * The ordinal of a key is a {@link KeyOrdinal}; two partitioners are equal when P, the range and the
 * ordinal's class agree (Spark then skips a shuffle between them). Cost O(1) per key.
 */
public final class ContiguousRangePartitioner extends Partitioner {
  private static final long serialVersionUID = 2L;

  /** The ordinal of a key ({@code Long} keys in all uses); serialisable, stateless. */
  @FunctionalInterface
  public interface KeyOrdinal extends Serializable {
    long of(Object key);
  }

  /** The key itself (a {@code Long}) is the ordinal. */
  public static final KeyOrdinal IDENTITY = key -> (Long) key;

  private final int partitions;
  private final long first;
  private final long count;
  private final KeyOrdinal ordinal;

  /** Global example index {@code i ∈ [0, total)} to partition {@code ⌊i·P/total⌋}. */
  public ContiguousRangePartitioner(int partitions, long total) {
    this(partitions, 0, total, IDENTITY);
  }

  /** Keys whose ordinals lie in {@code [first, first + count)} to {@code partitions} contiguous ranges. */
  public ContiguousRangePartitioner(int partitions, long first, long count, KeyOrdinal ordinal) {
    if (partitions <= 0) throw new IllegalArgumentException("partitions must be > 0, got " + partitions);
    if (count <= 0) throw new IllegalArgumentException("count must be > 0, got " + count);
    this.partitions = partitions;
    this.first = first;
    this.count = count;
    this.ordinal = ordinal;
  }

  @Override
  public int numPartitions() {
    return partitions;
  }

  @Override
  public int getPartition(Object key) {
    long i = ordinal.of(key) - first;
    long part;
    try {
      part = Math.multiplyExact(i, (long) partitions) / count;
    } catch (ArithmeticException overflow) {
      part = (long) ((double) i * partitions / count); // still monotone in i, so still contiguous
    }
    return (int) Math.max(0, Math.min(partitions - 1, part));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ContiguousRangePartitioner p && p.partitions == partitions && p.first == first && p.count == count
        && p.ordinal.getClass() == ordinal.getClass();
  }

  @Override
  public int hashCode() {
    return (partitions * 31 + Long.hashCode(first)) * 31 + Long.hashCode(count);
  }
}
