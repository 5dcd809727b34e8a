package io.pullback.distributed;

import org.apache.spark.Partitioner;

/**
 * Sends global example index {@code i ∈ [0, M)} to partition {@code ⌊i·P/M⌋}: every partition holds a
 * contiguous run of examples, so the reduction order (by partition, then by index) is fixed by the data
 * and the partition count alone.
 */
public final class ContiguousRangePartitioner extends Partitioner {
  private static final long serialVersionUID = 1L;

  private final int partitions;
  private final long total;

  public ContiguousRangePartitioner(int partitions, long total) {
    if (partitions <= 0) throw new IllegalArgumentException("partitions must be > 0, got " + partitions);
    if (total <= 0) throw new IllegalArgumentException("total must be > 0, got " + total);
    this.partitions = partitions;
    this.total = total;
  }

  @Override
  public int numPartitions() {
    return partitions;
  }

  @Override
  public int getPartition(Object key) {
    long i = (Long) key;
    long part;
    try {
      part = Math.multiplyExact(i, (long) partitions) / total;
    } catch (ArithmeticException overflow) {
      part = (long) ((double) i * partitions / total); // still monotone in i, so still contiguous
    }
    return (int) Math.max(0, Math.min(partitions - 1, part));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ContiguousRangePartitioner p && p.partitions == partitions && p.total == total;
  }

  @Override
  public int hashCode() {
    return partitions * 31 + Long.hashCode(total);
  }
}
