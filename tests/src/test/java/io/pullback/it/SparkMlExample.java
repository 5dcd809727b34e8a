package io.pullback.it;

import io.pullback.ml.NaturalGradientClassificationModel;
import io.pullback.ml.NaturalGradientClassifier;
import java.nio.file.Files;
import java.util.Arrays;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

public class SparkMlExample {
  public static void main(String[] args) throws Exception {
    SparkSession spark = SparkSession.builder().appName("pullback-ml-example").getOrCreate();
    Dataset<Row> data = spark.sql("SELECT CAST(id % 2 AS DOUBLE) AS label, CAST(id % 2 AS DOUBLE) + SIN(id) AS x1,"
        + " 10 * COS(id) AS x2 FROM range(200)");

    VectorAssembler assembler = new VectorAssembler().setInputCols(new String[] {"x1", "x2"}).setOutputCol("raw");
    StandardScaler scaler = new StandardScaler().setInputCol("raw").setOutputCol("features");
    NaturalGradientClassifier ngd = new NaturalGradientClassifier().setArchitecture("logistic").setMaxIter(5);
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {assembler, scaler, ngd});

    ParamMap[] grid = new ParamGridBuilder()
        .addGrid(ngd.damping(), new double[] {1e-3, 1e-1})
        .addGrid(ngd.regParam(), new double[] {1e-3, 1e-1})
        .build();
    CrossValidator cv = new CrossValidator().setEstimator(pipeline).setEstimatorParamMaps(grid)
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy")).setNumFolds(2).setSeed(1);
    CrossValidatorModel tuned = cv.fit(data);
    PipelineModel best = (PipelineModel) tuned.bestModel();

    NaturalGradientClassificationModel model = (NaturalGradientClassificationModel) best.stages()[2];
    System.out.println("mean accuracy per grid point: " + Arrays.toString(tuned.avgMetrics()));
    System.out.println("theta = " + Arrays.toString(model.parameters()) + " (" + model.parameterLayout() + ")");
    System.out.println("loss per step: " + Arrays.toString(model.trainingSummary().loss()));
    System.out.println("trace of the Fisher metric at theta: " + model.metric().trace());

    String path = Files.createTempDirectory("ngd-pipeline").resolve("pipeline").toString();
    best.write().overwrite().save(path);
    PipelineModel loaded = PipelineModel.load(path);
    loaded.transform(data).select("label", "probability", "prediction").show(5, false);
  }
}
