package io.pullback.experiment;

import io.pullback.io.AtomicFiles;
import io.pullback.io.Plots;
import io.pullback.io.Location;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes {@code report.md}, {@code report.html} and the PNG plots of an experiment run. */
final class Report {
  private Report() {}

  @SuppressWarnings("unchecked")
  static void write(Location out, Experiment exp, Map<String, Object> all, List<Map<String, Object>> arms, double[] spectrum, Double lStar) {
    List<Plots.Series> byStep = new ArrayList<>();
    List<Plots.Series> byTime = new ArrayList<>();
    List<Plots.Series> excess = new ArrayList<>();
    for (Map<String, Object> a : arms) {
      double[] loss = ((List<Double>) a.get("loss")).stream().mapToDouble(Double::doubleValue).toArray();
      double[] wall = ((List<Double>) a.get("wall_seconds")).stream().mapToDouble(Double::doubleValue).toArray();
      double[] steps = new double[loss.length];
      for (int t = 0; t < steps.length; t++) steps[t] = t;
      byStep.add(new Plots.Series((String) a.get("name"), steps, loss));
      byTime.add(new Plots.Series((String) a.get("name"), wall, loss));
      if (a.containsKey("excess_loss")) {
        double[] ex = ((List<Double>) a.get("excess_loss")).stream().mapToDouble(Double::doubleValue).toArray();
        excess.add(new Plots.Series((String) a.get("name"), steps, ex));
      }
    }
    List<String> images = new ArrayList<>();
    if (!arms.isEmpty()) {
      Plots.line(out.resolve("loss_vs_step.png"), exp.name() + ": loss per step", "step", "loss", true, byStep);
      images.add("loss_vs_step.png");
      Plots.line(out.resolve("loss_vs_time.png"), exp.name() + ": loss against wall time", "seconds", "loss", true, byTime);
      images.add("loss_vs_time.png");
    }
    if (lStar == null && arms.size() >= 2) {
      // Without a known optimum, distance to the best loss any arm reached (its final point drops off the log axis).
      double best = arms.stream().mapToDouble(a -> ((Number) a.get("final_loss")).doubleValue()).min().orElse(0);
      List<Plots.Series> gap = new ArrayList<>();
      for (Plots.Series t : byTime) {
        double[] y = new double[t.y().length];
        for (int i = 0; i < y.length; i++) y[i] = t.y()[i] - best;
        gap.add(new Plots.Series(t.name(), t.x(), y));
      }
      Plots.line(out.resolve("gap_to_best_vs_time.png"), exp.name() + ": loss minus the best final loss of any arm", "seconds",
          "L − min final L", true, gap);
      images.add("gap_to_best_vs_time.png");
    }
    if (!excess.isEmpty()) {
      Plots.line(out.resolve("excess_loss_vs_step.png"), exp.name() + ": excess loss L − L*", "step", "L − L*", true, excess);
      images.add("excess_loss_vs_step.png");
    }
    if (spectrum != null) {
      double[] idx = new double[spectrum.length];
      for (int i = 0; i < idx.length; i++) idx[i] = i + 1;
      Plots.line(out.resolve("spectrum.png"), exp.name() + ": metric eigenvalues at the start", "index", "eigenvalue", true,
          List.of(new Plots.Series("eigenvalues of G", idx, spectrum)));
      images.add("spectrum.png");
    }

    Map<String, Object> ntk = (Map<String, Object>) all.get("ntk_duality");
    if (ntk != null) images.add("ntk_duality.png");
    boolean withLaw = lStar != null;
    StringBuilder md = new StringBuilder();
    md.append("# ").append(exp.name()).append("\n\n");
    if (!exp.description().isBlank()) md.append(exp.description().trim()).append("\n\n");
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
    Map<String, Object> gaps = (Map<String, Object>) all.get("prediction_gaps");
    if (gaps != null && !gaps.isEmpty()) {
      md.append("\nSame predictions? Largest difference of the final predictions over the data, and of the losses over all steps:\n\n");
      gaps.forEach((k, v) -> {
        Map<String, Object> c = (Map<String, Object>) v;
        md.append(String.format(Locale.ROOT, "* %s: predictions %.3e, losses %.3e%n", k, c.get("max_prediction_gap"), c.get("max_loss_gap_over_steps")));
      });
    }
    md.append("\n");
    for (String img : images) md.append("![").append(img).append("](").append(img).append(")\n\n");
    md.append("Numbers: `results.json`; each arm's `history.jsonl`, `params.npy`, `summary.json` are in `arms/NAME/`.\n");
    AtomicFiles.writeString(out.resolve("report.md"), md.toString());

    StringBuilder html = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
        .append(escape(exp.name())).append("</title><style>body{font-family:sans-serif;max-width:960px;margin:2em auto}"
            + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
            + "td:first-child,th:first-child{text-align:left}</style></head><body>");
    html.append("<h1>").append(escape(exp.name())).append("</h1><p>").append(escape(exp.description())).append("</p>");
    String[] rows = md.toString().split("\n");
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
    for (String img : images) html.append("<p><img src=\"").append(img).append("\" alt=\"").append(img).append("\"></p>");
    html.append("</body></html>\n");
    AtomicFiles.writeString(out.resolve("report.html"), html.toString());
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
