package io.pullback.model;

import java.io.Serializable;

/**
 * Which labels a model accepts, and how input labels are normalised before use.
 *
 * <ul>
 *   <li>{@code BERNOULLI_LOGIT}: K = 1: 0/1 or −1/+1 (−1 is read as 0); K ≥ 2: K values in [0, 1];</li>
 *   <li>{@code CATEGORICAL_SOFTMAX}: integers 0..K−1;</li>
 *   <li>{@code GAUSSIAN}: K finite reals.</li>
 * </ul>
 */
public final class LabelRule implements Serializable {
  private static final long serialVersionUID = 1L;

  private final OutputDistribution distribution;
  private final int outputs;
  private final String modelName;

  public LabelRule(OutputDistribution distribution, int outputs, String modelName) {
    this.distribution = distribution;
    this.outputs = outputs;
    this.modelName = modelName;
  }

  /** Number of label values each example must have. */
  public int labelDim() {
    return distribution.labelDim(outputs);
  }

  /** Maps −1 to 0 for binary labels; returns the array itself (modified) for convenience. */
  public double[] normalise(double[] labels) {
    if (distribution == OutputDistribution.BERNOULLI_LOGIT && labels != null && labels.length == 1 && labels[0] == -1.0) {
      labels[0] = 0.0;
    }
    return labels;
  }

  /** Null when the (normalised) labels are valid, else what is wrong and what would be valid. */
  public String check(double[] labels) {
    if (labels == null) return "label is missing";
    String problem = distribution.checkLabel(labels, outputs);
    return problem == null ? null : problem + " (" + modelName + " model)";
  }
}
