package io.pullback.metric.representation;

import io.pullback.data.ExampleBlock;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.BlockSum;

/**
 * A {@link BlockSum} over the factor rows of each block: the rows are computed in chunks of at most
 * {@code chunkValues / (r·N)} examples (so {@code B·r·N} never exceeds the chunk), and each chunk
 * (column-major {@code rows × N}) is handed to {@link #accumulate}.
 */
abstract class FactorRowSum implements BlockSum {
  private static final long serialVersionUID = 1L;
  /** Factor values per chunk: 4M doubles = 32 MB. */
  static final int CHUNK_VALUES = 1 << 22;

  final FactorRows rows;
  final double[] theta;

  FactorRowSum(FactorRows rows, double[] theta) {
    this.rows = rows;
    this.theta = theta;
  }

  /** {@code acc += f(R)} for one chunk of factor rows R, column-major {@code m × N}. */
  abstract void accumulate(double[] factors, int m, double[] acc);

  @Override
  public Adder newAdder() {
    int n = rows.model().numParams();
    int r = rows.rowsPerExample();
    int perChunk = Math.max(1, CHUNK_VALUES / Math.max(1, r * n));
    FactorRows.Workspace ws = rows.newWorkspace(0);
    return new Adder() {
      private double[] factors = new double[0];

      @Override
      public void add(ExampleBlock block, double[] acc) {
        for (int from = 0; from < block.rows(); from += perChunk) {
          ExampleBlock chunk = block.rows() <= perChunk ? block : block.slice(from, Math.min(block.rows(), from + perChunk));
          int m = chunk.rows() * r;
          if (factors.length < (long) m * n) factors = new double[Math.multiplyExact(m, n)];
          rows.compute(theta, chunk, ws, factors);
          accumulate(factors, m, acc);
        }
      }
    };
  }
}
