package io.pullback.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** {@code REPORT.md} and its PNG plots (XChart, headless) from one bench run. */
final class BenchReport {
  /** Why a figure can miss on a machine like this one, and what would close it. */
  static final Map<String, String> WHY_MISSED = Map.of(
      "load_parquet_vs_spark",
      "Spark's figure only reads and sums the columns; Pullback's load also range-partitions the examples into the --partitions "
          + "ranges (one shuffle of the blocks), packs and caches them and totals the weights in a second job. The reader pass itself "
          + "reads the column batches in place. Closing it: skip the shuffle when the file partitions already hold contiguous ranges "
          + "of about M/P rows.",
      "kernel_vs_best_dgemm",
      "The Gram kernel runs below the best dgemm when the BLAS in use has a weak dsyrk (the Java BLAS: its dsyrk is not vectorised, so "
          + "the accumulator uses dgemm on upper panels, which wastes tile/N of the flops), when the BLAS in use is not the one with the "
          + "fastest dgemm (the second factor of the figure), or when other processes take the core during some rounds. Closing it: put the "
          + "org.bytedeco:openblas jar (or a system OpenBLAS) on the class path so the native dsyrk is used, and rerun on a quieter machine.",
      "estimate_vs_mllib_n1024",
      "No Gram implementation can beat MLlib by more than the ceiling: MLlib's time over the time the BLAS kernels alone need for "
          + "the M·N·(N+1) flops, as many running at once as the estimate has tasks (no Spark, no data). MLlib's per-row dspr is bound "
          + "by cache bandwidth, and at N = 1024 its 4 MiB packed triangle stays in this CPU's 32 MiB L3, so MLlib is only about four "
          + "times slower than the FMA units and the ceiling sits near the target. Pullback's own cost above the BLAS limit is the copy "
          + "of each cached feature block into factor rows [x, 1], Spark's job and task latency, and the reduction of the 4 MiB "
          + "partials. Closing it: forming the Gram from the cached feature block in place (dsyrk on the features, the bias column as "
          + "column sums) would remove the copy, which is most of that cost; beyond that only a machine with more FP throughput per "
          + "unit of cache bandwidth (AVX-512, more cores) raises the ceiling.",
      "estimate_vs_mllib_n2048",
      "As for N = 1024: compare with the ceiling. At N = 2048 MLlib's 16 MiB packed triangle per task no longer fits the shared L3 "
          + "(two tasks: 32 MiB), so MLlib becomes DRAM-bound and the ceiling rises, but it moves with the memory bandwidth the host's "
          + "neighbours leave. Closing it: as for N = 1024.",
      "estimate_vs_numpy",
      "numpy runs one multi-threaded OpenBLAS syrk over one contiguous array; Pullback adds Spark task scheduling, the copy of each "
          + "block into column-major factor rows, per-partition partial matrices and their reduction, and runs single-threaded BLAS per "
          + "task. Closing it: larger M per partition amortises the fixed costs; a Jacobian that writes factors in place of the copy.",
      "executors_2_vs_1",
      "Two one-core executors can be at most as much faster than one as two BLAS kernels running at once are faster than one "
          + "(the machine ceiling in the note, measured in the bench's JVM before and after the cluster runs; on this VM it varies "
          + "between about 1.0 and 2.0 with the host's load, because the two vCPUs can share FP units). Below that ceiling, the "
          + "driver, the local-cluster's master and worker, and two executor JVMs (each with its own GC and JIT threads) all run on the "
          + "same two vCPUs as the kernels, and every task pays an RPC launch and a result fetch. Closing it: a machine with more "
          + "cores than executors (one for the driver), and more rows per task so the per-task latency is amortised.",
      "ngd_passes_vs_mllib",
      "ngd with the exact Fisher metric and η = 1 is Newton's method and converges quadratically; a miss means it needed line-search "
          + "rejections or MLlib converged unusually fast on this data set. Closing it: check the ngd history (damping, rejected steps).",
      "gv_s1_vs_gradient",
      "One G·v pass evaluates the model once per block and back-propagates the factor rows (as the gradient pass back-propagates "
          + "the loss), then adds 4·B·N flops; a miss means Spark's fixed job latency or the reduction of the N-vector dominates at "
          + "this size. Closing it: more rows per partition.",
      "gv_s16_vs_gradient",
      "Sixteen vectors cost 64·B·N flops in level-3 BLAS against about 8·B·N for the gradient pass (two forward passes and one "
          + "backward pass), so the ratio is bounded below by the BLAS efficiency gap: the gradient's skinny dgemms (B × width) run "
          + "slower per flop than the block product's wide ones (B × 16·width). Closing it: larger blocks (more rows per block) for "
          + "the block product.",
      "softmax_fisher_vs_gram",
      "The softmax fisher factor rows are formed from the (B·K)×N Jacobian by a K×K combination per example before the Gram; "
          + "this extra memory traffic is O(B·K²·N) against O(B·K·N²) for the Gram. Closing it: form the rows as Kronecker products "
          + "C_b ⊗ x̃_b directly (no Jacobian), which is what the softmax structure allows.");

