package io.pullback.metric.representation;

import io.pullback.linalg.Blas;
import io.pullback.metric.FactorRows;

/**
 * Per parameter group g, {@code Σ R_gᵀ R_g} (row-major {@code n_g × n_g}, groups concatenated), with
 * one {@code dgemm} per chunk and group ({@code 2·m·n_g²} flops): the group's columns of the
 * column-major factor rows are contiguous.
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

  @Override
  void accumulate(double[] factors, int m, double[] acc) {
    if (m == 0) return;
    int off = 0;
    for (int g = 0; g + 1 < starts.length; g++) {
      int ng = starts[g + 1] - starts[g];
      Blas.get().dgemm("T", "N", ng, ng, m, 1.0, factors, starts[g] * m, m, factors, starts[g] * m, m, 1.0, acc, off, ng);
      off += ng * ng;
    }
  }
}
