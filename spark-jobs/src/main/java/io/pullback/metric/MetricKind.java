package io.pullback.metric;

import io.pullback.Names;

/**
 * What a metric measures: every kind is a Gram of factor rows {@code G = Σ_x w_x R(x)ᵀR(x) / Σ w_x}
 * (DESIGN.md section 1).
 */
public enum MetricKind {
  /** {@code R(x) = J(x)}: the pull-back of the function-space L2 metric (Gauss–Newton for squared loss). */
  FUNCTION("function"),
  /** Exact expectation over the model's predictive distribution (equals the GGN for these losses). */
  FISHER("fisher"),
  /** {@code R(x) = ∇_θ log p(y|x)}, one row: biased, offered for comparison. */
  EMPIRICAL_FISHER("empirical-fisher"),
  /** {@code R(x) = ∇_θ log p(ŷ_s|x)/√S}, {@code ŷ_s ~ p(·|x)}, seeded per (example, sample). */
  MC_FISHER("mc-fisher");

  private final String cliName;

  MetricKind(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  /** Parses a CLI name, with an error listing the valid names. */
  public static MetricKind parse(String name) {
    MetricKind found = Names.find(values(), MetricKind::cliName, name);
    if (found != null) return found;
    throw new IllegalArgumentException("unknown metric '" + name + "'; valid: " + Names.list(values(), MetricKind::cliName));
  }

  @Override
  public String toString() {
    return cliName;
  }
}
