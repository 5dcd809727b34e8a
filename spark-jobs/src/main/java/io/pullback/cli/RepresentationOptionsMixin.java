package io.pullback.cli;

import io.pullback.PullbackException;
import io.pullback.metric.representation.RepresentationOptions;
import picocli.CommandLine.Option;

/** The options of the metric representations, shared by {@code estimate} and {@code train}. */
public final class RepresentationOptionsMixin {
  @Option(names = "--rank", paramLabel = "k", description = "Rank of the low-rank (Nyström) representation, at most N (default: 64, or N when smaller).")
  Integer rank;

  @Option(names = "--cg-tol", paramLabel = "tol", description = "Relative residual at which implicit (CG) solves stop (default: ${DEFAULT-VALUE}).", defaultValue = "1e-6")
  double cgTol;

  @Option(names = "--cg-max-iter", paramLabel = "n", description = "Most CG iterations (data passes) per implicit solve; the smallest-residual iterate is used when reached (default: ${DEFAULT-VALUE}).", defaultValue = "100")
  int cgMaxIter;

  @Option(names = "--max-dual-rows", paramLabel = "m", description = "Most factor rows (examples × rows per example) ntk-dual gathers on the driver (default: ${DEFAULT-VALUE}).", defaultValue = "8192")
  int maxDualRows;

  /** Validated options; {@code seed} seeds the low-rank test matrix. */
  RepresentationOptions toOptions(long seed, boolean allowJitter) {
    try {
      RepresentationOptions o = new RepresentationOptions(rank != null ? rank : RepresentationOptions.DEFAULT_RANK, cgTol, cgMaxIter,
          seed, allowJitter, maxDualRows);
      return rank != null ? o.withRankGiven() : o;
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage(e.getMessage());
    }
  }
}
