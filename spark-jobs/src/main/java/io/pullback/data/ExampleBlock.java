package io.pullback.data;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A block of consecutive examples, packed for batched (matrix-matrix) model evaluation.
 *
 * <p>Storage: {@code features} is row-major {@code rows × dim} ({@code x_b} starts at
 * {@code b·dim}); {@code labels} is row-major {@code rows × labelDim}; {@code weights} is either
 * {@code null} (every example has weight 1) or has one entry per row. {@code firstIndex} is the
 * global index of the first example in the data set; it seeds per-example randomness
 * ({@code mc-fisher}) so results do not depend on how the data are partitioned.
 *
 * <p>Immutable by convention: nothing in Pullback writes into a block after it is built.
 */
public final class ExampleBlock implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long firstIndex;
  private final int rows;
  private final int dim;
  private final int labelDim;
  private final double[] features;
  private final double[] labels;
  private final double[] weights;

  public ExampleBlock(long firstIndex, int rows, int dim, int labelDim,
                      double[] features, double[] labels, double[] weights) {
    if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, got " + rows);
    if (dim < 0) throw new IllegalArgumentException("dim must be >= 0, got " + dim);
    if (labelDim < 0) throw new IllegalArgumentException("labelDim must be >= 0, got " + labelDim);
    if (features.length != rows * dim) {
      throw new IllegalArgumentException("features has " + features.length + " values, expected rows*dim = " + rows * dim);
    }
    if (labels.length != rows * labelDim) {
      throw new IllegalArgumentException("labels has " + labels.length + " values, expected rows*labelDim = " + rows * labelDim);
    }
    if (weights != null && weights.length != rows) {
      throw new IllegalArgumentException("weights has " + weights.length + " values, expected rows = " + rows);
    }
    this.firstIndex = firstIndex;
    this.rows = rows;
    this.dim = dim;
    this.labelDim = labelDim;
    this.features = features;
    this.labels = labels;
    this.weights = weights;
  }

  /** Convenience for unweighted, scalar-labelled data. */
  public static ExampleBlock of(long firstIndex, int dim, double[] features, double[] labels) {
    return new ExampleBlock(firstIndex, labels.length, dim, 1, features, labels, null);
  }

  public long firstIndex() { return firstIndex; }
  public int rows() { return rows; }
  public int dim() { return dim; }
  public int labelDim() { return labelDim; }
  /** Row-major rows × dim. Not to be modified. */
  public double[] features() { return features; }
  /** Row-major rows × labelDim. Not to be modified. */
  public double[] labels() { return labels; }
  /** One weight per row, or null for unit weights. Not to be modified. */
  public double[] weights() { return weights; }

  public double feature(int row, int d) { return features[row * dim + d]; }
  public double label(int row) { return labels[row * labelDim]; }
  public double weight(int row) { return weights == null ? 1.0 : weights[row]; }

  /** Rows {@code from..to-1} as a new block (copies; global indices preserved). */
  public ExampleBlock slice(int from, int to) {
    if (from < 0 || to > rows || from > to) {
      throw new IllegalArgumentException("slice [" + from + ", " + to + ") is outside the block's " + rows + " rows");
    }
    double[] x = Arrays.copyOfRange(features, from * dim, to * dim);
    double[] y = Arrays.copyOfRange(labels, from * labelDim, to * labelDim);
    double[] w = weights == null ? null : Arrays.copyOfRange(weights, from, to);
    return new ExampleBlock(firstIndex + from, to - from, dim, labelDim, x, y, w);
  }

  /** Sum of the example weights (the row count when unweighted). */
  public double weightSum() {
    if (weights == null) return rows;
    double s = 0;
    for (double w : weights) s += w;
    return s;
  }

  @Override
  public String toString() {
    return "ExampleBlock[first=" + firstIndex + ", rows=" + rows + ", dim=" + dim + ", labelDim=" + labelDim
        + ", weighted=" + (weights != null) + "]";
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ExampleBlock b)) return false;
    return firstIndex == b.firstIndex && rows == b.rows && dim == b.dim && labelDim == b.labelDim
        && Arrays.equals(features, b.features) && Arrays.equals(labels, b.labels) && Arrays.equals(weights, b.weights);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(firstIndex) * 31 + rows;
  }
}
