package io.pullback.model;

/**
 * The predictive distribution a model's outputs parametrise. It fixes the loss, the label range
 * and the {@code fisher} / {@code empirical-fisher} / {@code mc-fisher} factor rows.
 */
public enum OutputDistribution {
  /** One output, the logit z; {@code p(y=1|x) = σ(z)}; labels 0 or 1. */
  BERNOULLI_LOGIT,
  /** K outputs, the logits; {@code p = softmax(z)}; labels 0..K-1. */
  CATEGORICAL_SOFTMAX,
  /** K outputs, the mean; {@code y ~ N(f(x), σ²I)} with σ = 1; labels are K real numbers. */
  GAUSSIAN;

  /**
   * Checks one scalar label for a model with {@code k} outputs.
   *
   * <ul>
   *   <li>{@link #BERNOULLI_LOGIT}: 0 or 1 (a reader maps a LIBSVM {@code -1} to 0 at load time;
   *       this check does not);</li>
   *   <li>{@link #CATEGORICAL_SOFTMAX}: an integer in {@code 0..k-1};</li>
   *   <li>{@link #GAUSSIAN}: a finite number, and only when {@code k == 1} (a K-output Gaussian
   *       model needs K label values per example: use {@link #checkLabel(double[], int)}).</li>
   * </ul>
   *
   * @return null when valid, else a message saying what was found and what is valid
   */
  public String checkLabel(double label, int k) {
    switch (this) {
      case BERNOULLI_LOGIT:
        return (label == 0.0 || label == 1.0) ? null
            : "label " + label + " is not valid for a Bernoulli (logistic) model; valid labels: 0 or 1 (input files may use -1/+1)";
      case CATEGORICAL_SOFTMAX:
        return (label >= 0 && label <= k - 1 && label == Math.rint(label)) ? null
            : "label " + label + " is not valid for a categorical model with K=" + k
                + " classes; valid labels: integers 0.." + (k - 1);
      case GAUSSIAN:
        if (k != 1) {
          return "a Gaussian model with K=" + k + " outputs needs " + k
              + " label values per example, got a single scalar label";
        }
        return Double.isFinite(label) ? null
            : "label " + label + " is not valid for a Gaussian model; valid labels: finite real numbers";
      default:
        throw new AssertionError(this);
    }
  }

  /**
   * Checks one example's label row (its {@code labelDim} values) for a model with {@code k} outputs.
   * Bernoulli and categorical models read one value (the row must hold exactly one); a Gaussian
   * model reads {@code k} finite values (the row must hold exactly {@code k}).
   *
   * @return null when valid, else a message saying what was found and what is valid
   */
  public String checkLabel(double[] labelRow, int k) {
    if (this == GAUSSIAN) {
      if (labelRow.length != k) {
        return "a Gaussian model with K=" + k + " outputs needs " + k + " label values per example, got "
            + labelRow.length;
      }
      for (int i = 0; i < k; i++) {
        if (!Double.isFinite(labelRow[i])) {
          return "label value " + i + " is " + labelRow[i]
              + ", not valid for a Gaussian model; valid labels: finite real numbers";
        }
      }
      return null;
    }
    if (labelRow.length != 1) {
      return "a " + (this == BERNOULLI_LOGIT ? "Bernoulli (logistic)" : "categorical")
          + " model needs exactly 1 label value per example, got " + labelRow.length;
    }
    return checkLabel(labelRow[0], k);
  }
}
