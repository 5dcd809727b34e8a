package io.pullback.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One benchmark figure: a ratio measured in this run, its target, and whether it holds ({@code pass}
 * null when the figure could not be measured, with the reason in {@code note}).
 */
record Figure(String id, String title, double value, String target, Boolean pass, String note) {

  /** Every figure of issues 8, 17, 19 and 20, by section (the JSON always lists all of them). */
  static final Map<String, List<String>> BY_SECTION = Map.of(
      "kernel", List.of("kernel_vs_best_dgemm"),
      "mllib", List.of("estimate_vs_mllib_n1024", "estimate_vs_mllib_n2048"),
      "numpy", List.of("estimate_vs_numpy"),
      "scaling", List.of("executors_2_vs_1"),
      "training", List.of("ngd_passes_vs_mllib"),
      "softmax", List.of("softmax_fisher_vs_gram"),
      "load", List.of("load_libsvm_vs_sklearn", "load_libsvm_vs_spark_pipeline", "load_csv_vs_pandas", "load_csv_vs_spark_pipeline",
          "load_parquet_vs_spark", "version_seconds", "first_task_seconds"),
      "gv", GramProductBench.FIGURES,
      "kfac", KfacBench.FIGURES);

  static List<String> idsOf(String section) {
    return BY_SECTION.getOrDefault(section, List.of());
  }

  static Figure atLeast(String id, String title, double value, double target, String note) {
    return new Figure(id, title, value, ">= " + fmt(target), value >= target, note);
  }

  static Figure atMost(String id, String title, double value, double target, String note) {
    return new Figure(id, title, value, "<= " + fmt(target), value <= target, note);
  }

  static Figure skipped(String id, String why) {
    return new Figure(id, id, Double.NaN, "", null, "skipped: " + why);
  }

  String status() {
    return pass == null ? "SKIP" : pass ? "PASS" : "MISS";
  }

  /** The console line: {@code PASS  estimate_vs_mllib_n1024  7.12 (target >= 4)  Pullback 1.2 s, MLlib 8.5 s}. */
  String line() {
    return String.format(Locale.ROOT, "%-4s  %-24s %8s  (target %s)  %s", status(), id, Double.isNaN(value) ? "-" : fmt(value),
        target.isEmpty() ? "-" : target, note);
  }

  Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("title", title);
    m.put("value", Double.isNaN(value) ? null : value);
    m.put("target", target);
    m.put("status", status());
    m.put("pass", pass);
    m.put("note", note);
    return m;
  }

  static String fmt(double v) {
    if (Double.isNaN(v)) return "-";
    double a = Math.abs(v);
    return a >= 100 ? String.format(Locale.ROOT, "%.0f", v) : a >= 10 ? String.format(Locale.ROOT, "%.1f", v)
        : String.format(Locale.ROOT, "%.2f", v);
  }
}
