package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullback.io.Npy;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.ml.NaturalGradientRegressionModel;
import io.pullback.ml.NaturalGradientRegressor;
import io.pullback.ml.TrainingSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.regression.LinearRegression;
import org.apache.spark.ml.regression.LinearRegressionModel;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code io.pullback.ml.NaturalGradientRegressor} (issue 18) on a seeded linear data set
 * (x ~ N(0, 1)³, y = 0.5 + wᵀx + 0.3·ε), against independent references: the ridge normal
 * equations solved by commons-math (Cholesky), MLlib's {@code LinearRegression} with its label
 * scaling of regParam, the {@code train} command on the same rows (θ and history), the
 * {@code estimate} command for {@code metric()} (and ΦᵀΦ/M by hand), and save → load.
 */
class NaturalGradientRegressorIT extends CliHarness {
  static final int M = 200;
  static final double REG = 0.2;

  @TempDir
  Path dir;

  Dataset<Row> data;
  double[][] x = new double[M][];
  double[] y = new double[M];

  @BeforeAll
  void data() {
    Random r = new Random(20261203L);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < M; i++) {
      x[i] = new double[] {r.nextGaussian(), r.nextGaussian(), r.nextGaussian()};
      y[i] = 0.5 + 1.5 * x[i][0] - 2.0 * x[i][1] + 0.7 * x[i][2] + 0.3 * r.nextGaussian();
      // The monomial basis of degree 1, [1, x1, x2, x3], for MLlib (which then fits no intercept of its own).
      rows.add(RowFactory.create(y[i], Vectors.dense(x[i]), Vectors.dense(1, x[i][0], x[i][1], x[i][2])));
    }
    StructType schema = new StructType().add("label", DataTypes.DoubleType).add("features", new VectorUDT())
        .add("basis", new VectorUDT());
    data = spark.createDataFrame(rows, schema).repartition(1).cache();
  }

  NaturalGradientRegressor gaussNewton() {
    return new NaturalGradientRegressor().setBasis("monomial").setDegree(1).setRegParam(REG).setDamping(0).setMaxIter(3).setTol(0);
  }

  /** Solves (ΦᵀΦ/M + (REG/2)·I) θ = Φᵀy/M with Φ = [1, x]: the minimiser of mean(r²) + (REG/2)‖θ‖². */
  double[] normalEquations() {
    double[][] a = new double[4][4];
    double[] b = new double[4];
    for (int i = 0; i < M; i++) {
      double[] phi = {1, x[i][0], x[i][1], x[i][2]};
      for (int j = 0; j < 4; j++) {
        b[j] += phi[j] * y[i] / M;
        for (int k = 0; k < 4; k++) a[j][k] += phi[j] * phi[k] / M;
      }
    }
    for (int j = 0; j < 4; j++) a[j][j] += REG / 2;
    return new CholeskyDecomposition(new Array2DRowRealMatrix(a)).getSolver().solve(new ArrayRealVector(b)).toArray();
  }

  @Test
  void linearBasisFitIsRidgeRegression() {
    NaturalGradientRegressionModel model = gaussNewton().fit(data);
    double[] theta = model.parameters();
    assertThat(model.parameterLayout()).contains("coefficient");
    double[] exact = normalEquations();
    // One Gauss–Newton step of a quadratic is exact; later steps only see rounding (1e-10 of |θ| ≈ 2).
    for (int j = 0; j < 4; j++) assertThat(theta[j]).as("θ[%d] vs the normal equations", j).isCloseTo(exact[j], Offset.offset(1e-10));

    List<Row> out = model.transform(data).select("features", "prediction").collectAsList();
    for (Row row : out) {
      double[] xi = ((Vector) row.get(0)).toArray();
      double f = theta[0] + theta[1] * xi[0] + theta[2] * xi[1] + theta[3] * xi[2];
      assertThat(row.getDouble(1)).isCloseTo(f, Offset.offset(1e-12));
    }
  }

  /**
   * Against MLlib's ridge regression. MLlib minimises ½·mean(r²) + λ/(2σ_y)·‖w‖² (σ_y: population
   * standard deviation of the labels) and leaves its intercept unpenalised, while linear-basis
   * penalises its constant coefficient; on centred features and labels both optimal intercepts are 0,
   * and λ = REG·σ_y/2 is then the same problem as regParam REG here.
   */
  @Test
  void matchesMllibsLinearRegressionWithItsScaling() {
    double[] mean = new double[4];
    for (int i = 0; i < M; i++) {
      for (int j = 0; j < 3; j++) mean[j] += x[i][j] / M;
      mean[3] += y[i] / M;
    }
    List<Row> rows = new ArrayList<>();
    double var = 0;
    for (int i = 0; i < M; i++) {
      double[] c = {x[i][0] - mean[0], x[i][1] - mean[1], x[i][2] - mean[2]};
      rows.add(RowFactory.create(y[i] - mean[3], Vectors.dense(c)));
      var += (y[i] - mean[3]) * (y[i] - mean[3]) / M;
    }
    Dataset<Row> centred = spark.createDataFrame(rows, new StructType().add("label", DataTypes.DoubleType)
        .add("features", new VectorUDT())).repartition(1);
    double[] theta = gaussNewton().fit(centred).parameters();
    LinearRegressionModel mllib = new LinearRegression().setStandardization(false).setElasticNetParam(0)
        .setRegParam(REG * Math.sqrt(var) / 2).setSolver("normal").fit(centred);
    assertThat(mllib.intercept()).isCloseTo(0, Offset.offset(1e-12));
    assertThat(theta[0]).as("the constant coefficient").isCloseTo(0, Offset.offset(1e-12));
    assertThat(L2CurvatureIT.relativeDifference(java.util.Arrays.copyOfRange(theta, 1, 4), mllib.coefficients().toArray()))
        .as("weights vs MLlib").isLessThan(1e-9);
  }

  /** θ and the history of a fit are those of {@code pullback train} on the same rows, here for mlp. */
  @Test
  void mlpFitAndItsHistoryEqualTrain() throws Exception {
    NaturalGradientRegressor ngd = new NaturalGradientRegressor().setArchitecture("mlp").setHiddenLayers(new int[] {4})
        .setRegParam(0.01).setDamping(0.01).setMaxIter(6).setTol(0).setSeed(3);
    NaturalGradientRegressionModel model = ngd.fit(data);

    Path parquet = dir.resolve("mlp.parquet");
    data.select("label", "features").write().parquet(parquet.toString());
    Path out = dir.resolve("train-mlp");
    Run run = pullback("train", "--data", parquet.toString(), "--model", "mlp", "--hidden", "4", "--l2", "0.005", "--damping",
        "0.01", "--steps", "6", "--seed", "3", "--out", out.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(model.parameters()).containsExactly(Npy.readVector(out.resolve("params.npy")));

    TrainingSummary summary = model.trainingSummary();
    List<String> lines = Files.readAllLines(out.resolve("history.jsonl"));
    assertThat(summary.totalIterations()).isEqualTo(6).isEqualTo(lines.size());
    ObjectMapper json = new ObjectMapper();
    for (int t = 0; t < lines.size(); t++) {
      JsonNode line = json.readTree(lines.get(t));
      assertThat(summary.steps()[t]).isEqualTo(line.get("step").asInt());
      assertThat(summary.loss()[t]).as("loss of step %d", t + 1).isEqualTo(line.get("loss").asDouble());
      assertThat(summary.damping()[t]).isEqualTo(line.get("damping").asDouble());
      assertThat(summary.passes()[t]).isEqualTo(line.get("passes").asInt());
      assertThat(summary.gradientNorm()[t]).isEqualTo(line.get("grad_norm").asDouble());
    }
    assertThat(summary.totalPasses()).isEqualTo(json.readTree(out.resolve("summary.json").toFile()).get("passes").asLong());
    List<Row> frame = summary.toDataFrame(spark).orderBy("step").collectAsList();
    assertThat(frame).hasSize(6);
    for (int t = 0; t < 6; t++) {
      assertThat(frame.get(t).getInt(0)).isEqualTo(t + 1);
      assertThat(frame.get(t).getDouble(1)).isEqualTo(summary.loss()[t]);
      assertThat(frame.get(t).getDouble(3)).isEqualTo(summary.damping()[t]);
      assertThat(frame.get(t).getInt(4)).isEqualTo(summary.passes()[t]);
    }
  }

  /** {@code metric()} is {@code estimate}'s metric at the fitted θ on the same rows, and ΦᵀΦ/M by hand. */
  @Test
  void metricAtTheFittedThetaIsEstimates() throws Exception {
    NaturalGradientRegressionModel model = gaussNewton().setMaxIter(1).fit(data);
    Path theta = dir.resolve("theta.npy");
    Npy.writeVector(theta, model.parameters());
    Path parquet = dir.resolve("metric.parquet");
    data.select("label", "features").write().parquet(parquet.toString());
    Path out = dir.resolve("estimate");
    Run run = pullback("estimate", "--data", parquet.toString(), "--model", "linear-basis", "--basis", "monomial", "--degree", "1",
        "--metric", "function", "--params", theta.toString(), "--representation", "dense", "--out", out.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    double[] estimate = Npy.readMatrix(out.resolve("metric.npy")).data();

    MetricRepresentation g = model.metric();
    double[] dense = g.toDense();
    assertThat(dense).containsExactly(estimate);
    assertThat(model.metric(data).toDense()).as("on a given Dataset").containsExactly(estimate);
    for (int j = 0; j < 4; j++) {
      for (int k = 0; k < 4; k++) {
        double s = 0;
        for (int i = 0; i < M; i++) s += (j == 0 ? 1 : x[i][j - 1]) * (k == 0 ? 1 : x[i][k - 1]) / M;
        assertThat(dense[j * 4 + k]).isCloseTo(s, Offset.offset(1e-12));
      }
    }
    g.release();
  }

  @Test
  void savesAndLoadsInMllibsLayout() throws Exception {
    NaturalGradientRegressor ngd = gaussNewton().setMaxIter(2);
    ngd.setPredictionCol("yhat");
    NaturalGradientRegressionModel model = ngd.fit(data);
    String path = dir.resolve("regression-model").toString();
    model.write().save(path);
    assertThatThrownBy(() -> model.write().save(path)).as("a second save without overwrite")
        .hasMessageContaining("already exists");
    model.write().overwrite().save(path);

    NaturalGradientRegressionModel loaded = NaturalGradientRegressionModel.load(path);
    assertThat(loaded.uid()).isEqualTo(model.uid());
    assertThat(loaded.getPredictionCol()).isEqualTo("yhat");
    assertThat(loaded.parameters()).containsExactly(model.parameters());
    assertThat(loaded.trainingSummary().loss()).containsExactly(model.trainingSummary().loss());
    assertThat(loaded.transform(data).select("yhat").collectAsList()).isEqualTo(model.transform(data).select("yhat").collectAsList());
    assertThatThrownBy(loaded::metric).hasMessageContaining("call metric(dataset)");
    assertThat(loaded.metric(data).toDense()).containsExactly(model.metric().toDense());

    // MLlib's own reader of the metadata, as every MLlib stage's loader uses it.
    DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path, spark, NaturalGradientRegressionModel.class.getName());
    assertThat(metadata.uid()).isEqualTo(model.uid());
    assertThat(metadata.className()).isEqualTo(NaturalGradientRegressionModel.class.getName());
    assertThat(metadata.sparkVersion()).isEqualTo(spark.version());
    assertThat(metadata.getParamValue("predictionCol").values()).isEqualTo("yhat");

    String estimatorPath = dir.resolve("regressor").toString();
    ngd.write().overwrite().save(estimatorPath);
    NaturalGradientRegressor reloaded = NaturalGradientRegressor.load(estimatorPath);
    assertThat(reloaded.getBasis()).isEqualTo("monomial");
    assertThat(reloaded.getRegParam()).isEqualTo(REG);
    assertThat(reloaded.fit(data).parameters()).containsExactly(model.parameters());
  }
}
