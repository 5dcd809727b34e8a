package io.pullback.ml;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.PullbackException;
import io.pullback.io.Json;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The history of a fit, one entry per step t = 1..T, read from the run's {@code history.jsonl}
 * (the file {@code train} writes): {@link #loss()} {@code L(θ_{t−1})} on the step's examples (the
 * loss before the step's update, L2 term included), {@link #gradientNorm()} {@code ‖∇L‖},
 * {@link #damping()} the λ the step used (NaN for optimisers without one), {@link #passes()} the
 * data passes the step took, and {@link #totalPasses()} (steps plus the final loss pass). As arrays
 * (copies) or as a DataFrame ({@link #toDataFrame}). Immutable; saved with the model.
 */
public final class TrainingSummary implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int[] steps;
  private final double[] loss;
  private final double[] gradientNorm;
  private final double[] damping;
  private final int[] passes;
  private final long totalPasses;
  private final String historyJsonl;

  private TrainingSummary(String historyJsonl, long totalPasses) {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : historyJsonl.split("\n")) {
      if (line.isBlank()) continue;
      try {
        lines.add(Json.mapper().readTree(line));
      } catch (IOException e) {
        throw PullbackException.data("history line " + (lines.size() + 1) + " is not JSON: " + e.getMessage());
      }
    }
    int n = lines.size();
    steps = new int[n];
    loss = new double[n];
    gradientNorm = new double[n];
    damping = new double[n];
    passes = new int[n];
    for (int i = 0; i < n; i++) {
      JsonNode l = lines.get(i);
      steps[i] = l.path("step").asInt();
      loss[i] = number(l.path("loss"));
      gradientNorm[i] = number(l.path("grad_norm"));
      damping[i] = number(l.path("damping"));
      passes[i] = l.path("passes").asInt();
    }
    this.totalPasses = totalPasses;
    this.historyJsonl = historyJsonl;
  }

  /** The summary of a {@code history.jsonl} text and the run's total pass count ({@code summary.json}'s {@code passes}). */
  static TrainingSummary of(String historyJsonl, long totalPasses) {
    return new TrainingSummary(historyJsonl, totalPasses);
  }

  private static double number(JsonNode n) {
    return n.isNumber() ? n.asDouble() : Double.NaN;
  }

  /** The history text this summary was read from (what the model saves). */
  String historyJsonl() {
    return historyJsonl;
  }

  /** Steps taken (T). */
  public int totalIterations() {
    return steps.length;
  }

  /** Data passes of the whole fit: every step's, plus the final loss evaluation. */
  public long totalPasses() {
    return totalPasses;
  }

  public int[] steps() { return steps.clone(); }
  public double[] loss() { return loss.clone(); }
  public double[] gradientNorm() { return gradientNorm.clone(); }
  public double[] damping() { return damping.clone(); }
  public int[] passes() { return passes.clone(); }

  /** The history as a DataFrame: columns {@code step}, {@code loss}, {@code grad_norm}, {@code damping}, {@code passes}. */
  public Dataset<Row> toDataFrame(SparkSession spark) {
    StructType schema = new StructType().add("step", DataTypes.IntegerType).add("loss", DataTypes.DoubleType)
        .add("grad_norm", DataTypes.DoubleType).add("damping", DataTypes.DoubleType).add("passes", DataTypes.IntegerType);
    List<Row> rows = new ArrayList<>(steps.length);
    for (int i = 0; i < steps.length; i++) rows.add(RowFactory.create(steps[i], loss[i], gradientNorm[i], damping[i], passes[i]));
    return spark.createDataFrame(rows, schema);
  }
}
