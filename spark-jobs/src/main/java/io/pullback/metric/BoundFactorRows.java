package io.pullback.metric;

import io.pullback.data.ExampleBlock;

/**
 * {@link FactorRows} at fixed parameters θ, as the estimators consume them. Broadcast once per
 * executor; each task takes a {@link #forTask()} copy, whose work buffers are created on first use.
 */
public final class BoundFactorRows implements FactorSource {
  private static final long serialVersionUID = 1L;

  private final FactorRows rows;
  private final double[] theta;
  private transient FactorRows.Workspace workspace;

  /**
   * @param rows the metric kind's factor rows for a model
   * @param theta the parameters (not modified; not copied)
   */
  public BoundFactorRows(FactorRows rows, double[] theta) {
    if (theta.length != rows.model().numParams()) {
      throw new IllegalArgumentException("theta has " + theta.length + " values, the model has N = " + rows.model().numParams());
    }
    this.rows = rows;
    this.theta = theta;
  }

  /** A copy with its own work buffers (θ and the factor rows are shared, not copied). */
  @Override
  public FactorSource forTask() {
    return new BoundFactorRows(rows, theta);
  }

  @Override
  public int numParams() {
    return rows.model().numParams();
  }

  @Override
  public int rowsPerExample() {
    return rows.rowsPerExample();
  }

  @Override
  public void compute(ExampleBlock block, double[] factors) {
    rows.compute(theta, block, workspace(block), factors);
  }

  @Override
  public boolean prefersRowMajor() {
    return rows.prefersRowMajor();
  }

  @Override
  public void computeRowMajor(ExampleBlock block, double[] factors) {
    rows.computeRowMajor(theta, block, workspace(block), factors);
  }

  /** This source's work buffers, made on first use (sized for the first block; they grow as needed). */
  private FactorRows.Workspace workspace(ExampleBlock block) {
    if (workspace == null) workspace = rows.newWorkspace(block.rows());
    return workspace;
  }
}
