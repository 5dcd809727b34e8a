package io.pullback.metric;

import io.pullback.data.ExampleBlock;
import java.io.Serializable;

/**
 * Produces the factor rows {@code R(x)} of a metric for a block of examples, at fixed parameters.
 * A source reaches the executors once, by broadcast, and is then shared by the tasks of an
 * executor: each task works on its own {@link #forTask()} copy, so implementations may keep scratch
 * buffers there.
 */
public interface FactorSource extends Serializable {

  /**
   * This source for one task: a copy that shares the immutable parts (model, θ) and has buffers of
   * its own. Default: this (for sources without per-call state).
   */
  default FactorSource forTask() {
    return this;
  }

  /** N, the number of parameters (columns of every factor row). */
  int numParams();

  /** r, the factor rows per example. */
  int rowsPerExample();

  /**
   * Writes the factor rows of {@code block}, each example's rows scaled by {@code √w_x}, column-major
   * {@code (B·r) × N} into {@code factors} (row index {@code b·r + i}).
   *
   * @param block examples (not modified)
   * @param factors (modified) length at least {@code B·r·N}
   */
  void compute(ExampleBlock block, double[] factors);

  /**
   * True when {@link #computeRowMajor} is cheaper than {@link #compute} for this source (the
   * estimators then use the row-major Gram kernel). Default false.
   */
  default boolean prefersRowMajor() {
    return false;
  }

  /**
   * As {@link #compute}, but row-major {@code (B·r) × N}: row {@code t}'s N values at
   * {@code factors[t·N …]}. The default computes the column-major rows and transposes them.
   *
   * @param factors (modified) length at least {@code B·r·N}
   */
  default void computeRowMajor(ExampleBlock block, double[] factors) {
    int rows = block.rows() * rowsPerExample();
    double[] columnMajor = new double[Math.multiplyExact(rows, numParams())];
    compute(block, columnMajor);
    io.pullback.linalg.Transpose.columnToRowMajor(columnMajor, rows, numParams(), factors);
  }
}
