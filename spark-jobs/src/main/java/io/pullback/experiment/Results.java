package io.pullback.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.experiment.Experiment.Arm;
import io.pullback.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import io.pullback.io.Location;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The numbers the report shows for one arm, read back from its {@code history.jsonl} and
 * {@code summary.json}.
 *
 * <p>With an optimal loss L*, the per-step contraction of the excess loss
 * {@code r_t = (L_{t+1} − L*)/(L_t − L*)} is summarised by its median over the steps whose excess is
 * above {@code 1e-9·(L_1 − L*)} (below that, rounding dominates), and compared with the natural-gradient
 * law {@code (1 − 2η)²} for ngd and gd arms. A power law {@code L − L* ∝ t^{−p}} is fitted by least
 * squares of {@code log(L − L*)} on {@code log t} over the second half of the run.
 */
final class Results {
  private Results() {}

  static Map<String, Object> arm(Arm arm, Map<String, Object> options, Location armDir, Double lStar) {
    List<JsonNode> history = new ArrayList<>();
    try {
      for (String line : armDir.resolve("history.jsonl").readString().split("\n")) if (!line.isBlank()) history.add(Json.mapper().readTree(line));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the history of arm " + arm.name() + ": " + e.getMessage(), e);
    }
    JsonNode summary = Json.readTree(armDir.resolve("summary.json"));
    int n = history.size();
    double[] loss = new double[n + 1];
    double[] wall = new double[n + 1];
    double elapsed = 0;
    for (int t = 0; t < n; t++) {
      loss[t] = history.get(t).path("loss").asDouble();
      wall[t] = elapsed;
      elapsed += history.get(t).path("seconds").asDouble();
    }
    loss[n] = summary.path("final_loss").asDouble();
    wall[n] = elapsed;
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("name", arm.name());
    r.put("optimizer", summary.path("optimizer").asText());
    r.put("options", arm.options());
    r.put("steps", n);
    r.put("initial_loss", loss[0]);
    r.put("final_loss", loss[n]);
    r.put("passes", summary.path("passes").asLong());
    r.put("train_seconds", summary.path("train_seconds").asDouble());
    r.put("loss", Arrays.stream(loss).boxed().toList());
    r.put("wall_seconds", Arrays.stream(wall).boxed().toList());
    if (n > 0 && history.stream().allMatch(h -> h.has("squared_error"))) {
      // At the start of each step, on the step's examples (no point after the last step).
      r.put("squared_error", history.stream().map(h -> h.path("squared_error").asDouble()).toList());
    }
    for (String key : new String[] {"test_loss", "test_accuracy"}) {
      // At the start of each step, then after the last one (as the loss series).
      if (n > 0 && summary.has(key) && history.stream().allMatch(h -> h.has(key))) {
        List<Double> series = new ArrayList<>(history.stream().map(h -> h.path(key).asDouble()).toList());
        series.add(summary.path(key).asDouble());
        r.put(key, series);
      }
    }
    if (lStar != null) {
      double[] excess = new double[n + 1];
      for (int t = 0; t <= n; t++) excess[t] = loss[t] - lStar;
      r.put("excess_loss", Arrays.stream(excess).boxed().toList());
      r.put("median_ratio", medianRatio(excess));
      r.put("power_law_exponent", powerLawExponent(excess));
      String opt = summary.path("optimizer").asText();
      if (opt.equals("ngd") || opt.equals("gd")) {
        double eta = history.isEmpty() ? Double.NaN : history.get(0).path("lr").asDouble();
        r.put("natural_gradient_law", (1 - 2 * eta) * (1 - 2 * eta));
      }
    }
    return r;
  }

  static double medianRatio(double[] excess) {
    if (excess.length < 2 || !(excess[0] > 0)) return Double.NaN;
    double floor = 1e-9 * excess[0];
    List<Double> ratios = new ArrayList<>();
    for (int t = 0; t + 1 < excess.length; t++) {
      if (excess[t] > floor && excess[t + 1] > floor) ratios.add(excess[t + 1] / excess[t]);
    }
    if (ratios.isEmpty()) return Double.NaN;
    ratios.sort(null);
    int m = ratios.size();
    return m % 2 == 1 ? ratios.get(m / 2) : 0.5 * (ratios.get(m / 2 - 1) + ratios.get(m / 2));
  }

  static double powerLawExponent(double[] excess) {
    int n = excess.length;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int k = 0;
    for (int t = Math.max(1, n / 2); t < n; t++) {
      if (!(excess[t] > 0)) continue;
      double x = Math.log(t + 1.0);
      double y = Math.log(excess[t]);
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
      k++;
    }
    if (k < 2) return Double.NaN;
    double slope = (k * sxy - sx * sy) / (k * sxx - sx * sx);
    return -slope;
  }
}
