package io.pullback.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG line plots (XChart, headless). */
public final class Plots {
  /** One named curve. */
  public record Series(String name, double[] x, double[] y) {}

  private Plots() {}

  /**
   * Writes a line plot to {@code file} (PNG). Non-positive y values are dropped on a log axis.
   */
  public static void line(Location file, String title, String xLabel, String yLabel, boolean logY, List<Series> series) {
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
    chart.getStyler().setYAxisLogarithmic(logY);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
    int added = 0;
    for (Series s : series) {
      int n = 0;
      for (int i = 0; i < s.y().length; i++) if (keep(s.y()[i], logY)) n++;
      if (n == 0) continue;
      double[] x = new double[n];
      double[] y = new double[n];
      int k = 0;
      for (int i = 0; i < s.y().length; i++) {
        if (!keep(s.y()[i], logY)) continue;
        x[k] = s.x()[i];
        y[k++] = s.y()[i];
      }
      XYSeries xy = chart.addSeries(s.name(), x, y);
      xy.setMarker(n <= 60 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
      added++;
    }
    if (added == 0) chart.addSeries("(no positive values)", new double[] {0}, new double[] {1});
    byte[] png;
    try {
      png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot render plot " + file + ": " + e.getMessage(), e);
    }
    AtomicFiles.write(file, out -> out.write(png));
  }

  /** As {@link #line(Location, String, String, String, boolean, List)} for a local path. */
  public static void line(java.nio.file.Path file, String title, String xLabel, String yLabel, boolean logY, List<Series> series) {
    line(Location.local(file), title, xLabel, yLabel, logY, series);
  }

  private static boolean keep(double v, boolean logY) {
    return Double.isFinite(v) && (!logY || v > 0);
  }
}
