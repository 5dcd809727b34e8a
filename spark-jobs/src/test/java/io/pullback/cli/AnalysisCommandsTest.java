package io.pullback.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullback.io.Npy;
import io.pullback.linalg.DenseOps;
import io.pullback.testing.SharedSpark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trace}, {@code diagonal} and {@code spectrum --top} on a two-layer MLP's implicit metric
 * (N = 26, never formed), run in-process through {@link PullbackCli} on one {@code local[2]}
 * session: the same seed and partitioning give bit-identical results; 1, 3 and 7 partitions agree
 * to rounding (1e-10 relative); and the results match independent references — the dense metric's
 * exact trace and diagonal (the {@code dsyrk} estimator) and its {@code dsyevd} spectrum, whole and
 * per layer block.
 */
class AnalysisCommandsTest extends SharedSpark {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String[] MLP = {"--data", "synthetic:gaussian?rows=200&features=3&seed=5&outputs=2", "--model", "mlp", "--hidden", "4",
      "--outputs", "2"};
  static final int N = 3 * 4 + 4 + 4 * 2 + 2;

  @TempDir
  Path dir;
  int runs;

  Path run(String... args) {
    Path out = dir.resolve("run" + runs++);
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(Arrays.asList(MLP));
    all.addAll(List.of("--out", out.toString()));
    StringWriter err = new StringWriter();
    int code = PullbackCli.execute(all.toArray(String[]::new), master -> spark, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertThat(code).as(String.join(" ", all) + "\n" + err).isZero();
    return out;
  }

  static JsonNode json(Path file) throws Exception {
    return JSON.readTree(file.toFile());
  }

  /** The dense metric's diagonal (estimate --representation dense). */
  double[] denseMetric() {
    Path out = dir.resolve("dense-metric");
    List<String> all = new ArrayList<>(List.of("estimate", "--representation", "dense", "--out", out.toString()));
    all.addAll(Arrays.asList(MLP));
    assertThat(PullbackCli.execute(all.toArray(String[]::new), master -> spark, new PrintWriter(new StringWriter(), true),
        new PrintWriter(new StringWriter(), true))).isZero();
    return Npy.readMatrix(out.resolve("metric.npy")).data();
  }

  @Test
  void traceIsReproducibleAgreesAcrossPartitionsAndMatchesTheExactTrace() throws Exception {
    double[] g = denseMetric();
    double exact = 0;
    for (int i = 0; i < N; i++) exact += g[i * N + i];
    double[] byPartitions = new double[3];
    int[] partitions = {1, 3, 7};
    for (int p = 0; p < 3; p++) {
      JsonNode t = json(run("trace", "--representation", "implicit", "--estimator", "xtrace", "--probes", "6", "--partitions",
          String.valueOf(partitions[p])).resolve("trace.json"));
      assertThat(t.get("passes").asLong()).isEqualTo(6);
      byPartitions[p] = t.get("estimate").asDouble();
      assertThat(Math.abs(byPartitions[p] - exact)).isLessThanOrEqualTo(4 * t.get("std_error").asDouble() + 1e-12 * exact);
    }
    assertThat(byPartitions[0]).isCloseTo(byPartitions[1], offset(1e-10 * exact)).isCloseTo(byPartitions[2], offset(1e-10 * exact));
    JsonNode again = json(run("trace", "--representation", "implicit", "--estimator", "xtrace", "--probes", "6", "--partitions", "3")
        .resolve("trace.json"));
    assertThat(Double.doubleToRawLongBits(again.get("estimate").asDouble())).isEqualTo(Double.doubleToRawLongBits(byPartitions[1]));
    for (String estimator : List.of("hutchinson", "hutchpp")) {
      // The dense representation's products are driver matvecs: 30 probes cost no data passes.
      JsonNode t = json(run("trace", "--representation", "dense", "--estimator", estimator, "--probes", "30").resolve("trace.json"));
      assertThat(Math.abs(t.get("estimate").asDouble() - exact)).as(estimator).isLessThanOrEqualTo(4 * t.get("std_error").asDouble());
    }
  }

  @Test
  void diagonalExactEqualsTheDenseDiagonalAndEstimatesAgreeAcrossPartitions() throws Exception {
    double[] g = denseMetric();
    double[] exact = new double[N];
    for (int i = 0; i < N; i++) exact[i] = g[i * N + i];
    Path e = run("diagonal", "--representation", "implicit", "--estimator", "exact");
    double[] d = Npy.readVector(e.resolve("diagonal.npy"));
    for (int i = 0; i < N; i++) assertThat(d[i]).isCloseTo(exact[i], offset(1e-12 * Arrays.stream(exact).max().getAsDouble()));
    assertThat(json(e.resolve("diagonal.json")).get("passes").asLong()).isEqualTo(1);
    double[][] byPartitions = new double[3][];
    int[] partitions = {1, 3, 7};
    for (int p = 0; p < 3; p++) {
      Path out = run("diagonal", "--representation", "implicit", "--estimator", "xdiag", "--probes", "6", "--partitions",
          String.valueOf(partitions[p]));
      byPartitions[p] = Npy.readVector(out.resolve("diagonal.npy"));
      double[] se = Npy.readVector(out.resolve("diagonal_std_error.npy"));
      JsonNode j = json(out.resolve("diagonal.json"));
      assertThat(j.get("std_error").asDouble()).isCloseTo(DenseOps.norm(se), offset(1e-12));
      assertThat(j.get("passes").asLong()).isEqualTo(6);
    }
    double scale = Arrays.stream(exact).max().getAsDouble();
    for (int i = 0; i < N; i++) {
      assertThat(byPartitions[1][i]).isCloseTo(byPartitions[0][i], offset(1e-10 * scale));
      assertThat(byPartitions[2][i]).isCloseTo(byPartitions[0][i], offset(1e-10 * scale));
    }
    double[] again = Npy.readVector(run("diagonal", "--representation", "implicit", "--estimator", "xdiag", "--probes", "6",
        "--partitions", "3").resolve("diagonal.npy"));
    assertThat(again).containsExactly(byPartitions[1]);
  }

  @Test
  void topKByBlockLanczosEqualsDsyevdWholeAndPerLayer() throws Exception {
    Path dense = run("spectrum", "--top", "3", "--eigenvectors", "--per-layer");
    JsonNode sd = json(dense.resolve("spectrum.json"));
    assertThat(sd.get("method").asText()).isEqualTo("dsyevd");
    Npy.Array ud = Npy.readMatrix(dense.resolve("eigenvectors.npy"));
    List<double[]> tops = new ArrayList<>();
    int[] partitions = {1, 3, 7};
    for (int p = 0; p < 3; p++) {
      Path out = run("spectrum", "--top", "3", "--representation", "implicit", "--dense-limit", "1", "--eigenvectors", "--per-layer",
          "--partitions", String.valueOf(partitions[p]));
      JsonNode s = json(out.resolve("spectrum.json"));
      assertThat(s.get("method").asText()).startsWith("lanczos (block of 3");
      assertThat(s.get("converged").asBoolean()).isTrue();
      double[] top = new double[3];
      for (int i = 0; i < 3; i++) {
        top[i] = s.get("top").get(i).asDouble();
        double expected = sd.get("top").get(i).asDouble();
        assertThat(top[i]).isCloseTo(expected, offset(1e-8 * expected));
      }
      tops.add(top);
      Npy.Array u = Npy.readMatrix(out.resolve("eigenvectors.npy"));
      assertThat(u.shape()).containsExactly(N, 3);
      assertThat(smallestCosine(u.data(), ud.data(), N, 3)).isGreaterThanOrEqualTo(1 - 1e-8);
      JsonNode layers = json(out.resolve("layers.json")).get("layers");
      JsonNode denseLayers = json(dense.resolve("layers.json")).get("layers");
      assertThat(layers.size()).isEqualTo(2);
      for (int l = 0; l < 2; l++) {
        assertThat(layers.get(l).get("size").asInt()).isEqualTo(l == 0 ? 16 : 10);
        assertThat(layers.get(l).get("trace").asDouble()).isCloseTo(denseLayers.get(l).get("trace").asDouble(), offset(1e-12));
        for (int i = 0; i < 3; i++) {
          double expected = denseLayers.get(l).get("top").get(i).asDouble();
          assertThat(layers.get(l).get("top").get(i).asDouble()).isCloseTo(expected, offset(1e-8 * expected));
        }
      }
    }
    for (int i = 0; i < 3; i++) {
      assertThat(tops.get(1)[i]).isCloseTo(tops.get(0)[i], offset(1e-10 * tops.get(0)[0]));
      assertThat(tops.get(2)[i]).isCloseTo(tops.get(0)[i], offset(1e-10 * tops.get(0)[0]));
    }
    JsonNode again = json(run("spectrum", "--top", "3", "--representation", "implicit", "--dense-limit", "1", "--partitions", "3")
        .resolve("spectrum.json"));
    for (int i = 0; i < 3; i++) {
      assertThat(Double.doubleToRawLongBits(again.get("top").get(i).asDouble())).isEqualTo(Double.doubleToRawLongBits(tops.get(1)[i]));
    }
  }

  /** The smallest cosine of a principal angle between the column spans of two row-major N×k orthonormal matrices. */
  static double smallestCosine(double[] a, double[] b, int n, int k) {
    double[] m = new double[k * k];
    for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) for (int t = 0; t < n; t++) m[i * k + j] += a[t * k + i] * b[t * k + j];
    double[] mtm = new double[k * k];
    for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) for (int t = 0; t < k; t++) mtm[i * k + j] += m[t * k + i] * m[t * k + j];
    return Math.sqrt(DenseOps.eigh(mtm, k)[0]);
  }
}
