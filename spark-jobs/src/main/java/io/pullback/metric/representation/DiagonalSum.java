package io.pullback.metric.representation;

import io.pullback.metric.FactorRows;

/** {@code Σ R∘R} column by column (length N): the unnormalised diagonal of G. {@code M·r·N} flops. */
final class DiagonalSum extends FactorRowSum {
  private static final long serialVersionUID = 1L;

  DiagonalSum(FactorRows rows, double[] theta) {
    super(rows, theta);
  }

  @Override
  public int length() {
    return rows.model().numParams();
  }

  @Override
  public Adder newAdder() {
    return new ChunkedAdder(this) {
      @Override
      void chunk(double[] factors, int m, double[] acc) {
        for (int j = 0; j < acc.length; j++) {
          int col = j * m;
          double s = 0;
          for (int t = 0; t < m; t++) s += factors[col + t] * factors[col + t];
          acc[j] += s;
        }
      }
    };
  }
}
