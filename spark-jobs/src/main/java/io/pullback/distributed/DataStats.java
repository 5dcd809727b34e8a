package io.pullback.distributed;

import io.pullback.data.RawExample;
import io.pullback.model.LabelRule;
import java.io.Serializable;

/**
 * Validation summary of an input, built in one pass (order-independent merge): example count,
 * weight total, the largest |feature value|, and the first (lowest-index) bad row with what is wrong with it.
 */
final class DataStats implements Serializable {
  private static final long serialVersionUID = 1L;

  long count;
  double weightSum;
  double maxAbs;
  long firstBadIndex = Long.MAX_VALUE;
  String firstBadMessage;

  /** Checks one row against the expected dimension and label rule. */
  DataStats add(long index, RawExample row, int dim, LabelRule rule) {
    count++;
    String problem = problem(row, dim, rule);
    if (problem != null) {
      recordBad(index, problem);
    } else {
      weightSum += row.weight();
      for (double v : row.features()) maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    return this;
  }

  private static String problem(RawExample row, int dim, LabelRule rule) {
    double[] x = row.features();
    if (x == null) return "features are missing or not numeric";
    if (x.length != dim) return "has " + x.length + " features, expected " + dim;
    for (int j = 0; j < x.length; j++) {
      if (!Double.isFinite(x[j])) return "feature " + j + " is " + x[j] + " (features must be finite numbers)";
    }
    String labelProblem = rule.check(row.labels());
    if (labelProblem != null) return labelProblem;
    double w = row.weight();
    if (!(w >= 0) || Double.isInfinite(w)) return "weight " + w + " is not a finite number >= 0";
    return null;
  }

  private void recordBad(long index, String message) {
    if (index < firstBadIndex) {
      firstBadIndex = index;
      firstBadMessage = message;
    }
  }

  DataStats merge(DataStats other) {
    count += other.count;
    weightSum += other.weightSum;
    maxAbs = Math.max(maxAbs, other.maxAbs);
    if (other.firstBadIndex < firstBadIndex) {
      firstBadIndex = other.firstBadIndex;
      firstBadMessage = other.firstBadMessage;
    }
    return this;
  }

  boolean hasBadRow() {
    return firstBadMessage != null;
  }
}
