package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullback.io.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --l2 λ₂} is a loss term with its own curvature (issue 13, item 4): it penalises the weights,
 * not the bias, {@code λ₂‖w‖²} for {@code θ = [w, b]}, and natural gradient solves
 * {@code (G + 2λ₂P + λI) δ = ∇L} with {@code P = diag(1, …, 1, 0)}. Checked on binary logistic
 * regression, whose Fisher metric is its Hessian:
 * <ul>
 *   <li>against Newton's method on {@code −(1/M) Σ log p(y|x) + λ₂‖w‖²}, written out here with naive
 *       sums and commons-math3's LU solve: {@code ngd --metric fisher --lr 1 --damping 0 --l2 λ₂}
 *       gives the same loss at every step and the same θ to 1e-10 relative (the two differ only by
 *       summation order);</li>
 *   <li>against Spark MLlib's {@code LogisticRegression} with {@code regParam = 2λ₂},
 *       {@code elasticNetParam = 0}, {@code standardization = false} and an intercept, which minimises
 *       {@code (1/M) Σ ℓ + (regParam/2)‖w‖²} (the intercept unpenalised): the same coefficients and
 *       intercept to 1e-6 relative (MLlib's L-BFGS stops at its tolerance; Newton has converged to
 *       rounding after {@link #STEPS} steps).</li>
 * </ul>
 */
class L2CurvatureIT extends CliHarness {
  static final int M = 240;
  static final int D = 3;
  static final double L2 = 0.05;
  static final int STEPS = 12;

  @TempDir
  Path dir;

  /** Seeded examples: x ~ N(0, 1)^D, y ~ Bernoulli(σ(wᵀx + b)) with a fixed w, b. */
  static double[][] examples() {
    Random r = new Random(20261201L);
    double[] w = {1.5, -2.0, 0.7};
    double b = 0.3;
    double[][] rows = new double[M][D + 1];
    for (int i = 0; i < M; i++) {
      double z = b;
      for (int j = 0; j < D; j++) {
        rows[i][j + 1] = r.nextGaussian();
        z += w[j] * rows[i][j + 1];
      }
      rows[i][0] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    return rows;
  }

  /** −(1/M) Σ log p(y|x) + λ₂‖w‖², its gradient and Hessian at θ = [w, b], by naive sums (the bias b unpenalised). */
  record Objective(double loss, double[] gradient, double[][] hessian) {
    static Objective at(double[][] data, double[] theta) {
      int n = D + 1;
      double loss = 0;
      double[] g = new double[n];
      double[][] h = new double[n][n];
      for (double[] row : data) {
        double[] x = new double[n];
        for (int j = 0; j < D; j++) x[j] = row[j + 1];
        x[D] = 1;
        double z = 0;
        for (int j = 0; j < n; j++) z += theta[j] * x[j];
        double p = 1 / (1 + Math.exp(-z));
        loss -= row[0] == 1 ? Math.log(p) : Math.log(1 - p);
        for (int j = 0; j < n; j++) {
          g[j] += (p - row[0]) * x[j];
          for (int k = 0; k < n; k++) h[j][k] += p * (1 - p) * x[j] * x[k];
        }
      }
      double penalty = 0;
      for (int j = 0; j < n; j++) {
        double weight = j < D ? 1 : 0; // θ[D] is the bias
        g[j] = g[j] / M + 2 * L2 * weight * theta[j];
        for (int k = 0; k < n; k++) h[j][k] /= M;
        h[j][j] += 2 * L2 * weight;
        penalty += weight * theta[j] * theta[j];
      }
      return new Objective(loss / M + L2 * penalty, g, h);
    }
  }

  @Test
  void naturalGradientWithL2IsNewtonOnTheRegularisedObjective() throws Exception {
    double[][] data = examples();
    Path csv = dir.resolve("data.csv");
    StringBuilder sb = new StringBuilder("label,x1,x2,x3\n");
    for (double[] row : data) {
      sb.append(String.format(Locale.ROOT, "%.0f,%.17g,%.17g,%.17g%n", row[0], row[1], row[2], row[3]));
    }
    Files.writeString(csv, sb.toString());
    Path out = dir.resolve("ngd");
    Run r = pullback("train", "--data", csv.toString(), "--model", "logistic", "--optimizer", "ngd", "--metric", "fisher",
        "--lr", "1", "--damping", "0", "--l2", String.valueOf(L2), "--init", "zeros", "--steps", String.valueOf(STEPS),
        "--partitions", "2", "--out", out.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();

    // Newton's method from θ = 0, step for step.
    double[] theta = new double[D + 1];
    List<Double> newtonLoss = new ArrayList<>();
    for (int t = 0; t < STEPS; t++) {
      Objective o = Objective.at(data, theta);
      newtonLoss.add(o.loss());
      RealMatrix h = new Array2DRowRealMatrix(o.hessian());
      double[] step = new LUDecomposition(h).getSolver().solve(new ArrayRealVector(o.gradient())).toArray();
      for (int j = 0; j < theta.length; j++) theta[j] -= step[j];
    }
    List<String> lines = Files.readAllLines(out.resolve("history.jsonl"));
    assertThat(lines).hasSize(STEPS);
    ObjectMapper json = new ObjectMapper();
    for (int t = 0; t < STEPS; t++) {
      JsonNode line = json.readTree(lines.get(t));
      assertThat(line.path("loss").asDouble()).as("loss at step %d", t + 1)
          .isCloseTo(newtonLoss.get(t), org.assertj.core.data.Offset.offset(1e-10 * newtonLoss.get(t)));
    }
    double[] params = Npy.readVector(out.resolve("params.npy"));
    assertThat(relativeDifference(params, theta)).as("θ after %d steps vs Newton", STEPS).isLessThan(1e-10);

    double[] mllib = mllibOptimum(data);
    System.out.printf(Locale.ROOT, "ngd %s%nMLlib %s (relative difference %.3g)%n", java.util.Arrays.toString(params),
        java.util.Arrays.toString(mllib), relativeDifference(params, mllib));
    assertThat(relativeDifference(params, mllib)).as("θ vs MLlib's regParam = 2λ₂ optimum").isLessThan(1e-6);
  }

  /** MLlib's binomial LogisticRegression optimum with regParam = 2λ₂ (L2 only, original scale, intercept unpenalised), as [w, b]. */
  private double[] mllibOptimum(double[][] data) {
    List<Row> rows = new ArrayList<>();
    for (double[] row : data) rows.add(RowFactory.create(row[0], Vectors.dense(row[1], row[2], row[3])));
    StructType schema = new StructType().add("label", DataTypes.DoubleType).add("features", new VectorUDT());
    Dataset<Row> df = spark.createDataFrame(rows, schema);
    LogisticRegressionModel fitted = new LogisticRegression().setFamily("binomial").setRegParam(2 * L2)
        .setElasticNetParam(0).setStandardization(false).setFitIntercept(true).setTol(1e-14).setMaxIter(1000).fit(df);
    double[] theta = new double[D + 1];
    System.arraycopy(fitted.coefficients().toArray(), 0, theta, 0, D);
    theta[D] = fitted.intercept();
    return theta;
  }

  static double relativeDifference(double[] a, double[] b) {
    double d = 0;
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      d += (a[i] - b[i]) * (a[i] - b[i]);
      s += b[i] * b[i];
    }
    return Math.sqrt(d / s);
  }
}