  private BenchReport() {}

  /** The numbers of this run that bear on a missed figure, as a sentence (empty when there are none). */
  @SuppressWarnings("unchecked")
  static String thisRun(String id, Map<String, Object> sections) {
    if (id.startsWith("estimate_vs_mllib_n") && sections.get("mllib") instanceof Map<?, ?> m && m.get("results") instanceof List<?> rows) {
      int n = Integer.parseInt(id.substring("estimate_vs_mllib_n".length()));
      for (Object o : rows) {
        Map<String, Object> r = (Map<String, Object>) o;
        if (((Number) r.get("n")).intValue() != n || !(r.get("speedup_ceiling") instanceof Number ceiling)) continue;
        return String.format(Locale.ROOT, " In this run: ceiling %.2f, Pullback at %.2f times the BLAS-limit time (%.2f s against %.2f s).",
            ceiling.doubleValue(), num(r.get("pullback_over_blas_limit")), num(r.get("pullback_seconds")), num(r.get("blas_limit_seconds")));
      }
    }
    if (id.equals("executors_2_vs_1") && sections.get("scaling") instanceof Map<?, ?> sc && sc.get("two_kernels_over_one") instanceof Map<?, ?> two
        && sc.get("rows") instanceof List<?> local && !local.isEmpty()) {
      Map<String, Object> last = (Map<String, Object>) local.get(local.size() - 1);
      return String.format(Locale.ROOT, " In this run: machine ceiling %.2f; the same %s rows in one JVM with two task threads (local mode) "
          + "took %.2f s.", num(two.get("mean")), last.get("rows"), num(last.get("seconds")));
    }
    return "";
  }

  /** {@code value} formatted, or "–" when absent (results written before the column existed). */
  private static String optional(Object value, String format) {
    return value instanceof Number v ? String.format(Locale.ROOT, format, v.doubleValue()) : "–";
  }

  /** Writes {@code OUT/REPORT.md} (and its plots under {@code OUT/results}) from the values {@code latest.json} holds. */
  static void write(Path out, Map<String, Object> all, List<Figure> figures, Map<String, Object> sections) {
    Path results = out.resolve("results");
    StringBuilder md = new StringBuilder();
    header(md, all);
    targets(md, figures, sections);
    kernelTable(md, sections);
    estimateTables(md, sections, results);
    softmaxTable(md, sections);
    gramProductTable(md, sections);
    scalingTables(md, sections, results);
    trainingTable(md, sections);
    loadTables(md, sections);
    kfacTables(md, sections);
    Bench.writeText(out.resolve("REPORT.md"), md.toString());
  }

  /** Title, provenance (command, commit, machine, versions) and the BLAS in use. */
  @SuppressWarnings("unchecked")
  private static void header(StringBuilder md, Map<String, Object> all) {
    md.append("# Pullback benchmark\n\n");
    md.append("Produced by `").append(all.get("command")).append("` (git commit `").append(all.get("git_commit")).append("`), ")
        .append(all.get("started")).append(" to ").append(all.get("finished"))
        .append(String.format(Locale.ROOT, " (%.0f s). Every number is in `results/latest.json`.\n\n", ((Number) all.get("seconds")).doubleValue()));
    Map<String, Object> machine = (Map<String, Object>) all.get("machine");
    Map<String, Object> versions = (Map<String, Object>) all.get("versions");
    Map<String, Object> blas = (Map<String, Object>) all.get("blas");
    md.append("Machine: ").append(machine.get("cpu")).append(", ").append(machine.get("cores")).append(" cores, ")
        .append(machine.get("memory")).append(", load average (1, 5, 15 min) at the start ").append(machine.get("load_average_at_start"))
        .append(" and at the end ").append(machine.get("load_average_at_end")).append(". ")
        .append("Java ").append(versions.get("java")).append(", Spark ").append(versions.get("spark")).append(", Scala ")
        .append(versions.get("scala")).append(". Spark master `").append(all.get("spark_master")).append("`.\n\n");
    md.append("BLAS in use: ").append(blas.get("implementation"))
        .append(blas.get("library") == null ? "" : " (" + blas.get("library") + ")")
        .append(", Gram kernel `").append(blas.get("gram_kernel")).append("`, OPENBLAS_NUM_THREADS=").append(blas.get("OPENBLAS_NUM_THREADS"))
        .append(".\n\n");
    md.append("Every target is a ratio of two timings taken in this run on this machine (the machine is shared, so absolute times "
        + "vary from run to run; the ratios are what the targets constrain).\n\n");
  }

