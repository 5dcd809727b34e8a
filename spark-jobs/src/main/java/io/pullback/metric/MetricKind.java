package io.pullback.metric;

import java.util.Arrays;
import java.util.stream.Collectors;

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
    for (MetricKind k : values()) {
      if (k.cliName.equals(name)) return k;
    }
    throw new IllegalArgumentException("unknown metric '" + name + "'; valid: "
        + Arrays.stream(values()).map(MetricKind::cliName).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return cliName;
  }
}
