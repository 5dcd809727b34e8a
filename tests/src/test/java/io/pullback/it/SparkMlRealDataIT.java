package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.ml.NaturalGradientClassificationModel;
import io.pullback.ml.NaturalGradientClassifier;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance of issue 18 on real data (tests/src/test/resources/datasets): a Pipeline
 * {@code VectorAssembler → StandardScaler → NaturalGradientClassifier} reaches MLlib
 * {@code LogisticRegression}'s optimum — the regularised objective, computed here by a naive sum
 * over the scaled rows, within 1e-6 relative, and the same predictions on every row — in fewer data
 * passes than MLlib's iterations: softmax against the multinomial fit on digits (1797 × 64, 10
 * classes), logistic against the binomial fit on breast-cancer (569 × 10). Pullback runs ngd with
 * the Fisher metric (the Hessian of the cross-entropy): on digits with Levenberg–Marquardt damping,
 * so no step raises the loss (a raised loss would end the fit by the {@code tol} rule; softmax's
 * Fisher is singular along a common shift of the biases, so it needs some damping), on breast-cancer
 * with damping 0, i.e. Newton's method, for 12 steps (its correlated columns make a damped step
 * slow). MLlib gets
 * {@code standardization false}: its default standardizes inside the fit and penalises
 * {@code σ_j·w_j}, another objective (the scaler already gives unit-variance columns, and
 * Pullback's penalty is on the coefficients of the columns it is given). Then a
 * {@code CrossValidator} over {@code damping × regParam}, and save/load of the whole
 * {@code PipelineModel} with MLlib's metadata reader.
 */
class SparkMlRealDataIT extends CliHarness {
  static final double REG = 0.01;

  @TempDir
  Path dir;

  Dataset<Row> csv(String name) {
    return spark.read().option("header", "true").option("inferSchema", "true")
        .csv(Path.of("src", "test", "resources", "datasets", name).toAbsolutePath().toString());
  }

  static Pipeline pipeline(Dataset<Row> data, NaturalGradientClassifier ngd) {
    String[] features = Arrays.stream(data.columns()).filter(c -> !c.equals("label")).toArray(String[]::new);
    VectorAssembler assembler = new VectorAssembler().setInputCols(features).setOutputCol("raw");
    StandardScaler scaler = new StandardScaler().setInputCol("raw").setOutputCol("features");
    return new Pipeline().setStages(new PipelineStage[] {assembler, scaler, ngd});
  }

  /** (1/M) Σ −log p(y|x) + (REG/2)‖W‖² for logits W·x + b, computed row by row. */
  static double objective(List<Row> rows, double[][] w, double[] b) {
    double sum = 0;
    for (Row row : rows) {
      double[] x = ((Vector) row.getAs("features")).toArray();
      int y = ((Number) row.getAs("label")).intValue();
      double[] z = new double[b.length];
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < b.length; k++) {
        z[k] = b[k];
        for (int j = 0; j < x.length; j++) z[k] += w[k][j] * x[j];
        max = Math.max(max, z[k]);
      }
      double norm = 0;
      for (double zk : z) norm += Math.exp(zk - max);
      sum += -(z[y] - max - Math.log(norm));
    }
    double penalty = 0;
    for (double[] wk : w) for (double v : wk) penalty += v * v;
    return sum / rows.size() + REG / 2 * penalty;
  }

  /** The binary case as one logit z = w·x + b: the same as two classes with logits (0, z). */
  static double binaryObjective(List<Row> rows, double[] w, double b) {
    return objective(rows, new double[][] {new double[w.length], w}, new double[] {0, b});
  }

  @Test
  void softmaxOnDigitsReachesMllibsMultinomialOptimumInFewerPasses() {
    Dataset<Row> digits = csv("digits.csv").cache();
    NaturalGradientClassifier ngd = new NaturalGradientClassifier().setArchitecture("softmax").setRegParam(REG).setMaxIter(30)
        .setDampingSchedule("levenberg-marquardt").setTol(1e-12);
    PipelineModel fitted = pipeline(digits, ngd).fit(digits);
    NaturalGradientClassificationModel model = (NaturalGradientClassificationModel) fitted.stages()[2];
    Dataset<Row> scaled = fitted.transform(digits).cache();

    LogisticRegressionModel mllib = new LogisticRegression().setFamily("multinomial").setRegParam(REG).setElasticNetParam(0)
        .setStandardization(false).setTol(1e-12).setMaxIter(2000).fit(scaled.select("label", "features"));

    List<Row> rows = scaled.select("label", "features").collectAsList();
    int k = 10;
    int d = 64;
    double[] theta = model.parameters(); // W ∈ R^{K×(D+1)} row-major, the bias last
    double[][] w = new double[k][d];
    double[] b = new double[k];
    for (int c = 0; c < k; c++) {
      System.arraycopy(theta, c * (d + 1), w[c], 0, d);
      b[c] = theta[c * (d + 1) + d];
    }
    Matrix coefficients = mllib.coefficientMatrix();
    double[][] wm = new double[k][d];
    for (int c = 0; c < k; c++) for (int j = 0; j < d; j++) wm[c][j] = coefficients.apply(c, j);
    double ours = objective(rows, w, b);
    double theirs = objective(rows, wm, mllib.interceptVector().toArray());
    assertThat(Math.abs(ours - theirs) / theirs).as("objective %s vs MLlib %s", ours, theirs).isLessThan(1e-6);

    assertThat(fitted.transform(digits).select("prediction").collectAsList()).as("predictions")
        .isEqualTo(mllib.transform(scaled.select("label", "features")).select("prediction").collectAsList());
    System.out.printf("digits: objective %.12g (MLlib %.12g); %d data passes (MLlib: %d iterations)%n", ours, theirs,
        model.trainingSummary().totalPasses(), mllib.summary().totalIterations());
    assertThat(model.trainingSummary().totalPasses()).as("Pullback's data passes vs MLlib's iterations (each at least one pass)")
        .isLessThan(mllib.summary().totalIterations());
  }

  @Test
  void logisticOnBreastCancerReachesMllibsBinomialOptimumInFewerPasses() {
    Dataset<Row> cancer = csv("breast-cancer.csv").cache();
    // Fisher = Hessian for the logistic loss, so damping 0 is Newton's method: 12 steps from the seeded start.
    NaturalGradientClassifier ngd = new NaturalGradientClassifier().setArchitecture("logistic").setRegParam(REG).setMaxIter(12)
        .setDamping(0).setTol(0);
    PipelineModel fitted = pipeline(cancer, ngd).fit(cancer);
    NaturalGradientClassificationModel model = (NaturalGradientClassificationModel) fitted.stages()[2];
    Dataset<Row> scaled = fitted.transform(cancer).select("label", "features").cache();
    LogisticRegressionModel mllib = new LogisticRegression().setFamily("binomial").setRegParam(REG).setElasticNetParam(0)
        .setStandardization(false).setTol(1e-12).setMaxIter(2000).fit(scaled);

    List<Row> rows = scaled.collectAsList();
    double[] theta = model.parameters(); // [w_1..w_D, b]
    double ours = binaryObjective(rows, Arrays.copyOf(theta, 10), theta[10]);
    double theirs = binaryObjective(rows, mllib.coefficients().toArray(), mllib.intercept());
    assertThat(Math.abs(ours - theirs) / theirs).as("objective %s vs MLlib %s", ours, theirs).isLessThan(1e-6);
    assertThat(model.transform(scaled).select("prediction").collectAsList())
        .isEqualTo(mllib.transform(scaled).select("prediction").collectAsList());
    System.out.printf("breast-cancer: objective %.12g (MLlib %.12g); %d data passes (MLlib: %d iterations)%n", ours, theirs,
        model.trainingSummary().totalPasses(), mllib.summary().totalIterations());
    assertThat(model.trainingSummary().totalPasses()).isLessThan(mllib.summary().totalIterations());
  }

  /**
   * CrossValidator (2 folds) over damping × regParam with MLlib's evaluator picks the grid point of
   * the best mean log-loss, refits it on all rows (the same θ as a direct fit with those Params),
   * and the fitted PipelineModel saves and loads with identical predictions and MLlib-readable metadata.
   */
  @Test
  void crossValidatorPicksAModelAndThePipelineSavesAndLoads() throws Exception {
    Dataset<Row> cancer = csv("breast-cancer.csv").cache();
    NaturalGradientClassifier ngd = new NaturalGradientClassifier().setArchitecture("logistic").setMaxIter(8);
    Pipeline pipeline = pipeline(cancer, ngd);
    ParamMap[] grid = new ParamGridBuilder().addGrid(ngd.damping(), new double[] {1e-3, 1e-1})
        .addGrid(ngd.regParam(), new double[] {1e-3, 1.0}).build();
    MulticlassClassificationEvaluator logLoss = new MulticlassClassificationEvaluator().setMetricName("logLoss");
    CrossValidatorModel cv = new CrossValidator().setEstimator(pipeline).setEstimatorParamMaps(grid).setEvaluator(logLoss)
        .setNumFolds(2).setSeed(7).fit(cancer);

    double[] metrics = cv.avgMetrics();
    assertThat(metrics).hasSize(4);
    for (double m : metrics) assertThat(m).isFinite().isPositive();
    int best = 0;
    for (int i = 1; i < metrics.length; i++) if (metrics[i] < metrics[best]) best = i;
    double bestReg = (Double) grid[best].apply(ngd.regParam());
    double bestDamping = (Double) grid[best].apply(ngd.damping());
    assertThat(bestReg).as("a strong L2 term fits worse: %s", Arrays.toString(metrics)).isEqualTo(1e-3);

    PipelineModel chosen = (PipelineModel) cv.bestModel();
    NaturalGradientClassificationModel stage = (NaturalGradientClassificationModel) chosen.stages()[2];
    NaturalGradientClassifier direct = new NaturalGradientClassifier().setArchitecture("logistic").setMaxIter(8)
        .setRegParam(bestReg).setDamping(bestDamping);
    PipelineModel refit = pipeline(cancer, direct).fit(cancer);
    assertThat(stage.parameters()).as("the chosen model is the fit of its grid point on all rows")
        .containsExactly(((NaturalGradientClassificationModel) refit.stages()[2]).parameters());

    String path = dir.resolve("pipeline").toString();
    chosen.write().overwrite().save(path);
    chosen.write().overwrite().save(path);
    PipelineModel loaded = PipelineModel.load(path);
    assertThat(loaded.transform(cancer).select("rawPrediction", "probability", "prediction").collectAsList())
        .isEqualTo(chosen.transform(cancer).select("rawPrediction", "probability", "prediction").collectAsList());
    NaturalGradientClassificationModel loadedStage = (NaturalGradientClassificationModel) loaded.stages()[2];
    assertThat(loadedStage.parameters()).containsExactly(stage.parameters());
    String stagePath = Path.of(path, "stages", "2_" + stage.uid()).toString();
    var metadata = DefaultParamsReader$.MODULE$.loadMetadata(stagePath, spark, NaturalGradientClassificationModel.class.getName());
    assertThat(metadata.uid()).isEqualTo(stage.uid());
    assertThat(metadata.getParamValue("featuresCol").values()).isEqualTo("features");
  }
}