  /** Every figure with its target and result; why each missed one missed. */
  private static void targets(StringBuilder md, List<Figure> figures, Map<String, Object> sections) {
    md.append("## Targets\n\n| figure | value | target | result | measured |\n|---|---|---|---|---|\n");
    for (Figure f : figures) {
      md.append("| ").append(f.title()).append(" | ").append(Figure.fmt(f.value())).append(" | ").append(f.target().isEmpty() ? "–" : f.target())
          .append(" | **").append(f.status()).append("** | ").append(f.note()).append(" |\n");
    }
    md.append('\n');
    List<Figure> missed = figures.stream().filter(f -> Boolean.FALSE.equals(f.pass())).toList();
    if (!missed.isEmpty()) {
      md.append("### Missed targets: why, and what would close them\n\n");
      for (Figure f : missed) md.append("* **").append(f.id()).append("** (").append(Figure.fmt(f.value())).append(", target ").append(f.target())
          .append("): ").append(WHY_MISSED.getOrDefault(f.id(), KfacBench.WHY_MISSED.getOrDefault(f.id(), ""))).append(thisRun(f.id(), sections)).append("\n");
      md.append('\n');
    }
  }

  /** (a): every kernel point of every BLAS. */
  @SuppressWarnings("unchecked")
  private static void kernelTable(StringBuilder md, Map<String, Object> sections) {
    Object kernel = sections.get("kernel");
    if (kernel instanceof Map<?, ?> k && k.get("providers") instanceof List<?> providers) {
      md.append("## (a) Gram kernel against each BLAS's own dgemm (single thread)\n\n")
          .append("Kernel GFLOP/s count the symmetric result (rows·N·(N+1)); dgemm GFLOP/s count 2·rows·N². Best of interleaved rounds.\n\n")
          .append("| BLAS | kernel | N | rows per call | tile | kernel GFLOP/s | own dgemm GFLOP/s | ratio |\n|---|---|---|---|---|---|---|---|\n");
      for (Object o : providers) {
        Map<String, Object> p = (Map<String, Object>) o;
        if (!Boolean.TRUE.equals(p.get("available"))) {
          md.append("| ").append(p.get("provider")).append(" | not available: ").append(p.get("note")).append(" | | | | | | |\n");
          continue;
        }
        for (Object q : (List<Object>) p.get("points")) {
          Map<String, Object> pt = (Map<String, Object>) q;
          md.append("| ").append(p.get("provider")).append(" | ").append(pt.get("kernel")).append(" | ").append(pt.get("n")).append(" | ")
              .append(pt.get("rows")).append(" | ").append(pt.get("tile")).append(" | ").append(Figure.fmt(num(pt.get("kernel_gflops"))))
              .append(" | ").append(Figure.fmt(num(pt.get("dgemm_gflops")))).append(" | ").append(Figure.fmt(num(pt.get("ratio_best")))).append(" |\n");
        }
      }
      md.append("\nIn use: ").append(k.get("in_use")).append(". Tuning: the fastest (kernel, tile, rows) per BLAS is in `sections.kernel.providers[].best`.\n\n");
    }
  }

