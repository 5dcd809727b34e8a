package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import io.pullback.io.Npy;
import io.pullback.ml.NaturalGradientClassificationModel;
import io.pullback.ml.NaturalGradientClassifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code io.pullback.ml.NaturalGradientClassifier} (issue 18, first slice) on a seeded binary data
 * set (x ~ N(0, 1)³, y ~ Bernoulli(σ(wᵀx + b))), against independent references: MLlib's
 * {@code LogisticRegression} optimum (regParam r, elasticNetParam 0, standardization false), the
 * {@code train} command on the same rows, a hand computation of σ(wᵀx + b) for the output columns,
 * a {@code Pipeline} with a {@code VectorAssembler}, save → load, refusals naming the Param, and the
 * Java example of {@code docs/spark-ml.md} as written.
 */
class NaturalGradientClassifierIT extends CliHarness {
  static final int M = 240;
  static final double REG = 0.1;
  static final int STEPS = 15;

  @TempDir
  Path dir;

  Dataset<Row> data;

  @BeforeAll
  void data() {
    Random r = new Random(20261202L);
    double[] w = {1.5, -2.0, 0.7};
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < M; i++) {
      double[] x = {r.nextGaussian(), r.nextGaussian(), r.nextGaussian()};
      double z = 0.3 + w[0] * x[0] + w[1] * x[1] + w[2] * x[2];
      double y = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
      double[] scores = {x[0] + r.nextGaussian(), x[1] - x[2] + r.nextGaussian(), 0.5 + r.nextGaussian()};
      double y3 = scores[0] >= scores[1] && scores[0] >= scores[2] ? 0 : scores[1] >= scores[2] ? 1 : 2;
      rows.add(RowFactory.create(y, x[0], x[1], x[2], Vectors.dense(x), y3));
    }
    StructType schema = new StructType().add("label", DataTypes.DoubleType).add("x1", DataTypes.DoubleType)
        .add("x2", DataTypes.DoubleType).add("x3", DataTypes.DoubleType).add("features", new VectorUDT())
        .add("label3", DataTypes.DoubleType);
    data = spark.createDataFrame(rows, schema).repartition(1).cache();
  }

  NaturalGradientClassifier newton() {
    return new NaturalGradientClassifier().setArchitecture("logistic").setRegParam(REG).setDamping(0).setMaxIter(STEPS).setTol(0);
  }

  @Test
  void logisticFitReachesMllibsOptimumAndEqualsTrain() throws Exception {
    NaturalGradientClassificationModel model = newton().fit(data);
    double[] theta = model.parameters();

    LogisticRegressionModel mllib = new LogisticRegression().setFamily("binomial").setRegParam(REG).setElasticNetParam(0)
        .setStandardization(false).setTol(1e-14).setMaxIter(1000).fit(data);
    double[] reference = new double[4];
    System.arraycopy(mllib.coefficients().toArray(), 0, reference, 0, 3);
    reference[3] = mllib.intercept();
    assertThat(L2CurvatureIT.relativeDifference(theta, reference)).as("θ vs MLlib").isLessThan(1e-6);

    Path parquet = dir.resolve("data.parquet");
    data.select("label", "features").write().parquet(parquet.toString());
    Path out = dir.resolve("train");
    Run run = pullback("train", "--data", parquet.toString(), "--model", "logistic", "--metric", "fisher", "--l2",
        String.valueOf(REG / 2), "--damping", "0", "--steps", String.valueOf(STEPS), "--out", out.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    double[] train = Npy.readVector(out.resolve("params.npy"));
    for (int i = 0; i < theta.length; i++) {
      assertThat(theta[i]).as("θ[%d] vs train", i).isCloseTo(train[i], org.assertj.core.data.Offset.offset(1e-12 * Math.abs(train[i])));
    }
    List<String> history = Files.readAllLines(out.resolve("history.jsonl"));
    double[] losses = model.trainingSummary().loss();
    assertThat(losses).hasSize(STEPS).hasSize(history.size());
    for (int t = 0; t < STEPS; t++) {
      double line = new com.fasterxml.jackson.databind.ObjectMapper().readTree(history.get(t)).get("loss").asDouble();
      assertThat(losses[t]).as("loss of step %d vs train's history", t + 1).isCloseTo(line, org.assertj.core.data.Offset.offset(1e-12));
    }
  }

  /**
   * {@code metric()} of a fitted classifier is {@code estimate}'s Fisher metric at the same θ on the
   * same rows, and by hand (1/M) Σ p(1−p)·[x, 1][x, 1]ᵀ.
   */
  @Test
  void metricAtTheFittedThetaIsEstimates() throws Exception {
    NaturalGradientClassificationModel model = newton().setMaxIter(4).fit(data);
    Path theta = dir.resolve("theta.npy");
    Npy.writeVector(theta, model.parameters());
    Path parquet = dir.resolve("metric.parquet");
    data.select("label", "features").write().parquet(parquet.toString());
    Path out = dir.resolve("estimate");
    Run run = pullback("estimate", "--data", parquet.toString(), "--model", "logistic", "--metric", "fisher", "--params",
        theta.toString(), "--representation", "dense", "--out", out.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    double[] g = model.metric().toDense();
    assertThat(g).containsExactly(Npy.readMatrix(out.resolve("metric.npy")).data());
    double[] naive = naiveFisher(model.parameters(), data);
    for (int i = 0; i < 16; i++) assertThat(g[i]).isCloseTo(naive[i], org.assertj.core.data.Offset.offset(1e-12));
    Dataset<Row> half = data.limit(M / 2).cache();
    double[] onHalf = model.metric(half).toDense();
    double[] expected = naiveFisher(model.parameters(), half);
    for (int i = 0; i < 16; i++) assertThat(onHalf[i]).as("on a given Dataset").isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-12));
  }

  /** (1/M) Σ p(1−p)·[x, 1][x, 1]ᵀ over the rows, the logistic Fisher metric by hand. */
  static double[] naiveFisher(double[] t, Dataset<Row> rows) {
    List<Row> list = rows.select("features").collectAsList();
    double[] naive = new double[16];
    for (Row row : list) {
      double[] x = ((Vector) row.get(0)).toArray();
      double[] a = {x[0], x[1], x[2], 1};
      double p = 1 / (1 + Math.exp(-(t[0] * x[0] + t[1] * x[1] + t[2] * x[2] + t[3])));
      for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) naive[i * 4 + j] += p * (1 - p) * a[i] * a[j] / list.size();
    }
    return naive;
  }

  /**
   * Softmax with K = 3 (inferred from the labels' maximum) against MLlib's multinomial fit: the same
   * probabilities (the intercepts are only defined up to a common shift, the weights are not) and
   * the same predictions.
   */
  @Test
  void softmaxMatchesMllibsMultinomialProbabilities() {
    NaturalGradientClassifier ngd = new NaturalGradientClassifier().setArchitecture("softmax").setRegParam(REG).setMaxIter(30)
        .setTol(0);
    ngd.setLabelCol("label3");
    NaturalGradientClassificationModel model = ngd.fit(data);
    assertThat(model.numClasses()).isEqualTo(3);
    LogisticRegression lr = new LogisticRegression().setFamily("multinomial").setRegParam(REG).setElasticNetParam(0)
        .setStandardization(false).setTol(1e-14).setMaxIter(1000);
    lr.setLabelCol("label3");
    List<Row> ours = model.transform(data).select("probability", "prediction").collectAsList();
    List<Row> theirs = lr.fit(data).transform(data).select("probability", "prediction").collectAsList();
    for (int i = 0; i < M; i++) {
      double[] p = ((Vector) ours.get(i).get(0)).toArray();
      double[] q = ((Vector) theirs.get(i).get(0)).toArray();
      for (int k = 0; k < 3; k++) assertThat(p[k]).as("row %d class %d", i, k).isCloseTo(q[k], org.assertj.core.data.Offset.offset(1e-6));
      assertThat(ours.get(i).getDouble(1)).as("prediction of row %d", i).isEqualTo(theirs.get(i).getDouble(1));
    }
  }

  @Test
  void transformGivesSigmoidOfTheLogitAndTheMoreLikelyClass() {
    NaturalGradientClassificationModel model = newton().setMaxIter(3).fit(data);
    double[] theta = model.parameters();
    assertThat(model.numClasses()).isEqualTo(2);
    List<Row> out = model.transform(data).select("features", "rawPrediction", "probability", "prediction").collectAsList();
    assertThat(out).hasSize(M);
    for (Row row : out) {
      double[] x = ((Vector) row.get(0)).toArray();
      double z = theta[3] + theta[0] * x[0] + theta[1] * x[1] + theta[2] * x[2];
      double p = 1 / (1 + Math.exp(-z));
      Vector raw = (Vector) row.get(1);
      Vector prob = (Vector) row.get(2);
      assertThat(raw.apply(1)).isCloseTo(z, org.assertj.core.data.Offset.offset(1e-12));
      assertThat(raw.apply(0)).isCloseTo(-z, org.assertj.core.data.Offset.offset(1e-12));
      assertThat(prob.apply(1)).isCloseTo(p, org.assertj.core.data.Offset.offset(1e-14));
      assertThat(prob.apply(0)).isCloseTo(1 - p, org.assertj.core.data.Offset.offset(1e-14));
      assertThat(row.getDouble(3)).isEqualTo(p > 0.5 ? 1.0 : 0.0);
    }
  }

  @Test
  void worksInAPipelineAndSavesAndLoads() throws Exception {
    VectorAssembler assembler = new VectorAssembler().setInputCols(new String[] {"x1", "x2", "x3"}).setOutputCol("assembled");
    NaturalGradientClassifier ngd = newton().setMaxIter(5);
    ngd.setFeaturesCol("assembled");
    PipelineModel pipeline = new Pipeline().setStages(new PipelineStage[] {assembler, ngd}).fit(data.drop("features"));
    NaturalGradientClassificationModel fitted = (NaturalGradientClassificationModel) pipeline.stages()[1];
    double[] direct = newton().setMaxIter(5).fit(data).parameters();
    assertThat(fitted.parameters()).as("the pipeline's stage fits the same θ as a direct fit").containsExactly(direct);
    assertThat(fitted.getFeaturesCol()).isEqualTo("assembled");

    List<Row> before = pipeline.transform(data).select("rawPrediction", "probability", "prediction").collectAsList();
    String modelPath = dir.resolve("model").toString();
    fitted.write().overwrite().save(modelPath);
    NaturalGradientClassificationModel loaded = NaturalGradientClassificationModel.load(modelPath);
    assertThat(loaded.uid()).isEqualTo(fitted.uid());
    assertThat(loaded.parameters()).containsExactly(fitted.parameters());
    assertThat(loaded.getFeaturesCol()).isEqualTo("assembled");
    assertThat(loaded.transform(assembler.transform(data)).select("rawPrediction", "probability", "prediction").collectAsList())
        .isEqualTo(before);
    String metadata = spark.read().text(Path.of(modelPath, "metadata").toString()).first().getString(0);
    assertThat(metadata).contains("\"class\":\"io.pullback.ml.NaturalGradientClassificationModel\"", "\"paramMap\"",
        "\"defaultParamMap\"", "\"sparkVersion\"", "\"uid\":\"" + fitted.uid() + "\"");

    String estimatorPath = dir.resolve("estimator").toString();
    ngd.write().overwrite().save(estimatorPath);
    NaturalGradientClassifier reloaded = NaturalGradientClassifier.load(estimatorPath);
    assertThat(reloaded.uid()).isEqualTo(ngd.uid());
    assertThat(reloaded.getRegParam()).isEqualTo(REG);
    assertThat(reloaded.getMaxIter()).isEqualTo(5);
    assertThat(reloaded.getFeaturesCol()).isEqualTo("assembled");

    String pipelinePath = dir.resolve("pipeline").toString();
    pipeline.write().overwrite().save(pipelinePath);
    assertThat(PipelineModel.load(pipelinePath).transform(data).select("rawPrediction", "probability", "prediction")
        .collectAsList()).isEqualTo(before);
  }

  @Test
  void badValuesAreRefusedNamingTheParam() {
    assertThatThrownBy(() -> new NaturalGradientClassifier().setDamping(-1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("parameter damping given invalid value -1");
    assertThatThrownBy(() -> new NaturalGradientClassifier().setOptimizer("sgd"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("parameter optimizer given invalid value sgd");
    assertThatThrownBy(() -> new NaturalGradientClassifier().setArchitecture("svm"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("parameter architecture given invalid value svm");
    // A check of the job layer: its {placeholders} come out as Param names, never as flags.
    assertThatThrownBy(() -> newton().setDampingSchedule("levenberg-marquardt").setDamping(0).fit(data))
        .isInstanceOf(PullbackException.class)
        .hasMessageStartingWith("damping must be > 0 with dampingSchedule levenberg-marquardt")
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(2))
        .message().doesNotContain("--", "{");
    Dataset<Row> threeClasses = data.withColumn("label", org.apache.spark.sql.functions.lit(2.0));
    assertThatThrownBy(() -> newton().fit(threeClasses)).isInstanceOf(PullbackException.class)
        .hasMessageContaining("architecture logistic has one logit and needs 2 classes, but the labels have 3");
  }

  /** The Java block of docs/spark-ml.md is {@link SparkMlExample} as written (package line aside), and it runs. */
  @Test
  void theDocsJavaExampleIsThisFileAndRuns() throws Exception {
    String docs = Files.readString(Path.of("..", "docs", "spark-ml.md"));
    Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(docs);
    assertThat(m.find()).as("a ```java block in docs/spark-ml.md").isTrue();
    String source = Files.readString(Path.of("src", "test", "java", "io", "pullback", "it", "SparkMlExample.java"))
        .replaceFirst("package io.pullback.it;\n\n", "");
    assertThat(m.group(1)).isEqualTo(source);
    SparkMlExample.main(new String[0]);
  }

  /**
   * The Scala block of docs/spark-ml.md, as written, compiles with scalac (Spark's Scala version,
   * against this test's class path) and runs in this JVM's session.
   */
  @Test
  void theDocsScalaExampleCompilesAndRuns() throws Exception {
    String docs = Files.readString(Path.of("..", "docs", "spark-ml.md"));
    Matcher m = Pattern.compile("```scala\n(.*?)```", Pattern.DOTALL).matcher(docs);
    assertThat(m.find()).as("a ```scala block in docs/spark-ml.md").isTrue();
    Path source = dir.resolve("SparkMlScalaExample.scala");
    Files.writeString(source, m.group(1));
    Path classes = Files.createDirectories(dir.resolve("scala-classes"));
    boolean compiled = scala.tools.nsc.Main$.MODULE$.process(new String[] {"-classpath", testClassPath(), "-d", classes.toString(),
        source.toString()});
    assertThat(compiled).as("scalac compiles the docs' Scala block (its errors are on stderr)").isTrue();
    try (java.net.URLClassLoader loader = new java.net.URLClassLoader(new java.net.URL[] {classes.toUri().toURL()},
        getClass().getClassLoader())) {
      loader.loadClass("SparkMlScalaExample").getMethod("main", String[].class).invoke(null, (Object) new String[0]);
    }
  }

  /** This JVM's class path as scalac needs it: the entries of a manifest-only jar (how Failsafe starts tests) expanded. */
  static String testClassPath() throws Exception {
    String[] given = System.getProperty("java.class.path").split(java.io.File.pathSeparator);
    List<String> entries = new ArrayList<>(List.of(given));
    for (String entry : given) {
      if (given.length > 1 || !entry.endsWith(".jar") || !Files.isRegularFile(Path.of(entry))) continue;
      try (java.util.jar.JarFile jar = new java.util.jar.JarFile(entry)) {
        String manifestPath = jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue("Class-Path");
        if (manifestPath == null) continue;
        for (String url : manifestPath.trim().split("\\s+")) {
          entries.add(Path.of(Path.of(entry).getParent().toUri().resolve(url)).toString());
        }
      }
    }
    return String.join(java.io.File.pathSeparator, entries);
  }
}
