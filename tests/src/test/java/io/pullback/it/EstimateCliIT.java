package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullback.distributed.BlockedMetricEstimator.Tile;
import io.pullback.distributed.MetricTiles;
import io.pullback.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pullback estimate} end to end on files: closed-form references computed here by plain loops,
 * the three input formats, both regimes, and the outputs' contents.
 */
class EstimateCliIT extends CliHarness {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  /** Seeded logistic data: x ~ N(0,1)^D, y ∈ {0,1}, optional positive weights. */
  record Data(double[][] x, int[] y, double[] w) {}

  static Data data(long seed, int m, int d, int classes, boolean weighted) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[][] x = new double[m][d];
    int[] y = new int[m];
    double[] w = new double[m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < d; j++) x[i][j] = Math.round(rng.nextGaussian() * 1000) / 1000.0;
      y[i] = rng.nextInt(classes);
      w[i] = weighted ? 0.25 + rng.nextInt(8) * 0.25 : 1.0;
    }
    return new Data(x, y, w);
  }

  Path csv(String name, Data data, boolean withWeight) throws IOException {
    StringBuilder sb = new StringBuilder();
    int d = data.x()[0].length;
    for (int j = 0; j < d; j++) sb.append("x").append(j).append(',');
    sb.append("label");
    if (withWeight) sb.append(",w");
    sb.append('\n');
    for (int i = 0; i < data.y().length; i++) {
      for (int j = 0; j < d; j++) sb.append(data.x()[i][j]).append(',');
      sb.append(data.y()[i]);
      if (withWeight) sb.append(',').append(data.w()[i]);
      sb.append('\n');
    }
    Path p = dir.resolve(name);
    Files.writeString(p, sb.toString());
    return p;
  }

  static double[] randomTheta(long seed, int n) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] t = new double[n];
    for (int i = 0; i < n; i++) t[i] = rng.nextDouble(-0.5, 0.5);
    return t;
  }

  /** Logistic Fisher X̃ᵀ diag(w p(1−p)) X̃ / Σw, by loops. */
  static double[] logisticFisher(Data data, double[] theta) {
    int d = data.x()[0].length;
    int n = d + 1;
    double[] g = new double[n * n];
    double wsum = 0;
    for (int i = 0; i < data.y().length; i++) {
      double[] xt = new double[n];
      System.arraycopy(data.x()[i], 0, xt, 0, d);
      xt[d] = 1;
      double z = 0;
      for (int j = 0; j < n; j++) z += theta[j] * xt[j];
      double p = 1 / (1 + Math.exp(-z));
      for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) g[a * n + b] += data.w()[i] * p * (1 - p) * xt[a] * xt[b];
      wsum += data.w()[i];
    }
    for (int k = 0; k < g.length; k++) g[k] /= wsum;
    return g;
  }

  static double[] readMetric(Path out) {
    return Npy.readMatrix(out.resolve("metric.npy")).data();
  }

  static void assertClose(double[] actual, double[] expected, double relTol) {
    assertThat(actual).hasSameSizeAs(expected);
    double num = 0;
    double den = 0;
    for (int k = 0; k < actual.length; k++) {
      num += (actual[k] - expected[k]) * (actual[k] - expected[k]);
      den += expected[k] * expected[k];
    }
    assertThat(Math.sqrt(num / den)).isLessThan(relTol);
  }

  @Test
  void weightedLogisticFisherFromCsvMatchesTheClosedForm() throws Exception {
    Data data = data(7, 120, 3, 2, true);
    Path csv = csv("train.csv", data, true);
    double[] theta = randomTheta(8, 4);
    Path params = dir.resolve("theta.npy");
    Npy.writeVector(params, theta);
    Path out = dir.resolve("out");
    Run run = pullback("estimate", "--data", csv.toString(), "--model", "logistic", "--metric", "fisher",
        "--params", params.toString(), "--weight-col", "w", "--partitions", "3", "--out", out.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    // 1e-12: same sums in a different order.
    assertClose(readMetric(out), logisticFisher(data, theta), 1e-12);

    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    assertThat(summary.get("n_params").asInt()).isEqualTo(4);
    assertThat(summary.get("examples").asLong()).isEqualTo(120);
    assertThat(summary.get("metric").asText()).isEqualTo("fisher");
    assertThat(summary.get("representation").asText()).isEqualTo("dense");
    assertThat(summary.has("load_seconds")).isTrue();
    assertThat(summary.has("compute_seconds")).isTrue();
    double[] g = logisticFisher(data, theta);
    assertThat(summary.get("trace").asDouble()).isCloseTo(g[0] + g[5] + g[10] + g[15], within(1e-12));

    JsonNode manifest = JSON.readTree(out.resolve("manifest.json").toFile());
    assertThat(manifest.toString()).contains("train.csv").contains("fisher");
    assertThat(Files.list(dir).map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("staging"));
  }

  @Test
  void libsvmWithMinusOneLabelsEqualsCsvWithZeroOneLabels() throws Exception {
    Data data = data(17, 90, 4, 2, false);
    Path csv = csv("a.csv", data, false);
    StringBuilder svm = new StringBuilder();
    for (int i = 0; i < data.y().length; i++) {
      svm.append(data.y()[i] == 1 ? "+1" : "-1");
      for (int j = 0; j < 4; j++) svm.append(' ').append(j + 1).append(':').append(data.x()[i][j]);
      svm.append('\n');
    }
    Path libsvm = dir.resolve("a.libsvm");
    Files.writeString(libsvm, svm.toString());
    Path outCsv = dir.resolve("csv");
    Path outSvm = dir.resolve("svm");
    String[] common = {"--model", "logistic", "--metric", "empirical-fisher", "--seed", "3", "--partitions", "2"};
    assertThat(pullback(concat(new String[] {"estimate", "--data", csv.toString(), "--out", outCsv.toString()}, common)).exitCode()).isZero();
    Run svmRun = pullback(concat(new String[] {"estimate", "--data", libsvm.toString(), "--features", "4", "--out", outSvm.toString()}, common));
    assertThat(svmRun.exitCode()).as(svmRun.err()).isZero();
    assertThat(readMetric(outSvm)).isEqualTo(readMetric(outCsv));
  }

  @Test
  void softmaxFisherFromParquetMatchesTheKroneckerClosedForm() throws Exception {
    int m = 80;
    int d = 3;
    int k = 3;
    Data data = data(27, m, d, k, false);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < m; i++) {
      Double[] x = new Double[d];
      for (int j = 0; j < d; j++) x[j] = data.x()[i][j];
      rows.add(RowFactory.create((double) data.y()[i], x));
    }
    StructType schema = new StructType().add("label", DataTypes.DoubleType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType));
    Path parquet = dir.resolve("train.parquet");
    spark.createDataFrame(rows, schema).write().parquet(parquet.toString());
    int n = k * (d + 1);
    double[] theta = randomTheta(28, n);
    Path params = dir.resolve("w.npy");
    Npy.writeVector(params, theta);
    Path out = dir.resolve("out");
    Run run = pullback("estimate", "--data", parquet.toString(), "--model", "softmax", "--classes", "3", "--metric", "fisher",
        "--params", params.toString(), "--out", out.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();

    // (1/M) Σ (diag p − p pᵀ) ⊗ x̃ x̃ᵀ with θ index c·(D+1) + j.
    double[] expected = new double[n * n];
    for (int i = 0; i < m; i++) {
      double[] xt = new double[d + 1];
      System.arraycopy(data.x()[i], 0, xt, 0, d);
      xt[d] = 1;
      double[] z = new double[k];
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < k; c++) {
        for (int j = 0; j <= d; j++) z[c] += theta[c * (d + 1) + j] * xt[j];
        max = Math.max(max, z[c]);
      }
      double s = 0;
      for (int c = 0; c < k; c++) s += Math.exp(z[c] - max);
      double[] p = new double[k];
      for (int c = 0; c < k; c++) p[c] = Math.exp(z[c] - max) / s;
      for (int a = 0; a < k; a++) {
        for (int b = 0; b < k; b++) {
          double h = (a == b ? p[a] : 0) - p[a] * p[b];
          for (int ia = 0; ia <= d; ia++) {
            for (int ib = 0; ib <= d; ib++) expected[(a * (d + 1) + ia) * n + b * (d + 1) + ib] += h * xt[ia] * xt[ib] / m;
          }
        }
      }
    }
    assertClose(readMetric(out), expected, 1e-12);
  }

  @Test
  void blockedRepresentationWritesTilesEqualToTheDenseMetric() throws Exception {
    String synthetic = "synthetic:gaussian?rows=150&features=3&seed=5&outputs=2";
    Path dense = dir.resolve("dense");
    Path blocked = dir.resolve("blocked");
    String[] common = {"--model", "mlp", "--hidden", "4", "--outputs", "2", "--metric", "function", "--partitions", "3"};
    assertThat(pullback(concat(new String[] {"estimate", "--data", synthetic, "--out", dense.toString()}, common)).exitCode()).isZero();
    Run run = pullback(concat(new String[] {"estimate", "--data", synthetic, "--out", blocked.toString(),
        "--representation", "blocked", "--tile-size", "7"}, common));
    assertThat(run.exitCode()).as(run.err()).isZero();
    double[] g = readMetric(dense);
    int n = (int) Math.round(Math.sqrt(g.length));
    assertThat(n).isEqualTo(3 * 4 + 4 + 4 * 2 + 2);
    double[] assembled = new double[n * n];
    for (Tile t : MetricTiles.read(spark, blocked.resolve("metric"))) {
      for (int a = 0; a < t.rows(); a++) {
        for (int b = 0; b < t.cols(); b++) {
          int i = t.i() * 7 + a;
          int j = t.j() * 7 + b;
          assembled[i * n + j] = t.values()[a * t.cols() + b];
          assembled[j * n + i] = t.values()[a * t.cols() + b];
        }
      }
    }
    assertClose(assembled, g, 1e-12);
    JsonNode summary = JSON.readTree(blocked.resolve("summary.json").toFile());
    assertThat(summary.get("representation").asText()).isEqualTo("blocked");
    assertThat(Files.exists(blocked.resolve("metric.npy"))).isFalse();
  }

  static String[] concat(String[] a, String[] b) {
    String[] c = new String[a.length + b.length];
    System.arraycopy(a, 0, c, 0, a.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.6f", v);
  }
}
