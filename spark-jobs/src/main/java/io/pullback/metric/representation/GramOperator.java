package io.pullback.metric.representation;

/**
 * The metric as an operator that is never formed: {@code G·v} for several vectors in one data pass,
 * and its diagonal. Implemented over {@link io.pullback.metric.aggregate.BlockData} by
 * {@link Representations#gramOperator}.
 */
public interface GramOperator {
  /** N. */
  int n();

  /** {@code G·v_s} for every s, in one pass over the data. */
  double[][] apply(double[][] vectors);

  /** {@code diag G} (one pass computing factor rows in chunks). */
  double[] diagonal();

  /** How many data passes this operator has made. */
  long passes();

  /** Wall seconds spent in those passes. */
  double passSeconds();
}
