package io.pullback.ml;

import io.pullback.metric.representation.MetricRepresentation;
import org.apache.spark.ml.param.shared.HasFeaturesCol;
import org.apache.spark.ml.param.shared.HasLabelCol;
import org.apache.spark.sql.Dataset;

/**
 * What both fitted models ({@link NaturalGradientClassificationModel},
 * {@link NaturalGradientRegressionModel}) tell about their fit: θ, its layout, the training history
 * and the metric at θ.
 */
public interface NaturalGradientModel {
  /** The fitted state (internal: the methods below are the API). */
  FittedModel fitted();

  /** θ (a copy), in the layout {@link #parameterLayout()} describes. */
  default double[] parameters() {
    return fitted().parameters();
  }

  /** How θ is laid out (DESIGN.md section 3). */
  default String parameterLayout() {
    return fitted().model().parameterLayout();
  }

  /** The fit's history: loss, gradient norm, damping and data passes per step (kept by save/load). */
  default TrainingSummary trainingSummary() {
    return fitted().summary();
  }

  /**
   * The fit's metric (Params {@code metric}, {@code representation}) at the fitted θ over the
   * training rows — {@code pullback estimate --params θ} on them; not available on a loaded model.
   * Cost: that of the representation (dense: one pass, N² doubles on the driver).
   */
  default MetricRepresentation metric() {
    return fitted().metric(null, null, null, null);
  }

  /** As {@link #metric()}, over {@code dataset}'s {@code featuresCol} and {@code labelCol} (and weight column, when fitted with one). */
  default MetricRepresentation metric(Dataset<?> dataset) {
    return fitted().metric(dataset, ((HasFeaturesCol) this).getFeaturesCol(), ((HasLabelCol) this).getLabelCol(),
        fitted().weightCol());
  }
}
