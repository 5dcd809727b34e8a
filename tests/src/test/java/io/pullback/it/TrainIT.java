package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullback.data.ExampleBlock;
import io.pullback.io.Npy;
import io.pullback.model.Model;
import io.pullback.model.ModelSpec;
import io.pullback.model.Models;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.commons.math3.analysis.integration.gauss.GaussIntegrator;
import org.apache.commons.math3.analysis.integration.gauss.GaussIntegratorFactory;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pullback train} against closed forms and independent algorithms: the (1 − 2η)² law of
 * natural gradient on linear least squares, Gauss–Legendre quadrature (G = I, so gd = ngd),
 * reparametrisation invariance, Newton/IRLS and MLlib for logistic regression, Levenberg–Marquardt
 * damping, and bit-identical resume.
 */
class TrainIT extends CliHarness {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  /** 1-D regression data: x uniform on [-1, 1], y = sin(3x) + noise. */
  Path regressionCsv(String name, int m, long seed) throws IOException {
    SplittableRandom rng = new SplittableRandom(seed);
    StringBuilder sb = new StringBuilder("x,label\n");
    for (int i = 0; i < m; i++) {
      double x = rng.nextDouble(-1, 1);
      sb.append(x).append(',').append(Math.sin(3 * x) + 0.1 * rng.nextGaussian()).append('\n');
    }
    Path p = dir.resolve(name);
    Files.writeString(p, sb.toString());
    return p;
  }

