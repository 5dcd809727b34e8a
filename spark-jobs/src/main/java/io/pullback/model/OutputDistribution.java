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
  GAUSSIAN
}
