package io.pullback.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report's group and time-to-target numbers. A group (e.g. a learning-rate grid of one
 * optimiser) is represented by its best arm, the one with the lowest final error. The error is the
 * training squared error ({@code squared_error} of each step's history line: {@code ‖E[y|x] − y‖²}
 * summed over the outputs, averaged over the step's examples — an autoencoder's squared
 * reconstruction error) when every arm has it, else the loss. With {@code target} (an arm or a
 * group), the target error {@code E*} is the target's (best arm's) final error, and each arm is
 * given the first step, and the wall time at its start, at which its error is at most {@code E*}
 * (null when it never is), and that time over the target arm's own.
 */
final class TimeToTarget {
  private TimeToTarget() {}

  /** {@code squared_error} when every arm recorded it, else {@code loss}. */
  static String measure(List<Map<String, Object>> arms) {
    return !arms.isEmpty() && arms.stream().allMatch(a -> a.containsKey("squared_error")) ? "squared_error" : "loss";
  }

  static double finalError(Map<String, Object> arm, String measure) {
    List<?> series = (List<?>) arm.get(measure);
    return series.isEmpty() ? Double.NaN : ((Number) series.get(series.size() - 1)).doubleValue();
  }

  /** {@code groups} of results.json: per group its best arm and that arm's final error. */
  static Map<String, Object> groups(Experiment exp, List<Map<String, Object>> arms) {
    String measure = measure(arms);
    Map<String, Object> out = new LinkedHashMap<>();
    exp.groups().forEach((group, members) -> {
      String best = null;
      double bestError = Double.POSITIVE_INFINITY;
      for (Map<String, Object> a : arms) {
        double e = finalError(a, measure);
        if (members.contains((String) a.get("name")) && e < bestError) {
          bestError = e;
          best = (String) a.get("name");
        }
      }
      Map<String, Object> g = new LinkedHashMap<>();
      g.put("arms", members);
      g.put("best", best);
      g.put("final_error", best == null ? null : bestError);
      out.put(group, g);
    });
    return out;
  }

  /** {@code time_to_target} of results.json, or null without a target. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> of(Experiment exp, List<Map<String, Object>> arms, Map<String, Object> groups) {
    if (exp.target() == null) return null;
    String measure = measure(arms);
    String targetArm = groups.containsKey(exp.target()) ? (String) ((Map<String, Object>) groups.get(exp.target())).get("best")
        : exp.target();
    Map<String, Object> target = arms.stream().filter(a -> a.get("name").equals(targetArm)).findFirst().orElse(null);
    if (target == null) return null;
    double goal = finalError(target, measure);
    Double targetSeconds = reached(target, measure, goal)[1];
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Map<String, Object> a : arms) {
      Double[] at = reached(a, measure, goal);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("name", a.get("name"));
      r.put("final_error", finalError(a, measure));
      r.put("step", at[0] == null ? null : at[0].intValue());
      r.put("seconds", at[1]);
      r.put("time_over_target", at[1] == null || targetSeconds == null || targetSeconds == 0 ? null : at[1] / targetSeconds);
      rows.add(r);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("measure", measure);
    out.put("target", exp.target());
    out.put("target_arm", targetArm);
    out.put("target_error", goal);
    out.put("arms", rows);
    return out;
  }

  /** {step (1-based), seconds at its start} of the first step whose error is ≤ goal, or nulls. */
  private static Double[] reached(Map<String, Object> arm, String measure, double goal) {
    List<?> series = (List<?>) arm.get(measure);
    List<?> wall = (List<?>) arm.get("wall_seconds");
    for (int t = 0; t < series.size(); t++) {
      if (((Number) series.get(t)).doubleValue() <= goal) {
        // The loss series ends with the final loss (after the last step): its time is the end of the run.
        return new Double[] {(double) Math.min(t + 1, series.size()), ((Number) wall.get(Math.min(t, wall.size() - 1))).doubleValue()};
      }
    }
    return new Double[] {null, null};
  }
}
