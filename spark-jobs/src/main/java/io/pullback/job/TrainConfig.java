package io.pullback.job;

import io.pullback.PullbackException;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.RepresentationOptions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The resolved configuration of {@code train}; the optimiser's own fields are validated by the
 * optimiser factory, the rest here (before any Spark work). Field meanings are those of the flags.
 */
public record TrainConfig(InputConfig input, String optimizer, String loss, double l2, Double lr, int steps, MetricKind metric,
                          int samples, RepresentationKind representation, RepresentationOptions representationOptions, double damping, String dampingSchedule, boolean jitter,
                          Double curvatureScale, int refreshEvery, double metricFraction, double batchFraction,
                          double weightDecay, double momentum, double beta1, double beta2, double eps, double xi,
                          double inducedBeta, double inducedMomentum, double betaRms, double inducedEpsilon,
                          double kfacDecay, int inverseEvery, int dampingEvery, boolean nesterov,
                          int checkpointEvery, boolean resume, String out, String testData, String testLabels) {

  /**
   * Parses {@code --representation} of train (every representation ngd can precondition with).
   *
   * @throws PullbackException (usage) naming the valid values
   */
  public static RepresentationKind parseRepresentation(String name) {
    try {
      return RepresentationKind.parse(name);
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("{representation}: unknown representation '" + name + "' for train; valid: "
          + RepresentationKind.validNames());
    }
  }

  public TrainConfig {
    if (steps < 1) throw PullbackException.usage("{steps} must be >= 1, got " + steps);
    if (!(l2 >= 0) || Double.isInfinite(l2)) throw PullbackException.usage("{l2} must be finite and >= 0, got " + l2);
    if (samples < 1) throw PullbackException.usage("{samples} must be >= 1, got " + samples);
    if (representation == null) throw PullbackException.usage("{representation} is required");
    if (representation == RepresentationKind.BLOCKED && (metricFraction < 1 || batchFraction < 1)) {
      throw PullbackException.usage("{representation} blocked estimates its tiles on the whole data; use {metricFraction} 1"
          + " and {batchFraction} 1 (or implicit, which samples)");
    }
    if (!(metricFraction > 0 && metricFraction <= 1)) throw PullbackException.usage("{metricFraction} must be in (0, 1], got " + metricFraction);
    if (!(batchFraction > 0 && batchFraction <= 1)) throw PullbackException.usage("{batchFraction} must be in (0, 1], got " + batchFraction);
    if (checkpointEvery < 0) throw PullbackException.usage("{checkpointEvery} must be >= 0, got " + checkpointEvery);
    if (refreshEvery < 1) throw PullbackException.usage("{refreshEvery} must be >= 1, got " + refreshEvery);
    if (out == null) throw PullbackException.usage("{out} is required");
    if (testLabels != null && testData == null) throw PullbackException.usage("{testLabels} needs {testData}");
  }

  /** This configuration with {@code resume} set (a retried cluster attempt continuing its predecessor's run). */
  public TrainConfig resumed() {
    return new TrainConfig(input, optimizer, loss, l2, lr, steps, metric, samples, representation, representationOptions, damping,
        dampingSchedule, jitter, curvatureScale, refreshEvery, metricFraction, batchFraction, weightDecay, momentum, beta1, beta2,
        eps, xi, inducedBeta, inducedMomentum, betaRms, inducedEpsilon, kfacDecay, inverseEvery, dampingEvery, nesterov, checkpointEvery, true, out, testData, testLabels);
  }

  /** As a plain map, for manifests. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>(input.toMap());
    m.put("optimizer", optimizer);
    m.put("loss", loss);
    m.put("l2", l2);
    m.put("lr", lr);
    m.put("steps", steps);
    m.put("metric", metric == null ? null : metric.cliName());
    m.put("samples", samples);
    m.put("representation", representation.cliName());
    m.put("rank", representationOptions.rank());
    m.put("cg_tol", representationOptions.cgTol());
    m.put("cg_max_iter", representationOptions.cgMaxIter());
    m.put("max_dual_rows", representationOptions.maxDualRows());
    m.put("damping", damping);
    m.put("damping_schedule", dampingSchedule);
    m.put("allow_jitter", jitter);
    m.put("curvature_scale", curvatureScale);
    m.put("refresh_every", refreshEvery);
    m.put("metric_fraction", metricFraction);
    m.put("batch_fraction", batchFraction);
    if (testData != null) {
      m.put("test_data", testData);
      m.put("test_labels", testLabels);
    }
    m.put("weight_decay", weightDecay);
    m.put("momentum", momentum);
    m.put("adam_beta1", beta1);
    m.put("adam_beta2", beta2);
    m.put("adam_epsilon", eps);
    m.put("xi", xi);
    m.put("induced_beta", inducedBeta);
    m.put("induced_momentum", inducedMomentum);
    m.put("beta_rms", betaRms);
    m.put("induced_epsilon", inducedEpsilon);
    m.put("nesterov", nesterov);
    m.put("kfac_decay", kfacDecay);
    m.put("inverse_every", inverseEvery);
    m.put("damping_every", dampingEvery);
    m.put("checkpoint_every", checkpointEvery);
    m.put("resume", resume);
    m.put("out", out);
    return m;
  }
}
