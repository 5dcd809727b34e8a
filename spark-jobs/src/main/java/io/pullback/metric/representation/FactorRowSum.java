package io.pullback.metric.representation;

import io.pullback.data.ExampleBlock;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.BlockSum;

/**
 * A {@link BlockSum} over the factor rows of each block: the rows are computed in chunks of at most
 * {@code CHUNK_VALUES / (r·N)} examples (so {@code B·r·N} never exceeds the chunk), and each chunk
 * (column-major {@code rows × N}) is handed to the subclass's {@link ChunkedAdder#chunk}.
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

  /** Computes each block's factor rows in chunks and hands every chunk to {@link #chunk}. */
  abstract static class ChunkedAdder implements Adder {
    private final FactorRowSum sum;
    private final int perChunk;
    private final FactorRows.Workspace ws;
    private double[] factors = new double[0];

    ChunkedAdder(FactorRowSum sum) {
      this.sum = sum;
      int n = sum.rows.model().numParams();
      int r = sum.rows.rowsPerExample();
      this.perChunk = Math.max(1, CHUNK_VALUES / Math.max(1, r * n));
      this.ws = sum.rows.newWorkspace(0);
    }

    /** Handles one chunk of factor rows, column-major {@code m × N}. */
    abstract void chunk(double[] factors, int m, double[] acc);

    @Override
    public void add(ExampleBlock block, double[] acc) {
      int n = sum.rows.model().numParams();
      int r = sum.rows.rowsPerExample();
      for (int from = 0; from < block.rows(); from += perChunk) {
        ExampleBlock part = block.rows() <= perChunk ? block : block.slice(from, Math.min(block.rows(), from + perChunk));
        int m = part.rows() * r;
        if (factors.length < (long) m * n) factors = new double[Math.multiplyExact(m, n)];
        sum.rows.compute(sum.theta, part, ws, factors);
        chunk(factors, m, acc);
      }
    }
  }
}
