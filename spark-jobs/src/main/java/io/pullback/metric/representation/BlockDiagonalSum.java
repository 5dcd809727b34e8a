package io.pullback.metric.representation;

import io.pullback.metric.aggregate.BlockSum;
import io.pullback.metric.aggregate.GramAccumulator;
import io.pullback.metric.FactorRows;

/**
 * Per parameter group g, {@code Σ R_gᵀ R_g} (row-major {@code n_g × n_g}, groups concatenated),
 * accumulated with one {@link GramAccumulator} per group ({@code m·n_g²} flops per chunk with
 * {@code dsyrk}): the group's columns of the column-major factor rows are contiguous.
 */
final class BlockDiagonalSum extends FactorRowSum {
  private static final long serialVersionUID = 1L;
  private final int[] starts;

  BlockDiagonalSum(FactorRows rows, double[] theta, int[] starts) {
    super(rows, theta);
    this.starts = starts.clone();
  }

  static long length(int[] starts) {
    long len = 0;
    for (int g = 0; g + 1 < starts.length; g++) {
      long m = starts[g + 1] - starts[g];
      len += m * m;
    }
    return len;
  }

  @Override
  public int length() {
    return Math.toIntExact(length(starts));
  }

  /** Offset of group g's block in the summed vector. */
  static int offset(int[] starts, int g) {
    int off = 0;
    for (int i = 0; i < g; i++) off += (starts[i + 1] - starts[i]) * (starts[i + 1] - starts[i]);
    return off;
  }

  /**
   * One {@link GramAccumulator} per group over the group's columns (contiguous in the column-major
   * factor rows, copied out so the accumulator sees a dense {@code m × n_g} block).
   */
  @Override
  public Adder newAdder() {
    int groups = starts.length - 1;
    GramAccumulator[] grams = new GramAccumulator[groups];
    for (int g = 0; g < groups; g++) grams[g] = new GramAccumulator(starts[g + 1] - starts[g]);
    return new ChunkedAdder(this) {
      private double[] slice = new double[0];

      @Override
      void chunk(double[] factors, int m, double[] acc) {
        for (int g = 0; g < groups; g++) {
          int ng = starts[g + 1] - starts[g];
          if (slice.length < m * ng) slice = new double[m * ng];
          System.arraycopy(factors, starts[g] * m, slice, 0, m * ng);
          grams[g].add(slice, m, 0, 0);
        }
      }

      @Override
      public void finish(double[] acc) {
        int off = 0;
        for (GramAccumulator gram : grams) {
          BlockSum.addGram(gram, acc, off);
          off += gram.n() * gram.n();
        }
      }
    };
  }
}
