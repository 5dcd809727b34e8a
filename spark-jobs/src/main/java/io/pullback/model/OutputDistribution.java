package io.pullback.model;

/**
 * The predictive distribution a model's outputs parametrise. It fixes the loss, the label range
 * and the {@code fisher} / {@code empirical-fisher} / {@code mc-fisher} factor rows.
 */
public enum OutputDistribution {
  /**
   * K ≥ 1 outputs, the logits z_k of independent Bernoulli variables, {@code p_k = σ(z_k)}; loss
   * {@code −Σ_k [y_k log p_k + (1 − y_k) log(1 − p_k)]}. K = 1: one label, 0 or 1. K ≥ 2: K label
   * values, each in [0, 1] (a soft target, such as a pixel intensity for an autoencoder; the loss is
   * then the binary cross-entropy of Hinton &amp; Salakhutdinov 2006, minimal at p = y).
   */
  BERNOULLI_LOGIT,
  /** K outputs, the logits; {@code p = softmax(z)}; labels 0..K-1. */
  CATEGORICAL_SOFTMAX,
  /** K outputs, the mean; {@code y ~ N(f(x), σ²I)} with σ = 1; labels are K real numbers. */
  GAUSSIAN;

  /** Label values per example for a model with {@code k} outputs: categorical 1, Gaussian k, Bernoulli k. */
  public int labelDim(int k) {
    return this == CATEGORICAL_SOFTMAX ? 1 : k;
  }

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
        if (k != 1) {
          return "a Bernoulli model with K=" + k + " outputs needs " + k
              + " label values per example, got a single scalar label";
        }
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
   * Categorical and one-output Bernoulli models read one value (the row must hold exactly one); a
   * Gaussian model reads {@code k} finite values, a Bernoulli model with k ≥ 2 outputs {@code k}
   * values in [0, 1] (the row must hold exactly {@code k}).
   *
   * @return null when valid, else a message saying what was found and what is valid
   */
  public String checkLabel(double[] labelRow, int k) {
    if (this == BERNOULLI_LOGIT && k > 1) {
      if (labelRow.length != k) {
        return "a Bernoulli model with K=" + k + " outputs needs " + k + " label values per example, got "
            + labelRow.length;
      }
      for (int i = 0; i < k; i++) {
        if (!(labelRow[i] >= 0 && labelRow[i] <= 1)) {
          return "label value " + i + " is " + labelRow[i]
              + ", not valid for a Bernoulli model with K=" + k + " outputs; valid labels: numbers in [0, 1]";
        }
      }
      return null;
    }
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
