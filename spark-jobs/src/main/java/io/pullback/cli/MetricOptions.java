package io.pullback.cli;

import io.pullback.PullbackException;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.RepresentationKind;
import picocli.CommandLine.Option;

/**
 * The metric options of the commands that only multiply by the metric ({@code spectrum},
 * {@code trace}, {@code diagonal}): kind, samples, representation (auto: dense up to
 * {@code --dense-limit}, else implicit) and the dense limit.
 */
public final class MetricOptions {
  @Option(names = "--metric", paramLabel = "function|fisher|empirical-fisher|mc-fisher", description = "Metric kind (default: ${DEFAULT-VALUE}).", defaultValue = "function")
  String metric;

  @Option(names = "--samples", paramLabel = "S", description = "Samples per example for mc-fisher (default: ${DEFAULT-VALUE}).", defaultValue = "1")
  int samples;

  @Option(names = "--representation", paramLabel = "auto|dense|blocked|implicit|diag|block-diag|kfac|ekfac|low-rank|ntk-dual",
      description = "Representation that is analysed; auto: dense up to --dense-limit, else implicit (default: ${DEFAULT-VALUE}).", defaultValue = "auto")
  String representation;

  @Option(names = "--dense-limit", paramLabel = "N", description = "Largest N held as a dense matrix in auto mode (and, for spectrum, solved by dsyevd) (default: ${DEFAULT-VALUE}).", defaultValue = "4096")
  int denseLimit;

  /** The metric kind; exit 2 naming {@code --metric} when unknown. */
  MetricKind kind() {
    if (samples < 1) throw PullbackException.usage("--samples must be >= 1, got " + samples);
    if (denseLimit < 1) throw PullbackException.usage("--dense-limit must be >= 1, got " + denseLimit);
    try {
      return MetricKind.parse(metric);
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("--metric: " + e.getMessage());
    }
  }

  /** The representation, or null for auto; exit 2 naming {@code --representation} when unknown. */
  RepresentationKind representationKind() {
    if (representation.equals("auto")) return null;
    try {
      return RepresentationKind.parse(representation);
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("--representation: " + e.getMessage());
    }
  }
}
