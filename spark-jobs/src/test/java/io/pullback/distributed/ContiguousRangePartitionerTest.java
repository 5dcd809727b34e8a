package io.pullback.distributed;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The one range partitioner: for every ordinal range and partition count, partitions are
 * non-decreasing in the ordinal (contiguous runs), every partition is used when the range holds at
 * least P ordinals, and the assignment equals the closed form {@code ⌊(o − first)·P/count⌋}
 * (computed here in exact {@code BigInteger} arithmetic, so the overflow path is checked too).
 */
class ContiguousRangePartitionerTest {

  @ParameterizedTest
  @CsvSource({"1, 0, 1", "3, 0, 10", "7, 5, 100", "16, 1000, 16", "5, 0, 4611686018427387904"})
  void partitionsAreContiguousAndMatchTheClosedForm(int p, long first, long count) {
    // key = ordinal << 8 | noise: the low bits must not matter
    ContiguousRangePartitioner.KeyOrdinal highBits = key -> ((Long) key) >>> 8;
    ContiguousRangePartitioner part = new ContiguousRangePartitioner(p, first, count, highBits);
    SplittableRandom rng = new SplittableRandom(p * 31L + count);
    int last = -1;
    boolean[] used = new boolean[p];
    long step = Math.max(1, count / 2000);
    for (long o = first; o < first + Math.min(count, 2000 * step); o += step) {
      long key = (o << 8) | rng.nextInt(256);
      if (o >= (1L << 55)) key = o; // keep the shift exact: fall back to the identity case below
      int got = o >= (1L << 55) ? new ContiguousRangePartitioner(p, first, count, ContiguousRangePartitioner.IDENTITY).getPartition(key)
          : part.getPartition(key);
      long expected = java.math.BigInteger.valueOf(o - first).multiply(java.math.BigInteger.valueOf(p))
          .divide(java.math.BigInteger.valueOf(count)).longValueExact();
      assertThat(got).as("ordinal %d", o).isEqualTo((int) Math.min(p - 1, expected));
      assertThat(got).isGreaterThanOrEqualTo(last);
      last = got;
      used[got] = true;
    }
    if (count >= p && step == 1) for (boolean u : used) assertThat(u).isTrue();
  }

  @ParameterizedTest
  @CsvSource({"4, 100"})
  void equalityFollowsRangeCountAndOrdinal(int p, long total) {
    ContiguousRangePartitioner a = new ContiguousRangePartitioner(p, total);
    assertThat(a).isEqualTo(new ContiguousRangePartitioner(p, 0, total, ContiguousRangePartitioner.IDENTITY));
    assertThat(a.hashCode()).isEqualTo(new ContiguousRangePartitioner(p, total).hashCode());
    assertThat(a).isNotEqualTo(new ContiguousRangePartitioner(p + 1, total));
    assertThat(a).isNotEqualTo(new ContiguousRangePartitioner(p, 1, total, ContiguousRangePartitioner.IDENTITY));
    assertThat(a).isNotEqualTo(new ContiguousRangePartitioner(p, 0, total, key -> ((Long) key) >>> 1));
  }
}
