package io.pullback.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/**
 * Plots a person can read: every log axis carries at least two tick labels whatever the span of the
 * data (read back from XChart after rendering), and spectra are drawn down to a marked rounding floor.
 */
class PlotsTest {
  @TempDir
  Path dir;

  /** A decreasing curve from {@code hi} to {@code lo} (geometric), as a loss or a spectrum. */
  static Plots.Series curve(String name, double hi, double lo, int n) {
    double[] x = new double[n];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = i;
      y[i] = hi * Math.pow(lo / hi, i / (n - 1.0));
    }
    return new Plots.Series(name, x, y);
  }

  @Test
  void logAxesHaveAtLeastTwoLabelsForAnySpan() throws Exception {
    long seed = 16;
    Random rnd = new Random(seed);
    System.out.println("PlotsTest seed " + seed);
    // Spans from a factor 1 + 1e-15 (an identity metric) through less than a decade (logistic losses) to 19 decades.
    double[][] ranges = {{1 + 1e-15, 1 - 1e-15}, {0.69, 0.128}, {0.3, 0.05}, {0.11, 0.09}, {5e3, 4e3}, {1, 1e-19}};
    for (double[] r : ranges) {
      XYChart chart = Plots.lineChart("t", "step", "loss", true, List.of(curve("a", r[0], r[1], 12)));
      assertThat(Plots.yTickLabels(chart)).as("labels for data in [%s, %s]", r[1], r[0]).hasSizeGreaterThanOrEqualTo(2);
    }
    for (int trial = 0; trial < 50; trial++) {
      double hi = Math.pow(10, rnd.nextDouble() * 20 - 10);
      double lo = hi * Math.pow(10, -rnd.nextDouble() * 3);
      XYChart chart = Plots.lineChart("t", "step", "loss", true, List.of(curve("a", hi, lo, 8)));
      assertThat(Plots.yTickLabels(chart)).as("labels for data in [%s, %s]", lo, hi).hasSizeGreaterThanOrEqualTo(2);
    }
    // A linear axis is left to XChart, and labelled.
    assertThat(Plots.yTickLabels(Plots.lineChart("t", "x", "y", false, List.of(curve("a", 0.5, 0.4, 5))))).hasSizeGreaterThanOrEqualTo(2);
    Path png = dir.resolve("p.png");
    Plots.line(png, "t", "step", "loss", true, List.of(curve("a", 0.69, 0.128, 12)));
    assertThat(Files.size(png)).isGreaterThan(1000);
  }

  @Test
  void spectraAreDrawnDownToAMarkedRoundingFloor() {
    // A spectrum of 1 … 1e-12 followed by rounding: 1e-19, 0 and a negative value.
    double[] lambda = {1, 1e-3, 1e-6, 1e-9, 1e-12, 1e-19, 0, -3e-17};
    double[] idx = new double[lambda.length];
    for (int i = 0; i < idx.length; i++) idx[i] = i + 1;
    XYChart chart = Plots.spectrumChart("s", List.of(new Plots.Series("G", idx, lambda)));
    double floor = Math.ulp(1.0) * 1;
    XYSeries above = chart.getSeries("G");
    assertThat(above.getYData()).containsExactly(1, 1e-3, 1e-6, 1e-9, 1e-12);
    XYSeries below = chart.getSeries("G: 3 below rounding");
    assertThat(below).as("values below ε·λ_max, drawn on the floor").isNotNull();
    assertThat(below.getYData()).containsOnly(floor);
    assertThat(below.getXData()).containsExactly(6.0, 7.0, 8.0);
    XYSeries line = chart.getSeriesCollection().stream().filter(s -> s.getName().startsWith("rounding floor")).findFirst().orElseThrow();
    assertThat(line.getYData()).containsOnly(floor);
    assertThat(chart.getStyler().getYAxisMin()).as("the floor is inside the plot").isLessThan(floor);
    assertThat(Plots.yTickLabels(chart)).hasSizeGreaterThanOrEqualTo(2);

    // An identity metric (1 ± 1e-15): one flat, labelled curve, nothing below rounding.
    double[] identity = {1 + 1e-15, 1, 1 - 1e-15};
    XYChart flat = Plots.spectrumChart("i", List.of(new Plots.Series("I", new double[] {1, 2, 3}, identity)));
    assertThat(flat.getSeriesCollection().stream().noneMatch(k -> k.getName().contains("below rounding"))).isTrue();
    assertThat(Plots.yTickLabels(flat)).hasSizeGreaterThanOrEqualTo(2);
  }

  /**
   * A density on log-log axes: both axes logarithmic and titled, at least two tick labels on each
   * for a narrow (a tenth of a decade) and a wide (twelve decades) grid; the Gaussian tails below
   * {@code DENSITY_CUT·peak} and λ ≤ 0 are not drawn.
   */
  @Test
  void densityChartIsLogLogAndLabelledForAnySpan() {
    for (double[] span : new double[][] {{1.0, 1.25}, {1e-12, 1.0}, {3e-4, 2e-2}}) {
      int n = 400;
      double[] x = new double[n];
      double[] y = new double[n];
      double mid = Math.sqrt(span[0] * span[1]);
      for (int i = 0; i < n; i++) {
        x[i] = span[0] * Math.pow(span[1] / span[0], i / (n - 1.0));
        double z = Math.log(x[i] / mid) / (0.05 * Math.log(span[1] / span[0]));
        y[i] = Math.exp(-0.5 * z * z) / x[i];
      }
      x[0] = 0; // not drawn on a log axis
      XYChart chart = Plots.densityChart("d", new Plots.Series("slq", x, y));
      assertThat(chart.getStyler().isXAxisLogarithmic()).isTrue();
      assertThat(chart.getStyler().isYAxisLogarithmic()).isTrue();
      assertThat(chart.getXAxisTitle()).contains("eigenvalue");
      assertThat(chart.getYAxisTitle()).contains("density");
      double[] drawnY = chart.getSeries("slq").getYData();
      double peak = java.util.Arrays.stream(drawnY).max().getAsDouble();
      for (double v : drawnY) assertThat(v).isGreaterThanOrEqualTo(Plots.DENSITY_CUT * peak);
      assertThat(drawnY.length).as("tails cut for %s", java.util.Arrays.toString(span)).isLessThan(n - 1);
      for (double v : chart.getSeries("slq").getXData()) assertThat(v).isPositive();
      assertThat(Plots.xTickLabels(chart)).as("x labels for %s", java.util.Arrays.toString(span)).hasSizeGreaterThanOrEqualTo(2);
      assertThat(Plots.yTickLabels(chart)).as("y labels for %s", java.util.Arrays.toString(span)).hasSizeGreaterThanOrEqualTo(2);
    }
  }
}
