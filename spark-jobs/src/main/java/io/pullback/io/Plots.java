package io.pullback.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG line plots (XChart, headless) that a person can read.
 *
 * <p>Log axes are always labelled: XChart labels a log axis only at powers of ten, so a range that
 * holds fewer than two of them is widened to the enclosing decades, and within one or two decades the
 * intermediate values (2, 3, …, 9 × 10^k) are labelled too. Spectra ({@link #spectrumChart}) are drawn
 * down to the rounding floor {@code ε·λ_max} ({@code ε = 2^-52}), marked by a dashed line; eigenvalues
 * below it (zero, negative or tiny: rounding, not information) are drawn on the floor with their own
 * marker instead of being dropped or drawn as if they meant something.
 */
public final class Plots {
  /** One named curve. */
  public record Series(String name, double[] x, double[] y) {}

  /** A chart, the PNG file it is written to and the one-line caption a report shows under it. */
  public record Figure(String file, String caption, XYChart chart) {}

  /** Machine epsilon, the relative accuracy of a backward-stable symmetric eigensolver. */
  public static final double EPSILON = Math.ulp(1.0);

  private Plots() {}

  /** Writes a line plot to {@code file} (PNG, any Hadoop file system); see {@link #lineChart}. */
  public static void line(Location file, String title, String xLabel, String yLabel, boolean logY, List<Series> series) {
    write(lineChart(title, xLabel, yLabel, logY, series), file);
  }

  /** Writes a line plot to a local {@code file} (PNG); see {@link #lineChart}. */
  public static void line(Path file, String title, String xLabel, String yLabel, boolean logY, List<Series> series) {
    write(lineChart(title, xLabel, yLabel, logY, series), file);
  }

  /** A line plot; non-finite values are dropped, and non-positive ones on a log axis. */
  public static XYChart lineChart(String title, String xLabel, String yLabel, boolean logY, List<Series> series) {
    XYChart chart = newChart(title, xLabel, yLabel, logY);
    double[] range = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
    for (Series s : series) {
      Series kept = keep(s, logY);
      if (kept.y().length == 0) continue;
      XYSeries xy = chart.addSeries(s.name(), kept.x(), kept.y());
      xy.setMarker(kept.y().length <= 60 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
      for (double v : kept.y()) {
        range[0] = Math.min(range[0], v);
        range[1] = Math.max(range[1], v);
      }
    }
    if (chart.getSeriesCollection().isEmpty()) {
      chart.addSeries("(no positive values)", new double[] {0}, new double[] {1});
      range = new double[] {1, 1};
    }
    if (logY) labelLogAxis(chart, range[0], range[1]);
    return chart;
  }

  /**
   * Eigenvalues against their index (1 = largest) on a log axis, down to the rounding floor
   * {@code ε·λ_max} of the largest eigenvalue of all the spectra: the floor is a dashed line, values
   * below it are drawn on it (marker: cross) as "below rounding".
   */
  public static XYChart spectrumChart(String title, List<Series> spectra) {
    XYChart chart = newChart(title, "index (largest first)", "eigenvalue", true);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSW); // spectra fall to the right: the lower left is free
    double top = 0;
    int longest = 1;
    for (Series s : spectra) {
      for (double v : s.y()) if (Double.isFinite(v)) top = Math.max(top, v);
      longest = Math.max(longest, s.y().length);
    }
    if (!(top > 0)) return lineChart(title, "index (largest first)", "eigenvalue", true, spectra);
    double floor = EPSILON * top;
    for (Series s : spectra) {
      List<double[]> above = new ArrayList<>();
      List<double[]> below = new ArrayList<>();
      for (int i = 0; i < s.y().length; i++) {
        if (Double.isNaN(s.y()[i])) continue;
        (s.y()[i] >= floor ? above : below).add(new double[] {s.x()[i], Math.max(s.y()[i], floor)});
      }
      if (!above.isEmpty()) {
        chart.addSeries(s.name(), column(above, 0), column(above, 1)).setMarker(above.size() <= 60 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
      }
      if (!below.isEmpty()) {
        XYSeries b = chart.addSeries(s.name() + ": " + below.size() + " below rounding", column(below, 0), column(below, 1));
        b.setMarker(SeriesMarkers.CROSS);
        b.setLineStyle(new BasicStroke(0f));
      }
    }
    XYSeries line = chart.addSeries("rounding floor ε·λ_max = " + Numbers.sig(floor, 2), new double[] {1, longest}, new double[] {floor, floor});
    line.setMarker(SeriesMarkers.NONE);
    line.setLineColor(Color.GRAY);
    line.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
    labelLogAxis(chart, floor, top);
    // The floor line inside the plot, not on its edge: from the decade below it to the decade above λ_max.
    double bottom = Math.pow(10, Math.floor(Math.log10(floor)));
    chart.getStyler().setYAxisMin(bottom < floor ? bottom : bottom / 10);
    chart.getStyler().setYAxisMax(Math.pow(10, Math.ceil(Math.log10(top))));
    return chart;
  }

  /** Writes {@code chart} as a PNG to a local {@code file}. */
  public static void write(XYChart chart, Path file) {
    write(chart, Location.local(file));
  }

  /** Writes {@code chart} as a PNG to {@code file} on any Hadoop file system, atomically ({@link AtomicFiles}). */
  public static void write(XYChart chart, Location file) {
    System.setProperty("java.awt.headless", "true");
    byte[] png;
    try {
      png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot render plot " + file + ": " + e.getMessage(), e);
    }
    AtomicFiles.write(file, out -> out.write(png));
  }


  /**
   * The y-axis tick labels XChart draws for {@code chart}: renders it to an image (as {@link #write}
   * does) and reads the labels its tick calculator produced (null entries, unlabelled minor ticks,
   * left out). For checks: XChart keeps the axis package-private, so this reads it reflectively.
   */
  public static List<String> yTickLabels(XYChart chart) {
    return tickLabels(chart, "getYAxis");
  }

  /** The x-axis tick labels XChart draws for {@code chart}; see {@link #yTickLabels}. */
  public static List<String> xTickLabels(XYChart chart) {
    return tickLabels(chart, "getXAxis");
  }

  private static List<String> tickLabels(XYChart chart, String axisGetter) {
    System.setProperty("java.awt.headless", "true");
    BitmapEncoder.getBufferedImage(chart);
    try {
      Method getAxis = org.knowm.xchart.internal.chartpart.AxesChart.class.getDeclaredMethod(axisGetter);
      getAxis.setAccessible(true);
      Object axis = getAxis.invoke(chart);
      Object calculator = axis.getClass().getMethod("getAxisTickCalculator").invoke(axis);
      List<String> labels = new ArrayList<>();
      for (Object l : (List<?>) calculator.getClass().getMethod("getTickLabels").invoke(calculator)) {
        if (l != null && !l.toString().isBlank()) labels.add(l.toString());
      }
      return labels;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read XChart's " + axisGetter.substring(3) + " labels: " + e, e);
    }
  }

  /**
   * Makes a log y axis over data in {@code [lo, hi]} show at least two labels: when fewer than two
   * powers of ten lie in the range it is widened to the enclosing decades (one more each side for a
   * single value), and within two decades the intermediate values are labelled.
   */
  static void labelLogAxis(XYChart chart, double lo, double hi) {
    LogAxis a = logAxis(lo, hi);
    XYStyler s = chart.getStyler();
    if (a.widen()) {
      s.setYAxisMin(a.min());
      s.setYAxisMax(a.max());
    }
    s.setYAxisLogarithmicDecadeOnly(a.decadeOnly());
  }

  /** {@link #labelLogAxis} for a log x axis. */
  static void labelLogXAxis(XYChart chart, double lo, double hi) {
    LogAxis a = logAxis(lo, hi);
    XYStyler s = chart.getStyler();
    if (a.widen()) {
      s.setXAxisMin(a.min());
      s.setXAxisMax(a.max());
    }
    s.setXAxisLogarithmicDecadeOnly(a.decadeOnly());
  }

  /** How a log axis over {@code [lo, hi]} is labelled: widened to {@code [min, max]} or not, decades only or not. */
  private record LogAxis(double min, double max, boolean widen, boolean decadeOnly) {}

  private static LogAxis logAxis(double lo, double hi) {
    double a = Math.floor(Math.log10(lo));
    double b = Math.ceil(Math.log10(hi));
    if (b <= a) {
      a -= 1;
      b += 1;
    }
    int powersInside = 0;
    for (double k = a; k <= b; k++) if (Math.pow(10, k) >= lo && Math.pow(10, k) <= hi) powersInside++;
    return new LogAxis(Math.pow(10, a), Math.pow(10, b), powersInside < 2, b - a > 2);
  }

  /** Plotted density values are cut at this fraction of the peak (the Gaussian tails fall to 1e-300). */
  public static final double DENSITY_CUT = 1e-10;

  /**
   * A spectral density {@code ρ(λ)} against λ on log-log axes (both labelled, at least two tick
   * labels each); points with λ ≤ 0 or {@code ρ < DENSITY_CUT·max ρ} are not drawn.
   */
  public static XYChart densityChart(String title, Series density) {
    double peak = 0;
    for (double v : density.y()) if (Double.isFinite(v)) peak = Math.max(peak, v);
    List<double[]> kept = new ArrayList<>();
    for (int i = 0; i < density.y().length; i++) {
      double x = density.x()[i];
      double y = density.y()[i];
      if (x > 0 && Double.isFinite(x) && Double.isFinite(y) && y > 0 && y >= DENSITY_CUT * peak) kept.add(new double[] {x, y});
    }
    XYChart chart = newChart(title, "eigenvalue λ", "density ρ(λ) (∫ρ dλ = 1)", true);
    chart.getStyler().setXAxisLogarithmic(true);
    if (kept.isEmpty()) kept.add(new double[] {1, 1});
    double[] x = column(kept, 0);
    double[] y = column(kept, 1);
    chart.addSeries(density.name(), x, y).setMarker(SeriesMarkers.NONE);
    labelLogXAxis(chart, Arrays.stream(x).min().getAsDouble(), Arrays.stream(x).max().getAsDouble());
    labelLogAxis(chart, Arrays.stream(y).min().getAsDouble(), Arrays.stream(y).max().getAsDouble());
    return chart;
  }

  private static XYChart newChart(String title, String xLabel, String yLabel, boolean logY) {
    XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
    chart.getStyler().setYAxisLogarithmic(logY);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    return chart;
  }

  private static Series keep(Series s, boolean logY) {
    List<double[]> kept = new ArrayList<>();
    for (int i = 0; i < s.y().length; i++) {
      double v = s.y()[i];
      if (Double.isFinite(v) && (!logY || v > 0)) kept.add(new double[] {s.x()[i], v});
    }
    return new Series(s.name(), column(kept, 0), column(kept, 1));
  }

  private static double[] column(List<double[]> points, int c) {
    double[] out = new double[points.size()];
    for (int i = 0; i < out.length; i++) out[i] = points.get(i)[c];
    return out;
  }
}
