package io.pullback.bench;

import io.pullback.data.RowSampler;
import io.pullback.distributed.DataLoader;
import io.pullback.distributed.LoadedData;
import io.pullback.distributed.SparkBlockData;
import io.pullback.distributed.TrainingPass;
import io.pullback.job.InputConfig;
import io.pullback.job.RunContext;
import io.pullback.loss.Loss;
import io.pullback.loss.LossGradient;
import io.pullback.metric.FactorRows;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.GramOperator;
import io.pullback.metric.representation.Representations;
import io.pullback.model.Activation;
import io.pullback.model.LabelRule;
import io.pullback.model.MlpModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.sql.SparkSession;

/**
 * Section {@code gv} of {@code pullback bench} (issue 17, item 1): one matrix-free {@code G·V} pass
 * of the implicit representation ({@link Representations#gramOperator}) with s = 1 and s = 16
 * vectors, against one loss-and-gradient pass ({@link TrainingPass#run}, what a training step
 * costs) on the same cached data, same session. The model is a tanh MLP
 * {@code 32 → 128 → 128 → 1} (N = 20,865) with the {@code function} metric (r = 1), blocks as the
 * product sizes them ({@link InputConfig#blockRowsFor}). Rounds interleave the three passes (after
 * one warm-up of each); each figure is the median over rounds of the per-round ratio, so a load
 * spike on the shared machine hits both sides of a ratio alike.
 */
final class GramProductBench {
  static final List<String> FIGURES = List.of("gv_s1_vs_gradient", "gv_s16_vs_gradient");
  static final int[] HIDDEN = {128, 128};
  static final int FEATURES = 32;

  private GramProductBench() {}

  /** What the section measured: its JSON entry and its two figures. */
  record Result(Map<String, Object> section, List<Figure> figures) {}

  static Result run(SparkSession spark, long rows, int rounds) {
    MlpModel model = new MlpModel(FEATURES, HIDDEN, 1, Activation.TANH);
    int n = model.numParams();
    int p = spark.sparkContext().defaultParallelism();
    String data = "synthetic:gaussian?rows=" + rows + "&features=" + FEATURES + "&seed=17&outputs=1";
    LabelRule rule = new LabelRule(model.distribution(), 1, "mlp");
    int blockRows = InputConfig.blockRowsFor(n, 1);
    LoadedData loaded = DataLoader.load(spark, new DataLoader.Options(data, null, null, null, null, p, d -> blockRows, rule));
    try {
      double[] theta = model.initialParams(3);
      LossGradient lossGradient = new LossGradient(model, Loss.defaultFor(model));
      long budget = RunContext.of(spark).reduceBudgetBytes();
      GramOperator op = Representations.gramOperator(new SparkBlockData(loaded, budget), new FactorRows(model, MetricKind.FUNCTION, 1, 0), theta);
      double[][] one = vectors(1, n);
      double[][] sixteen = vectors(16, n);
      Runnable gradient = () -> TrainingPass.run(loaded, lossGradient, theta, null, RowSampler.all(), RowSampler.all(), 1, budget);
      Runnable s1 = () -> op.apply(one);
      Runnable s16 = () -> op.apply(sixteen);
      gradient.run();
      s1.run();
      s16.run();
      List<double[]> times = new ArrayList<>();
      for (int r = 0; r < rounds; r++) times.add(new double[] {time(gradient), time(s1), time(s16)});
      return result(times, rows, n, blockRows, p, rounds);
    } finally {
      loaded.release();
    }
  }

  private static Result result(List<double[]> times, long rows, int n, int blockRows, int p, int rounds) {
    double[] r1 = times.stream().mapToDouble(t -> t[1] / t[0]).toArray();
    double[] r16 = times.stream().mapToDouble(t -> t[2] / t[0]).toArray();
    double grad = median(times.stream().mapToDouble(t -> t[0]).toArray());
    double gv1 = median(times.stream().mapToDouble(t -> t[1]).toArray());
    double gv16 = median(times.stream().mapToDouble(t -> t[2]).toArray());
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("model", "mlp " + FEATURES + "-" + HIDDEN[0] + "-" + HIDDEN[1] + "-1 tanh, function metric");
    section.put("n", n);
    section.put("rows", rows);
    section.put("block_rows", blockRows);
    section.put("partitions", p);
    section.put("rounds", rounds);
    section.put("gradient_seconds_median", grad);
    section.put("gv_s1_seconds_median", gv1);
    section.put("gv_s16_seconds_median", gv16);
    section.put("gv_s16_seconds_per_vector", gv16 / 16);
    section.put("ratios_s1", r1);
    section.put("ratios_s16", r16);
    List<Figure> figures = List.of(
        Figure.atMost("gv_s1_vs_gradient", "one G·v pass (s = 1) / one loss-and-gradient pass, MLP N = " + n + ", M = " + rows,
            median(r1), 3, String.format(Locale.ROOT, "G·v %.3f s, gradient %.3f s (medians of %d interleaved rounds)", gv1, grad, rounds)),
        Figure.atMost("gv_s16_vs_gradient", "one G·V pass (s = 16) / one loss-and-gradient pass, MLP N = " + n + ", M = " + rows,
            median(r16), 8, String.format(Locale.ROOT, "G·V %.3f s (%.3f s per vector), gradient %.3f s", gv16, gv16 / 16, grad)));
    return new Result(section, figures);
  }

  private static double[][] vectors(int s, int n) {
    SplittableRandom rng = new SplittableRandom(5);
    double[][] v = new double[s][n];
    for (double[] x : v) for (int j = 0; j < n; j++) x[j] = rng.nextDouble(-1, 1);
    return v;
  }

  private static double time(Runnable r) {
    long t = System.nanoTime();
    r.run();
    return (System.nanoTime() - t) / 1e9;
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    int m = s.length;
    return m % 2 == 1 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
  }
}
