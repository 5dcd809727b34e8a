package io.pullback.job;

import io.pullback.PullbackException;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.RepresentationOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The resolved configuration of {@code estimate}, validated on construction (before any Spark work).
 * Field meanings are those of the CLI flags of the same names; {@code representation} is null for
 * {@code auto} (decided by {@code MemoryPlan.auto} once N is known).
 */
public record EstimateConfig(InputConfig input, MetricKind metric, int samples, RepresentationKind representation,
                             int denseLimit, int tileSize, RepresentationOptions options, Path out) {

  /**
   * Parses {@code --representation} of estimate: {@code auto} (null) or a representation name.
   *
   * @throws PullbackException (usage) naming the valid values
   */
  public static RepresentationKind parseRepresentation(String name) {
    if (name.equals("auto")) return null;
    try {
      return RepresentationKind.parse(name);
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("{representation}: unknown representation '" + name + "'; valid: auto, "
          + RepresentationKind.validNames());
    }
  }

  public EstimateConfig {
    if (samples < 1) throw PullbackException.usage("{samples} must be >= 1, got " + samples);
    if (denseLimit < 1) throw PullbackException.usage("{denseLimit} must be >= 1, got " + denseLimit);
    if (tileSize < 1) throw PullbackException.usage("{tileSize} must be >= 1, got " + tileSize);
    if (out == null) throw PullbackException.usage("{out} is required");
  }

  /** The configuration as a plain map, for manifests. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>(input.toMap());
    m.put("metric", metric.cliName());
    m.put("samples", samples);
    m.put("representation", representation == null ? "auto" : representation.cliName());
    m.put("dense_limit", denseLimit);
    m.put("tile_size", tileSize);
    m.put("rank", options.rank());
    m.put("cg_tol", options.cgTol());
    m.put("cg_max_iter", options.cgMaxIter());
    m.put("max_dual_rows", options.maxDualRows());
    m.put("out", out.toString());
    return m;
  }
}
