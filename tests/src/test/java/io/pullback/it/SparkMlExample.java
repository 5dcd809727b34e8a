package io.pullback.it;

import io.pullback.ml.NaturalGradientClassificationModel;
import io.pullback.ml.NaturalGradientClassifier;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

public class SparkMlExample {
  public static void main(String[] args) throws Exception {
    SparkSession spark = SparkSession.builder().appName("pullback-ml-example").getOrCreate();
    Dataset<Row> data = spark.sql("SELECT CAST(id % 2 AS DOUBLE) AS label, CAST(id % 2 AS DOUBLE) + SIN(id) AS x1,"
        + " COS(id) AS x2 FROM range(200)");

    VectorAssembler assembler = new VectorAssembler().setInputCols(new String[] {"x1", "x2"}).setOutputCol("features");
    NaturalGradientClassifier ngd = new NaturalGradientClassifier()
        .setArchitecture("logistic")
        .setRegParam(0.01)
        .setMaxIter(20);
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {assembler, ngd});
    PipelineModel fitted = pipeline.fit(data);

    NaturalGradientClassificationModel model = (NaturalGradientClassificationModel) fitted.stages()[1];
    System.out.println("theta = " + java.util.Arrays.toString(model.parameters()));
    System.out.println("layout: " + model.parameterLayout());

    Path dir = Files.createTempDirectory("ngd-model");
    model.write().overwrite().save(dir.resolve("model").toString());
    NaturalGradientClassificationModel loaded = NaturalGradientClassificationModel.load(dir.resolve("model").toString());
    loaded.transform(assembler.transform(data)).select("label", "probability", "prediction").show(5, false);
  }
}