  /** (b, c): the estimate against MLlib and numpy per N, with its plot. */
  @SuppressWarnings("unchecked")
  private static void estimateTables(StringBuilder md, Map<String, Object> sections, Path results) {
    Object mllib = sections.get("mllib");
    Object numpy = sections.get("numpy");
    List<Plot> est = new ArrayList<>();
    if (mllib instanceof Map<?, ?> m && m.get("results") instanceof List<?> rows) {
      md.append("## (b, c) Estimate against MLlib `RowMatrix.computeGramianMatrix` and numpy `J.T @ J`\n\n")
          .append("Same cached rows for Pullback and MLlib (same session, same BLAS); numpy in a python3 process with every core. Compute only.\n\n")
          .append("BLAS limit: the time the Gram kernels alone need for the same flops, as many running at once as the estimate has tasks "
              + "(no Spark, no data); ceiling = MLlib s / BLAS limit s, the most any Gram implementation could gain over MLlib here.\n\n")
          .append("| N | M | Pullback s | MLlib s | speedup vs MLlib | BLAS limit s | Pullback / BLAS limit | ceiling | numpy s | Pullback / numpy | "
              + "Pullback GFLOP/s | max rel. diff vs MLlib |\n")
          .append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
      double[] xs = new double[rows.size()];
      double[] ours = new double[rows.size()];
      double[] theirs = new double[rows.size()];
      double[] np = new double[rows.size()];
      int i = 0;
      for (Object o : rows) {
        Map<String, Object> r = (Map<String, Object>) o;
        int n = ((Number) r.get("n")).intValue();
        Double npSeconds = numpySeconds(numpy, n);
        xs[i] = n;
        ours[i] = num(r.get("pullback_seconds"));
        theirs[i] = num(r.get("mllib_seconds"));
        np[i] = npSeconds == null ? Double.NaN : npSeconds;
        i++;
        md.append("| ").append(n).append(" | ").append(r.get("rows")).append(" | ").append(String.format(Locale.ROOT, "%.3f", num(r.get("pullback_seconds"))))
            .append(" | ").append(String.format(Locale.ROOT, "%.3f", num(r.get("mllib_seconds")))).append(" | ").append(Figure.fmt(num(r.get("speedup"))))
            .append(" | ").append(optional(r.get("blas_limit_seconds"), "%.3f")).append(" | ").append(optional(r.get("pullback_over_blas_limit"), "%.2f"))
            .append(" | ").append(optional(r.get("speedup_ceiling"), "%.2f"))
            .append(" | ").append(npSeconds == null ? "–" : String.format(Locale.ROOT, "%.3f", npSeconds)).append(" | ")
            .append(npSeconds == null ? "–" : Figure.fmt(num(r.get("pullback_seconds")) / npSeconds)).append(" | ")
            .append(Figure.fmt(num(r.get("pullback_gflops")))).append(" | ").append(String.format(Locale.ROOT, "%.1e", num(r.get("max_relative_difference"))))
            .append(" |\n");
      }
      est.add(new Plot("Pullback estimate", xs, ours));
      est.add(new Plot("MLlib computeGramianMatrix", xs, theirs));
      est.add(new Plot("numpy J.T @ J", xs, np));
      plot(results.resolve("estimate-vs-mllib.png"), "Gram of M rows: seconds against N", "N (columns)", "seconds", est);
      md.append("\n![estimate time against N](results/estimate-vs-mllib.png)\n\n");
    }
    if (numpy instanceof Map<?, ?> n) {
      md.append("numpy: ").append(n.containsKey("skipped") ? n.get("skipped") : "version " + n.get("numpy_version") + "; " + n.get("environment"))
          .append(".\n\n");
    }
  }

  /** Softmax fisher against the pure Gram. */
  private static void softmaxTable(StringBuilder md, Map<String, Object> sections) {
    Object softmax = sections.get("softmax");
    if (softmax instanceof Map<?, ?> s && s.containsKey("fisher_seconds")) {
      md.append("## Softmax fisher against a pure Gram\n\n| K | D | N | examples | factor rows | fisher s | pure Gram s | ratio |\n|---|---|---|---|---|---|---|---|\n")
          .append("| ").append(s.get("classes")).append(" | ").append(s.get("features")).append(" | ").append(s.get("n")).append(" | ")
          .append(s.get("examples")).append(" | ").append(s.get("factor_rows")).append(" | ")
          .append(String.format(Locale.ROOT, "%.3f | %.3f | %s |\n\n", num(s.get("fisher_seconds")), num(s.get("pure_gram_seconds")),
              Figure.fmt(num(s.get("fisher_seconds")) / num(s.get("pure_gram_seconds")))));
    }
  }

