package io.pullback.it;

import io.pullback.ml.NaturalGradientClassifier;
import java.nio.file.Path;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The fit {@link CheckpointedFitIT} kills and resumes: ngd (short steps, so that it runs its 60
 * steps) on breast-cancer with a checkpoint every 4 steps into {@code args[0]}. Run as a child JVM
 * by the test (its own local session), and in the test JVM for the uninterrupted and resumed fits.
 */
public final class CheckpointedFit {
  static final int STEPS = 60;
  static final int EVERY = 4;

  private CheckpointedFit() {}

  static Dataset<Row> data(SparkSession spark) {
    Dataset<Row> csv = spark.read().option("header", "true").option("inferSchema", "true")
        .csv(Path.of("src", "test", "resources", "datasets", "breast-cancer.csv").toAbsolutePath().toString());
    String[] features = java.util.Arrays.stream(csv.columns()).filter(c -> !c.equals("label")).toArray(String[]::new);
    return new VectorAssembler().setInputCols(features).setOutputCol("features").transform(csv).select("label", "features")
        .repartition(2);
  }

  static NaturalGradientClassifier estimator(String checkpointDir) {
    NaturalGradientClassifier ngd = new NaturalGradientClassifier().setArchitecture("logistic").setStepSize(0.05).setDamping(1e-3)
        .setRegParam(1e-3).setMaxIter(STEPS).setTol(0).setCheckpointInterval(EVERY);
    return checkpointDir == null ? ngd : ngd.setCheckpointDir(checkpointDir);
  }

  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().master("local[1]").appName("checkpointed-fit").config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    estimator(args[0]).fit(data(spark));
    spark.stop();
  }
}