  static List<JsonNode> history(Path out) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String l : Files.readAllLines(out.resolve("history.jsonl"))) if (!l.isBlank()) lines.add(JSON.readTree(l));
    return lines;
  }

  Run train(Path out, String... args) {
    List<String> a = new ArrayList<>(List.of("train", "--out", out.toString()));
    a.addAll(Arrays.asList(args));
    Run run = pullback(a.toArray(String[]::new));
    assertThat(run.exitCode()).as(run.err()).isZero();
    return run;
  }

  /** Rows (x, label) of a CSV written by this test. */
  static double[][] readCsv(Path csv) throws IOException {
    List<String> lines = Files.readAllLines(csv);
    double[][] rows = new double[lines.size() - 1][];
    for (int i = 1; i < lines.size(); i++) rows[i - 1] = Arrays.stream(lines.get(i).split(",")).mapToDouble(Double::parseDouble).toArray();
    return rows;
  }

  /** Design matrix of a model's basis (its Jacobian, which does not depend on θ) at the CSV's x. */
  static RealMatrix design(Model m, double[][] rows) {
    int n = m.numParams();
    double[] x = new double[rows.length];
    for (int i = 0; i < rows.length; i++) x[i] = rows[i][0];
    ExampleBlock block = ExampleBlock.of(0, 1, x, new double[rows.length]);
    double[] out = new double[rows.length];
    double[] jac = new double[rows.length * n];
    m.jacobian(new double[n], block, out, jac);
    RealMatrix a = new Array2DRowRealMatrix(rows.length, n);
    for (int i = 0; i < rows.length; i++) for (int j = 0; j < n; j++) a.setEntry(i, j, jac[j * rows.length + i]);
    return a;
  }

  @Test
  void naturalGradientOnLeastSquaresContractsTheExcessLossByOneMinusTwoEtaSquared() throws Exception {
    Path csv = regressionCsv("ls.csv", 400, 1);
    double[][] rows = readCsv(csv);
    Model m = Models.create(ModelSpec.linearBasis(1, 1, "monomial", 5));
    RealMatrix a = design(m, rows);
    RealVector y = new ArrayRealVector(Arrays.stream(rows).mapToDouble(r -> r[1]).toArray());
    RealVector best = new QRDecomposition(a).getSolver().solve(y);
    double lStar = a.operate(best).subtract(y).dotProduct(a.operate(best).subtract(y)) / rows.length;

    double eta = 0.3;
    Path out = dir.resolve("ngd");
    train(out, "--data", csv.toString(), "--model", "linear-basis", "--basis", "monomial", "--degree", "5",
        "--optimizer", "ngd", "--metric", "function", "--lr", String.valueOf(eta), "--damping", "0", "--steps", "6", "--partitions", "3");
    List<JsonNode> h = history(out);
    assertThat(h).hasSize(6);
    double law = (1 - 2 * eta) * (1 - 2 * eta);
    for (int t = 0; t + 1 < h.size(); t++) {
      double ratio = (h.get(t + 1).get("loss").asDouble() - lStar) / (h.get(t).get("loss").asDouble() - lStar);
      // 1e-9: the excess loss falls to ~1e-5 of its start; relative rounding stays below 1e-10.
      assertThat(ratio).as("step %d", t + 1).isCloseTo(law, org.assertj.core.api.Assertions.within(1e-9));
    }

    Path half = dir.resolve("half");
    train(half, "--data", csv.toString(), "--model", "linear-basis", "--basis", "monomial", "--degree", "5",
        "--optimizer", "ngd", "--lr", "0.5", "--damping", "0", "--steps", "1");
    double[] theta = Npy.readVector(half.resolve("params.npy"));
    for (int j = 0; j < theta.length; j++) {
      assertThat(theta[j]).isCloseTo(best.getEntry(j), org.assertj.core.api.Assertions.within(1e-8 * Math.max(1, Math.abs(best.getEntry(j)))));
    }
    JsonNode summary = JSON.readTree(half.resolve("summary.json").toFile());
    assertThat(summary.get("final_loss").asDouble()).isCloseTo(lStar, org.assertj.core.api.Assertions.within(1e-12));
  }

  @Test
  void onGaussLegendreNodesTheLegendreMetricIsTheIdentityAndGdEqualsNgd() throws Exception {
    int nodes = 12;
    GaussIntegrator gl = new GaussIntegratorFactory().legendreHighPrecision(nodes, -1, 1);
    StringBuilder sb = new StringBuilder("x,label,w\n");
    for (int i = 0; i < nodes; i++) {
      double x = gl.getPoint(i);
      sb.append(x).append(',').append(Math.exp(x)).append(',').append(gl.getWeight(i) / 2).append('\n');
    }
    Path csv = dir.resolve("gl.csv");
    Files.writeString(csv, sb.toString());
    String[] common = {"--data", csv.toString(), "--weight-col", "w", "--model", "linear-basis", "--basis", "legendre", "--degree", "5"};

    Path metric = dir.resolve("metric");
    Run est = pullback(concat(new String[] {"estimate", "--metric", "function", "--out", metric.toString()}, common));
    assertThat(est.exitCode()).as(est.err()).isZero();
    double[] g = Npy.readMatrix(metric.resolve("metric.npy")).data();
    // Degree ≤ 10 products integrate exactly on 12 nodes: G = I up to rounding.
    for (int i = 0; i < 6; i++) for (int j = 0; j < 6; j++) {
      assertThat(g[i * 6 + j]).isCloseTo(i == j ? 1 : 0, org.assertj.core.api.Assertions.within(1e-12));
    }
    Path gd = dir.resolve("gd");
    Path ngd = dir.resolve("ngd");
    train(gd, concat(common, new String[] {"--optimizer", "gd", "--lr", "0.2", "--steps", "4"}));
    train(ngd, concat(common, new String[] {"--optimizer", "ngd", "--lr", "0.2", "--damping", "0", "--steps", "4"}));
    double[] a = Npy.readVector(gd.resolve("params.npy"));
    double[] b = Npy.readVector(ngd.resolve("params.npy"));
    for (int j = 0; j < a.length; j++) assertThat(b[j]).isCloseTo(a[j], org.assertj.core.api.Assertions.within(1e-12));
    List<JsonNode> hg = history(gd);
    List<JsonNode> hn = history(ngd);
    for (int t = 0; t < 4; t++) {
      assertThat(hn.get(t).get("loss").asDouble()).isCloseTo(hg.get(t).get("loss").asDouble(), org.assertj.core.api.Assertions.within(1e-12));
    }
  }

  @Test
  void naturalGradientIsInvariantToTheBasisAndGradientDescentIsNot() throws Exception {
    Path csv = regressionCsv("rep.csv", 200, 3);
    double[][] rows = readCsv(csv);
    Model mono = Models.create(ModelSpec.linearBasis(1, 1, "monomial", 4));
    Model leg = Models.create(ModelSpec.linearBasis(1, 1, "legendre", 4));
    RealMatrix am = design(mono, rows);
    RealMatrix al = design(leg, rows);
    // Both start from the zero function.
    Path zero = dir.resolve("zero.npy");
    Npy.writeVector(zero, new double[5]);
    double maxGdGap = 0;
    for (int steps = 1; steps <= 3; steps++) {
      for (String opt : List.of("ngd", "gd")) {
        Path outM = dir.resolve(opt + "-mono-" + steps);
        Path outL = dir.resolve(opt + "-leg-" + steps);
        String[] tail = {"--optimizer", opt, "--lr", "0.3", "--damping", "0", "--steps", String.valueOf(steps), "--params", zero.toString()};
        train(outM, concat(new String[] {"--data", csv.toString(), "--model", "linear-basis", "--basis", "monomial", "--degree", "4"}, tail));
        train(outL, concat(new String[] {"--data", csv.toString(), "--model", "linear-basis", "--basis", "legendre", "--degree", "4"}, tail));
        RealVector pm = am.operate(new ArrayRealVector(Npy.readVector(outM.resolve("params.npy"))));
        RealVector pl = al.operate(new ArrayRealVector(Npy.readVector(outL.resolve("params.npy"))));
        double gap = pm.subtract(pl).getLInfNorm();
        if (opt.equals("ngd")) {
          assertThat(gap).as("ngd predictions after %d steps", steps).isLessThan(1e-8);
        } else {
          maxGdGap = Math.max(maxGdGap, gap);
        }
      }
    }
    assertThat(maxGdGap).as("gd depends on the basis").isGreaterThan(1e-3);
  }

  /** Binary data from a logistic teacher with label noise (not separable). */
  Path logisticCsv(String name, int m, long seed) throws IOException {
    SplittableRandom rng = new SplittableRandom(seed);
    StringBuilder sb = new StringBuilder("x0,x1,x2,label\n");
    for (int i = 0; i < m; i++) {
      double[] x = {rng.nextGaussian(), rng.nextGaussian(), rng.nextGaussian()};
      double z = 1.5 * x[0] - x[1] + 0.5 * x[2] + 0.3;
      int y = rng.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
      sb.append(String.format(Locale.ROOT, "%.6f,%.6f,%.6f,%d%n", x[0], x[1], x[2], y));
    }
    Path p = dir.resolve(name);
    Files.writeString(p, sb.toString());
    return p;
  }

  /** Newton's method for logistic regression (IRLS), written independently: θ ← θ − H⁻¹∇L. */
  static double[] newton(double[][] rows, double[] theta) {
    int n = theta.length;
    int d = n - 1;
    double[] grad = new double[n];
    double[][] hess = new double[n][n];
    for (double[] r : rows) {
      double[] xt = new double[n];
      System.arraycopy(r, 0, xt, 0, d);
      xt[d] = 1;
      double z = 0;
      for (int j = 0; j < n; j++) z += theta[j] * xt[j];
      double p = 1 / (1 + Math.exp(-z));
      for (int j = 0; j < n; j++) {
        grad[j] += (p - r[d]) * xt[j] / rows.length;
        for (int k = 0; k < n; k++) hess[j][k] += p * (1 - p) * xt[j] * xt[k] / rows.length;
      }
    }
    RealVector step = new LUDecomposition(new Array2DRowRealMatrix(hess)).getSolver().solve(new ArrayRealVector(grad));
    return new ArrayRealVector(theta).subtract(step).toArray();
  }

  @Test
  void logisticNaturalGradientWithFisherIsNewtonAndReachesMllibsOptimum() throws Exception {
    Path csv = logisticCsv("logit.csv", 500, 5);
    double[][] rows = readCsv(csv);
    Path zero = dir.resolve("z.npy");
    Npy.writeVector(zero, new double[4]);
    double[] reference = new double[4];
    for (int steps = 1; steps <= 3; steps++) {
      reference = newton(rows, reference);
      Path out = dir.resolve("newton-" + steps);
      train(out, "--data", csv.toString(), "--model", "logistic", "--optimizer", "ngd", "--metric", "fisher", "--lr", "1",
          "--damping", "0", "--steps", String.valueOf(steps), "--params", zero.toString(), "--partitions", "2");
      double[] theta = Npy.readVector(out.resolve("params.npy"));
      for (int j = 0; j < 4; j++) {
        assertThat(theta[j]).as("step %d θ%d", steps, j).isCloseTo(reference[j], org.assertj.core.api.Assertions.within(1e-10));
      }
    }
    Path out = dir.resolve("converged");
    train(out, "--data", csv.toString(), "--model", "logistic", "--optimizer", "ngd", "--metric", "fisher", "--lr", "1",
        "--damping", "0", "--steps", "10", "--params", zero.toString());
    double[] theta = Npy.readVector(out.resolve("params.npy"));

    Dataset<Row> df = spark.read().option("header", "true").option("inferSchema", "true").csv(csv.toString());
    Dataset<Row> features = new org.apache.spark.ml.feature.VectorAssembler()
        .setInputCols(new String[] {"x0", "x1", "x2"}).setOutputCol("features").transform(df);
    LogisticRegressionModel mllib = new LogisticRegression().setRegParam(0).setStandardization(false)
        .setMaxIter(1000).setTol(1e-12).fit(features);
    double[] w = mllib.coefficients().toArray();
    for (int j = 0; j < 3; j++) assertThat(theta[j]).isCloseTo(w[j], org.assertj.core.api.Assertions.within(1e-6));
    assertThat(theta[3]).isCloseTo(mllib.intercept(), org.assertj.core.api.Assertions.within(1e-6));
  }

  @Test
  void levenbergMarquardtRecoversFromATinyDampingOnAnIllConditionedProblem() throws Exception {
    Path csv = regressionCsv("ill.csv", 300, 7);
    Path out = dir.resolve("lm");
    // A tanh MLP: its Gauss–Newton metric is nearly singular, so λ = 1e-12 first takes wild steps that LM must reject.
    train(out, "--data", csv.toString(), "--model", "mlp", "--hidden", "12", "--optimizer", "ngd", "--lr", "1",
        "--damping", "1e-12", "--damping-schedule", "levenberg-marquardt", "--steps", "12", "--seed", "3");
    List<JsonNode> h = history(out);
    assertThat(h).hasSize(12);
    double first = h.get(0).get("loss").asDouble();
    double last = JSON.readTree(out.resolve("summary.json").toFile()).get("final_loss").asDouble();
    for (JsonNode line : h) {
      assertThat(Double.isFinite(line.get("loss").asDouble())).isTrue();
      assertThat(Double.isFinite(line.get("damping").asDouble())).isTrue();
    }
    for (int t = 0; t + 1 < h.size(); t++) {
      assertThat(h.get(t + 1).get("loss").asDouble()).as("LM never accepts a worse step").isLessThanOrEqualTo(h.get(t).get("loss").asDouble());
    }
    assertThat(last).isLessThan(first);
    assertThat(h.stream().map(l -> l.get("damping").asDouble()).distinct().count()).as("λ adapts").isGreaterThan(2);
  }

  @Test
  void resumingAfterThreeOfSixStepsIsBitIdenticalToSixSteps() throws Exception {
    String[] common = {"--data", "synthetic:gaussian?rows=300&features=3&seed=2&classes=3", "--model", "softmax", "--classes", "3",
        "--optimizer", "ngd", "--lr", "0.8", "--damping", "1e-3", "--damping-schedule", "levenberg-marquardt",
        "--batch-fraction", "0.5", "--partitions", "3", "--seed", "11"};
    Path whole = dir.resolve("whole");
    train(whole, concat(common, new String[] {"--steps", "6"}));
    Path parts = dir.resolve("parts");
    train(parts, concat(common, new String[] {"--steps", "3", "--checkpoint-every", "1"}));
    train(parts, concat(common, new String[] {"--steps", "6", "--checkpoint-every", "1", "--resume"}));
    assertThat(Arrays.equals(Npy.readVector(whole.resolve("params.npy")), Npy.readVector(parts.resolve("params.npy")))).isTrue();
    List<JsonNode> a = history(whole);
    List<JsonNode> b = history(parts);
    assertThat(b).hasSize(6);
    for (int t = 0; t < 6; t++) {
      ((com.fasterxml.jackson.databind.node.ObjectNode) a.get(t)).remove("seconds");
      ((com.fasterxml.jackson.databind.node.ObjectNode) b.get(t)).remove("seconds");
      assertThat(b.get(t)).as("history line %d (all but wall time)", t + 1).isEqualTo(a.get(t));
    }
  }

  static String[] concat(String[] a, String[] b) {
    String[] c = new String[a.length + b.length];
    System.arraycopy(a, 0, c, 0, a.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
