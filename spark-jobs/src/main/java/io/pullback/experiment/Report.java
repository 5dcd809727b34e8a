package io.pullback.experiment;

import io.pullback.io.AtomicFiles;
import io.pullback.io.Json;
import io.pullback.io.Numbers;
import io.pullback.io.Plots;
import io.pullback.io.Plots.Figure;
import io.pullback.io.Plots.Series;
import io.pullback.io.Location;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes {@code report.md}, {@code report.html} and the PNG plots of an experiment run, all from the
 * run's results ({@code results.json}): every plot is a {@link Figure} with a one-line caption saying
 * what to look at, and {@link #figures(Path)} rebuilds them from a finished run folder.
 */
public final class Report {
  private Report() {}

  /** The figures of the run in {@code runDir}, rebuilt from its {@code results.json} (as {@link #write} draws them). */
  @SuppressWarnings("unchecked")
  public static List<Figure> figures(Path runDir) {
    return figures(Location.local(runDir));
  }

  /** As {@link #figures(Path)} for a run folder on any Hadoop file system. */
  public static List<Figure> figures(Location runDir) {
    return figures(Json.mapper().convertValue(Json.readTree(runDir.resolve("results.json")), Map.class));
  }

  /** The figures of a run: losses per step and against time, the gap to the best arm, the excess loss, the spectra. */
  @SuppressWarnings("unchecked")
  static List<Figure> figures(Map<String, Object> all) {
    String name = (String) all.get("experiment");
    List<Map<String, Object>> arms = (List<Map<String, Object>>) all.getOrDefault("arms", List.of());
    List<Series> byStep = new ArrayList<>();
    List<Series> byTime = new ArrayList<>();
    List<Series> excess = new ArrayList<>();
    for (Map<String, Object> a : arms) {
      double[] loss = doubles(a.get("loss"));
      double[] steps = new double[loss.length];
      for (int t = 0; t < steps.length; t++) steps[t] = t;
      byStep.add(new Series((String) a.get("name"), steps, loss));
      byTime.add(new Series((String) a.get("name"), doubles(a.get("wall_seconds")), loss));
      if (a.containsKey("excess_loss")) excess.add(new Series((String) a.get("name"), steps, doubles(a.get("excess_loss"))));
    }
    List<Figure> figures = new ArrayList<>();
    if (!arms.isEmpty()) {
      figures.add(new Figure("loss_vs_step.png", "Loss at the start of each step (the last point is the final loss): the steeper the"
          + " fall, the faster the optimiser; a flat tail is a noise or approximation floor.",
          Plots.lineChart(name + ": loss per step", "step", "loss", true, byStep)));
      figures.add(new Figure("loss_vs_time.png", "The same losses against wall time: which arm reaches a given loss first, each"
          + " step's cost (metric, solve, extra passes) included.", Plots.lineChart(name + ": loss against wall time", "seconds",
          "loss", true, byTime)));
    }
    figures.addAll(squaredErrorFigures(name, arms));
    figures.addAll(testAccuracyFigures(name, arms));
    Object lStar = all.get("optimal_loss");
    if (lStar == null && arms.size() >= 2) figures.add(gapFigure(name, arms, byTime));
    if (!excess.isEmpty()) {
      figures.add(new Figure("excess_loss_vs_step.png", "Excess loss L − L* over the exact optimum L*: a straight line is a linear"
          + " rate, and natural gradient's slope is log₁₀ (1 − 2η)² per step; the bottom is rounding.",
          Plots.lineChart(name + ": excess loss L − L*", "step", "L − L*", true, excess)));
    }
    Figure spectrum = spectrumFigure(name, all);
    if (spectrum != null) figures.add(spectrum);
    Map<String, Object> ntk = (Map<String, Object>) all.get("ntk_duality");
    if (ntk != null) {
      figures.add(new Figure("ntk_duality.png", "Eigenvalues of the metric JᵀJ and of the kernel JJᵀ on the same batch: the"
          + " non-zero ones coincide; below the dashed line (ε·λ_max) both are rounding.", Plots.spectrumChart(name
          + ": eigenvalues of JᵀJ (N×N) and JJᵀ (BK×BK)", List.of(indexed("metric JᵀJ, N = " + ntk.get("n_params"), ntk.get("metric_eigenvalues")),
          indexed("NTK JJᵀ, BK = " + ntk.get("bk"), ntk.get("ntk_eigenvalues"))))));
    }
    return figures;
  }

  /** The training squared error per step and against wall time, when every arm recorded it. */
  private static List<Figure> squaredErrorFigures(String name, List<Map<String, Object>> arms) {
    if (!TimeToTarget.measure(arms).equals("squared_error")) return List.of();
    List<Series> byStep = new ArrayList<>();
    List<Series> byTime = new ArrayList<>();
    for (Map<String, Object> a : arms) {
      double[] se = doubles(a.get("squared_error"));
      double[] steps = new double[se.length];
      for (int t = 0; t < se.length; t++) steps[t] = t + 1;
      byStep.add(new Series((String) a.get("name"), steps, se));
      byTime.add(new Series((String) a.get("name"), java.util.Arrays.copyOf(doubles(a.get("wall_seconds")), se.length), se));
    }
    return List.of(
        new Figure("squared_error_vs_step.png", "Training squared error ‖E[y|x] − y‖² (summed over the outputs, averaged over"
            + " each step's examples) at the start of each step.", Plots.lineChart(name + ": squared error per step", "step",
            "squared error", true, byStep)),
        new Figure("squared_error_vs_time.png", "The same squared error against wall time, each step's whole cost included.",
            Plots.lineChart(name + ": squared error against wall time", "seconds", "squared error", true, byTime)));
  }

  /** Held-out accuracy per step and against wall time, when every arm recorded it ({@code --test-data}). */
  private static List<Figure> testAccuracyFigures(String name, List<Map<String, Object>> arms) {
    if (arms.isEmpty() || !arms.stream().allMatch(a -> a.containsKey("test_accuracy"))) return List.of();
    List<Series> byStep = new ArrayList<>();
    List<Series> byTime = new ArrayList<>();
    for (Map<String, Object> a : arms) {
      double[] acc = doubles(a.get("test_accuracy"));
      double[] steps = new double[acc.length];
      for (int t = 0; t < acc.length; t++) steps[t] = t;
      byStep.add(new Series((String) a.get("name"), steps, acc));
      byTime.add(new Series((String) a.get("name"), doubles(a.get("wall_seconds")), acc));
    }
    return List.of(
        new Figure("test_accuracy_vs_time.png", "Accuracy on the held-out examples at the start of each step (the last point after the"
            + " last step) against training wall time: which arm classifies unseen data best soonest.", Plots.lineChart(name
            + ": test accuracy against wall time", "seconds", "test accuracy", false, byTime)),
        new Figure("test_accuracy_vs_step.png", "The same held-out accuracy per step.", Plots.lineChart(name + ": test accuracy per step",
            "step", "test accuracy", false, byStep)));
  }

  /** The groups' best arms and the time each arm needs to reach the target's final error (markdown). */
  @SuppressWarnings("unchecked")
  private static String targetTable(Map<String, Object> all) {
    StringBuilder md = new StringBuilder();
    Map<String, Object> groups = (Map<String, Object>) all.get("groups");
    if (groups != null && !groups.isEmpty()) {
      md.append("\nBest arm of each group (lowest final error):\n\n");
      groups.forEach((g, v) -> {
        Map<String, Object> m = (Map<String, Object>) v;
        md.append("* ").append(g).append(": ").append(m.get("best")).append(" (").append(m.get("final_error")).append(") of ")
            .append(m.get("arms")).append("\n");
      });
    }
    Map<String, Object> t = (Map<String, Object>) all.get("time_to_target");
    if (t == null) return md.toString();
    md.append(String.format(Locale.ROOT, "%nTime to reach %s's final %s, %.6g (arm %s):%n%n| arm | final %s | reached at step | seconds"
        + " | time / %s's |%n|---|---|---|---|---|%n", t.get("target"), t.get("measure"), ((Number) t.get("target_error")).doubleValue(),
        t.get("target_arm"), t.get("measure"), t.get("target_arm")));
    for (Map<String, Object> r : (List<Map<String, Object>>) t.get("arms")) {
      md.append(String.format(Locale.ROOT, "| %s | %.6g | %s | %s | %s |%n", r.get("name"), ((Number) r.get("final_error")).doubleValue(),
          r.get("step") == null ? "never" : r.get("step"),
          r.get("seconds") == null ? "—" : String.format(Locale.ROOT, "%.2f", ((Number) r.get("seconds")).doubleValue()),
          r.get("time_over_target") == null ? "—" : String.format(Locale.ROOT, "%.3f", ((Number) r.get("time_over_target")).doubleValue())));
    }
    return md.toString();
  }

  /** Loss minus the best final loss of any arm, against time (no known optimum). */
  private static Figure gapFigure(String name, List<Map<String, Object>> arms, List<Series> byTime) {
    double best = arms.stream().mapToDouble(a -> ((Number) a.get("final_loss")).doubleValue()).min().orElse(0);
    List<Series> gap = new ArrayList<>();
    for (Series t : byTime) {
      double[] y = new double[t.y().length];
      for (int i = 0; i < y.length; i++) y[i] = t.y()[i] - best;
      gap.add(new Series(t.name(), t.x(), y));
    }
    return new Figure("gap_to_best_vs_time.png", "Loss minus the best final loss of any arm (" + Numbers.sig(best, 6)
        + "), against time: how far each arm still is from the best anyone reached (the best arm's last point, 0, is off the axis).",
        Plots.lineChart(name + ": loss minus the best final loss of any arm", "seconds", "L − min final L", true, gap));
  }

  /** The metric spectrum at the start: one curve per distinct metric the arms use ({@code spectra}), else {@code spectrum}. */
  @SuppressWarnings("unchecked")
  private static Figure spectrumFigure(String name, Map<String, Object> all) {
    List<Series> curves = new ArrayList<>();
    List<Map<String, Object>> spectra = (List<Map<String, Object>>) all.get("spectra");
    if (spectra != null) {
      for (Map<String, Object> s : spectra) curves.add(indexed(s.get("label") + " (" + String.join(", ", (List<String>) s.get("arms")) + ")",
          s.get("eigenvalues")));
    } else if (all.get("spectrum") != null) {
      curves.add(indexed("eigenvalues of G", all.get("spectrum")));
    } else {
      return null;
    }
    String what = curves.size() > 1 ? "the metric of each arm's parametrisation" : "the metric";
    return new Figure("spectrum.png", "Eigenvalues of " + what + " at the start: the spread λ_max/λ_min (the condition number) is"
        + " what slows gradient descent; below the dashed line (ε·λ_max) values are rounding.",
        Plots.spectrumChart(name + ": metric eigenvalues at the start", curves));
  }

  private static Series indexed(String name, Object values) {
    double[] y = doubles(values);
    double[] idx = new double[y.length];
    for (int i = 0; i < idx.length; i++) idx[i] = i + 1;
    return new Series(name, idx, y);
  }

  private static double[] doubles(Object list) {
    return ((List<?>) list).stream().mapToDouble(v -> v == null ? Double.NaN : ((Number) v).doubleValue()).toArray();
  }

  /** Writes the figures (PNG), {@code report.md} and {@code report.html} of the run whose results are {@code all} into {@code out}. */
  @SuppressWarnings("unchecked")
  static void write(Location out, Map<String, Object> all) {
    List<Figure> figures = figures(all);
    for (Figure f : figures) Plots.write(f.chart(), out.resolve(f.file()));
    String md = markdown(all, figures);
    AtomicFiles.writeString(out.resolve("report.md"), md);
    AtomicFiles.writeString(out.resolve("report.html"), html(all, md, figures));
  }

  /** {@code report.md}: description, table, comparisons, condition numbers, then each figure and its caption. */
  @SuppressWarnings("unchecked")
  private static String markdown(Map<String, Object> all, List<Figure> figures) {
    String name = (String) all.get("experiment");
    String description = (String) all.getOrDefault("description", "");
    List<Map<String, Object>> arms = (List<Map<String, Object>>) all.getOrDefault("arms", List.of());
    Double lStar = all.get("optimal_loss") == null ? null : ((Number) all.get("optimal_loss")).doubleValue();
    Map<String, Object> ntk = (Map<String, Object>) all.get("ntk_duality");
    boolean withLaw = lStar != null;
    StringBuilder md = new StringBuilder();
    md.append("# ").append(name).append("\n\n");
    if (!description.isBlank()) md.append(description.trim()).append("\n\n");
    if (ntk != null) {
      md.append(String.format(Locale.ROOT, "NTK duality on a batch of %s examples: N = %s parameters, BK = %s rows; the top %s "
          + "eigenvalues of JᵀJ and JJᵀ agree to %.3e of the largest.%n%n", ntk.get("batch_examples"), ntk.get("n_params"), ntk.get("bk"),
          ntk.get("compared_eigenvalues"), ntk.get("max_difference_relative_to_largest")));
    }
    if (withLaw) md.append(String.format(Locale.ROOT, "Optimal loss L* = %.12g (least squares).%n%n", lStar));
    if (!arms.isEmpty()) {
      md.append("| arm | optimizer | steps | initial loss | final loss | data passes | train seconds");
      if (withLaw) md.append(" | median ratio (L−L*) per step | (1−2η)² | power-law exponent");
      md.append(" |\n|---|---|---|---|---|---|---");
      if (withLaw) md.append("|---|---|---");
      md.append("|\n");
      for (Map<String, Object> a : arms) {
        md.append(String.format(Locale.ROOT, "| %s | %s | %d | %.6g | %.6g | %d | %.2f", a.get("name"), a.get("optimizer"), a.get("steps"),
            a.get("initial_loss"), a.get("final_loss"), a.get("passes"), a.get("train_seconds")));
        if (withLaw) {
          md.append(String.format(Locale.ROOT, " | %.9f | %s | %.3f", a.get("median_ratio"),
              a.containsKey("natural_gradient_law") ? String.format(Locale.ROOT, "%.9f", a.get("natural_gradient_law")) : "—",
              a.get("power_law_exponent")));
        }
        md.append(" |\n");
      }
    }
    md.append(targetTable(all));
    if (!arms.isEmpty() && arms.stream().allMatch(a -> a.containsKey("test_accuracy"))) {
      md.append("\nHeld-out accuracy after the last step (the highest over the steps in brackets):\n\n");
      for (Map<String, Object> a : arms) {
        double[] acc = doubles(a.get("test_accuracy"));
        md.append(String.format(Locale.ROOT, "* %s: %.4f (%.4f)%n", a.get("name"), acc[acc.length - 1],
            java.util.Arrays.stream(acc).max().orElse(Double.NaN)));
      }
    }
    Map<String, Object> gaps = (Map<String, Object>) all.get("prediction_gaps");
    if (gaps != null && !gaps.isEmpty()) {
      md.append("\nSame predictions? Largest difference of the final predictions over the data, and of the losses over all steps:\n\n");
      gaps.forEach((k, v) -> {
        Map<String, Object> c = (Map<String, Object>) v;
        md.append(String.format(Locale.ROOT, "* %s: predictions %.3e, losses %.3e%n", k, c.get("max_prediction_gap"), c.get("max_loss_gap_over_steps")));
      });
    }
    List<Map<String, Object>> spectra = (List<Map<String, Object>>) all.get("spectra");
    if (spectra != null) {
      md.append("\nCondition number λ_max/λ_min of the metric at the start:\n\n");
      for (Map<String, Object> s : spectra) {
        Object k = s.get("condition_number");
        md.append("* ").append(s.get("label")).append(" (").append(String.join(", ", (List<String>) s.get("arms"))).append("): ")
            .append(k == null ? "singular (λ_min ≤ 0)" : Numbers.sig(((Number) k).doubleValue(), 3)).append("\n");
      }
    }
    md.append("\n");
    for (Figure f : figures) md.append("![").append(f.file()).append("](").append(f.file()).append(")\n\n*").append(f.caption().replace("*", "\\*")).append("*\n\n");
    md.append("Numbers: `results.json`; each arm's `history.jsonl`, `params.npy`, `summary.json` are in `arms/NAME/`.\n");
    return md.toString();
  }

  /** {@code report.html}: the table of {@code md}, the comparisons and the figures with their captions. */
  @SuppressWarnings("unchecked")
  private static String html(Map<String, Object> all, String md, List<Figure> figures) {
    String name = (String) all.get("experiment");
    String description = (String) all.getOrDefault("description", "");
    Map<String, Object> gaps = (Map<String, Object>) all.get("prediction_gaps");
    StringBuilder html = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
        .append(escape(name)).append("</title><style>body{font-family:sans-serif;max-width:960px;margin:2em auto}"
            + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
            + "td:first-child,th:first-child{text-align:left}</style></head><body>");
    html.append("<h1>").append(escape(name)).append("</h1><p>").append(escape(description)).append("</p>");
    String[] rows = md.split("\n");
    html.append("<table>");
    for (String row : rows) {
      if (!row.startsWith("|") || row.startsWith("|---")) continue;
      String[] cells = row.substring(1, row.length() - 1).split("\\|");
      boolean header = row.contains("optimizer |") && row.startsWith("| arm");
      html.append("<tr>");
      for (String c : cells) html.append(header ? "<th>" : "<td>").append(escape(c.trim())).append(header ? "</th>" : "</td>");
      html.append("</tr>");
    }
    html.append("</table>");
    if (gaps != null && !gaps.isEmpty()) {
      html.append("<ul>");
      gaps.forEach((k, v) -> {
        Map<String, Object> c = (Map<String, Object>) v;
        html.append("<li>").append(escape(k)).append(String.format(Locale.ROOT, ": predictions %.3e, losses %.3e", c.get("max_prediction_gap"),
            c.get("max_loss_gap_over_steps"))).append("</li>");
      });
      html.append("</ul>");
    }
    for (Figure f : figures) {
      html.append("<figure><img src=\"").append(f.file()).append("\" alt=\"").append(f.file()).append("\"><figcaption>")
          .append(escape(f.caption())).append("</figcaption></figure>");
    }
    html.append("</body></html>\n");
    return html.toString();
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