  /** The load section: every reader side by side (MB/s and rows/s, per core), then start-up. */
  private static void loadTables(StringBuilder md, Map<String, Object> sections) {
    if (!(sections.get("load") instanceof Map<?, ?> load) || !(load.get("readers") instanceof List<?> readers)) return;
    md.append("## Loading: Pullback's readers against scikit-learn, pandas and Spark's own\n\n")
        .append(String.format(Locale.ROOT, "%s rows × %s features for LIBSVM and CSV (the same values, six decimals), %s rows for Parquet. "
            + "Pullback: the load `estimate` makes (`--partitions 2`, `--features` for LIBSVM). spark-pipeline: Spark's reader, "
            + "`zipWithIndex`, validation and packing, as Pullback loaded before its own readers. spark-count: Spark's reader counting "
            + "rows (CSV and Parquet with every column evaluated). scikit-learn and pandas: one thread, in python3. Best of two.%n%n",
            load.get("rows"), load.get("features"), load.get("parquet_rows")))
        .append("| format | reader | seconds | rows | MB | cores | MB/s | rows/s | MB/s per core | rows/s per core |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (Object o : readers) {
      Map<?, ?> r = (Map<?, ?>) o;
      md.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %s | %.1f | %s | %.1f | %.0f | %.1f | %.0f |%n", r.get("format"), r.get("reader"),
          num(r.get("seconds")), r.get("rows"), num(r.get("bytes")) / 1e6, r.get("cores"), num(r.get("mb_per_second")),
          num(r.get("rows_per_second")), num(r.get("mb_per_second_per_core")), num(r.get("rows_per_second_per_core"))));
    }
    if (load.get("python") instanceof Map<?, ?> py) {
      for (String lib : List.of("sklearn", "pandas")) {
        if (py.get(lib) instanceof Map<?, ?> m && m.get("missing") != null) md.append("\n").append(lib).append(" not measured: ").append(m.get("missing")).append("\n");
      }
    }
    if (load.get("startup") instanceof Map<?, ?> st && st.get("estimate_seconds") != null) {
      md.append("\n### Start-up and the whole command\n\n| `--version` s | estimate: first task s | whole estimate s | its load s | its compute s "
          + "| whole / compute |\n|---|---|---|---|---|---|\n")
          .append(String.format(Locale.ROOT, "| %.2f | %.2f | %.2f | %.2f | %.3f | %.1f |%n%n", num(st.get("version_seconds")),
              num(st.get("first_task_seconds")), num(st.get("estimate_seconds")), num(st.get("load_seconds")), num(st.get("compute_seconds")),
              num(st.get("estimate_over_compute"))))
          .append("The estimate is `bin/pullback estimate --data LIBSVM --features 50 --model logistic --partitions 2`, timed from the "
              + "process start (after one warm-up run, so the class-data sharing archive exists) to its first task and to its exit.\n\n");
    }
  }

  /** (g): G·V passes with s = 1 and 16 against a loss-and-gradient pass. */
  private static void gramProductTable(StringBuilder md, Map<String, Object> sections) {
    if (sections.get("gv") instanceof Map<?, ?> g && g.containsKey("gradient_seconds_median")) {
      double grad = num(g.get("gradient_seconds_median"));
      md.append("## (g) Matrix-free G·V against a gradient pass\n\n").append(g.get("model")).append(", N = ").append(g.get("n"))
          .append(", M = ").append(g.get("rows")).append(", blocks of ").append(g.get("block_rows")).append(" rows, ")
          .append(g.get("partitions")).append(" partitions; medians of ").append(g.get("rounds")).append(" interleaved rounds.\n\n")
          .append("| pass | seconds (median) | ratio of medians |\n|---|---|---|\n")
          .append(String.format(Locale.ROOT, "| loss and gradient | %.3f | 1 |\n", grad))
          .append(String.format(Locale.ROOT, "| G·v, s = 1 | %.3f | %s |\n", num(g.get("gv_s1_seconds_median")),
              Figure.fmt(num(g.get("gv_s1_seconds_median")) / grad)))
          .append(String.format(Locale.ROOT, "| G·V, s = 16 | %.3f | %s |\n\n", num(g.get("gv_s16_seconds_median")),
              Figure.fmt(num(g.get("gv_s16_seconds_median")) / grad)));
    }
  }

  /** (d): time against M (with its plot) and against executors. */
  @SuppressWarnings("unchecked")
  private static void scalingTables(StringBuilder md, Map<String, Object> sections, Path results) {
    Object scaling = sections.get("scaling");
    if (scaling instanceof Map<?, ?> sc && sc.get("rows") instanceof List<?> byRows) {
      md.append("## (d) Scaling\n\nAgainst M (local mode, data cached):\n\n| M | N | seconds | µs per row |\n|---|---|---|---|\n");
      double[] xs = new double[byRows.size()];
      double[] ys = new double[byRows.size()];
      int i = 0;
      for (Object o : byRows) {
        Map<String, Object> r = (Map<String, Object>) o;
        xs[i] = num(r.get("rows"));
        ys[i++] = num(r.get("seconds"));
        md.append("| ").append(r.get("rows")).append(" | ").append(r.get("n")).append(" | ").append(String.format(Locale.ROOT, "%.3f", num(r.get("seconds"))))
            .append(" | ").append(Figure.fmt(num(r.get("microseconds_per_row")))).append(" |\n");
      }
      plot(results.resolve("scaling-rows.png"), "Estimate time against M", "M (rows)", "seconds", List.of(new Plot("Pullback estimate", xs, ys)));
      md.append("\n![time against M](results/scaling-rows.png)\n\n");
      if (sc.get("executors") instanceof List<?> ex) {
        md.append("Against executors (`local-cluster[E,1,").append(sc.get("executor_memory_mb")).append("]`, one core each, separate driver JVM, 16 partitions, the run starts once every executor has registered):\n\n")
            .append("| master | seconds | cached partitions per executor | shuffle write bytes | task result bytes | driver peak heap MiB |\n|---|---|---|---|---|---|\n");
        for (Object o : ex) {
          Map<String, Object> r = (Map<String, Object>) o;
          if (r.containsKey("error")) {
            md.append("| ").append(r.get("master")).append(" | failed: ").append(r.get("error")).append(" | | | | |\n");
            continue;
          }
          md.append("| ").append(r.get("master")).append(" | ").append(String.format(Locale.ROOT, "%.3f", num(r.get("estimate_seconds")))).append(" | ")
              .append(r.get("partitions_per_executor")).append(" | ").append(r.get("shuffle_write_bytes")).append(" | ").append(r.get("task_result_bytes")).append(" | ")
              .append(((Number) r.get("driver_peak_heap_bytes")).longValue() >> 20).append(" |\n");
        }
        md.append('\n');
      }
    }
  }

  /** (e): ngd against MLlib L-BFGS, data passes to MLlib's final loss. */
  private static void trainingTable(StringBuilder md, Map<String, Object> sections) {
    Object training = sections.get("training");
    if (training instanceof Map<?, ?> t) {
      md.append("## (e) Training: ngd against MLlib LogisticRegression (L-BFGS)\n\n");
      if (t.containsKey("skipped")) {
        md.append("Skipped: ").append(t.get("skipped")).append(".\n\n");
      } else {
        md.append("Data: `").append(t.get("dataset")).append("`. Target: MLlib's final loss ").append(t.get("mllib_final_loss"))
            .append(" within 1e-6 relative (ngd's final loss differs by ").append(String.format(Locale.ROOT, "%.1e", num(t.get("relative_loss_difference"))))
            .append(").\n\n| arm | passes to target | total passes | seconds |\n|---|---|---|---|\n")
            .append("| ngd (exact Fisher, η = 1) | ").append(t.get("ngd_passes_to_target")).append(" | ").append(t.get("ngd_total_passes"))
            .append(" | ").append(String.format(Locale.ROOT, "%.2f", num(t.get("ngd_train_seconds")))).append(" |\n")
            .append("| MLlib L-BFGS | ~").append(String.format(Locale.ROOT, "%.0f", num(t.get("mllib_passes_to_target_estimate"))))
            .append(" (iteration ").append(t.get("mllib_iterations_to_target")).append(" of ").append(t.get("mllib_iterations")).append(") | ")
            .append(t.get("mllib_total_passes")).append(" | ").append(String.format(Locale.ROOT, "%.2f", num(t.get("mllib_seconds")))).append(" |\n\n")
            .append("MLlib's passes to the target are estimated from its objective history (total Spark jobs × iterations to target / iterations).\n\n");
      }
    }
  }

  /** (h): K-FAC against SGD-momentum and Adam on the MNIST autoencoder, step cost and time to SGD's final error. */
  @SuppressWarnings("unchecked")
  private static void kfacTables(StringBuilder md, Map<String, Object> sections) {
    if (!(sections.get("kfac") instanceof Map<?, ?> k)) return;
    md.append("## (h) K-FAC against SGD-momentum and Adam: the MNIST autoencoder\n\n");
    if (k.containsKey("skipped")) {
      md.append("Skipped: ").append(k.get("skipped")).append(".\n\n");
      return;
    }
    Map<String, Object> c = (Map<String, Object>) k.get("step_cost");
    md.append("Step cost: autoencoder ").append(c.get("architecture")).append(" (N = ").append(c.get("n_params")).append("), ")
        .append(c.get("examples")).append(" images, mini-batches of ").append(c.get("batch"))
        .append(" (the same examples at the same step for both arms), ").append(c.get("steps_per_arm"))
        .append(" steps per arm, step 1 left out; K-FAC refreshing its inverses every 2 steps, amortised over T3 = ")
        .append(c.get("inverse_every_amortised")).append(".\n\n| step | seconds (median) |\n|---|---|\n")
        .append(String.format(Locale.ROOT, "| K-FAC, no inverse refresh | %.3f |%n", num(c.get("kfac_plain_step_seconds_median"))))
        .append(String.format(Locale.ROOT, "| K-FAC, with inverse refresh | %.3f |%n", num(c.get("kfac_refresh_step_seconds_median"))))
        .append(String.format(Locale.ROOT, "| K-FAC, amortised | %.3f |%n", num(c.get("kfac_amortised_step_seconds"))))
        .append(String.format(Locale.ROOT, "| SGD-momentum | %.3f |%n%n", num(c.get("sgd_step_seconds_median"))));
    Map<String, Object> r = (Map<String, Object>) k.get("time_to_target");
    md.append("Time to SGD-momentum's final error: autoencoder ").append(r.get("architecture")).append(" on the first ").append(r.get("images"))
        .append(" images, mini-batches of 5 %, ").append(r.get("steps_per_arm")).append(" steps per arm; target ")
        .append(String.format(Locale.ROOT, "%.6g", num(r.get("target_error")))).append(", the final training squared reconstruction error of ")
        .append(r.get("sgd_best")).append(" (best of the SGD grid; Adam's best: ").append(r.get("adam_best")).append(").\n\n")
        .append("| arm | final squared error | reached at step | seconds to target | train seconds |\n|---|---|---|---|---|\n");
    Map<String, Object> ttt = (Map<String, Object>) r.get("time_to_target");
    List<Map<String, Object>> arms = (List<Map<String, Object>>) r.get("arms");
    for (Map<String, Object> row : (List<Map<String, Object>>) ttt.get("arms")) {
      Map<String, Object> arm = arms.stream().filter(a -> a.get("name").equals(row.get("name"))).findFirst().orElse(Map.of());
      md.append(String.format(Locale.ROOT, "| %s | %.6g | %s | %s | %.2f |%n", row.get("name"), num(row.get("final_error")),
          row.get("step") == null ? "never" : row.get("step"),
          row.get("seconds") == null ? "—" : String.format(Locale.ROOT, "%.2f", num(row.get("seconds"))), num(arm.get("train_seconds"))));
    }
    md.append('\n');
  }

  private static Double numpySeconds(Object numpy, int n) {
    if (!(numpy instanceof Map<?, ?> m) || !(m.get("results") instanceof List<?> rows)) return null;
    for (Object o : rows) {
      Map<?, ?> r = (Map<?, ?>) o;
      if (((Number) r.get("n")).intValue() == n) return num(r.get("numpy_seconds"));
    }
    return null;
  }

  private static double num(Object o) {
    return o instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  record Plot(String name, double[] x, double[] y) {}

  static void plot(Path file, String title, String xLabel, String yLabel, List<Plot> series) {
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    int added = 0;
    for (Plot s : series) {
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (int i = 0; i < s.y().length; i++) {
        if (Double.isFinite(s.y()[i]) && s.y()[i] > 0) {
          xs.add(s.x()[i]);
          ys.add(s.y()[i]);
        }
      }
      if (xs.isEmpty()) continue;
      chart.addSeries(s.name(), xs, ys).setMarker(SeriesMarkers.CIRCLE);
      added++;
    }
    if (added == 0) chart.addSeries("(no data)", new double[] {0}, new double[] {1});
    try {
      java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
      String name = file.toString();
      BitmapEncoder.saveBitmap(chart, name.substring(0, name.length() - 4), BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write plot " + file + ": " + e.getMessage(), e);
    }
  }
}
