package io.pullback.experiment;

import io.pullback.PullbackException;
import io.pullback.data.RowSampler;
import io.pullback.distributed.LoadedData;
import io.pullback.distributed.TrainingPass;
import io.pullback.io.Json;
import io.pullback.io.Npy;
import io.pullback.job.InputConfig;
import io.pullback.job.TrainConfig;
import io.pullback.loss.Loss;
import io.pullback.loss.LossGradient;
import io.pullback.model.Model;
import io.pullback.io.Location;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * The baseline users compare natural gradient with: Spark MLlib's {@code LogisticRegression}
 * (L-BFGS, no regularisation) on the same examples, as an experiment arm ({@code optimizer:
 * mllib-lbfgs}, for {@code logistic} and {@code softmax} models; {@code steps} is MLlib's maxIter).
 *
 * <p>It writes what a train arm writes: {@code history.jsonl} (MLlib's objective per iteration, the
 * fit's wall time spread evenly), {@code params.npy} in Pullback's layout, and {@code summary.json}.
 * {@code final_loss} is Pullback's own loss at MLlib's parameters (the same definition for every
 * arm); {@code passes} counts the Spark jobs the fit ran (each objective evaluation and the initial
 * statistics pass is one job over the data).
 */
final class MllibArm {
  static final String NAME = "mllib-lbfgs";

  private MllibArm() {}

  static void run(SparkSession spark, TrainConfig config, Location armDir) {
    InputConfig input = config.input();
    LoadedData data = input.load(spark, 1);
    try {
      Model model = input.model(data.dim());
      if (!model.kind().equals("logistic") && !model.kind().equals("softmax")) {
        throw PullbackException.usage("optimizer " + NAME + " needs --model logistic or softmax, got " + model.kind());
      }
      if (config.l2() != 0) throw PullbackException.usage("optimizer " + NAME + " runs without regularisation; remove l2");
      int d = data.dim();
      StructType schema = new StructType().add("label", DataTypes.DoubleType).add("weight", DataTypes.DoubleType)
          .add("features", new VectorUDT());
      Dataset<Row> df = spark.createDataFrame(data.blocks().flatMap(b -> {
        List<Row> rows = new ArrayList<>(b.rows());
        for (int r = 0; r < b.rows(); r++) {
          double[] x = new double[b.dim()];
          System.arraycopy(b.features(), r * b.dim(), x, 0, b.dim());
          rows.add(RowFactory.create(b.label(r), b.weight(r), new DenseVector(x)));
        }
        return rows.iterator();
      }), schema);
      df.persist(StorageLevel.MEMORY_AND_DISK());
      df.count();
      LogisticRegression lr = new LogisticRegression().setRegParam(0).setElasticNetParam(0).setStandardization(false)
          .setMaxIter(config.steps()).setTol(1e-12).setWeightCol("weight")
          .setFamily(model.kind().equals("logistic") ? "binomial" : "multinomial");
      AtomicInteger jobs = new AtomicInteger();
      SparkListener counter = new SparkListener() {
        @Override
        public void onJobStart(SparkListenerJobStart jobStart) {
          jobs.incrementAndGet();
        }
      };
      spark.sparkContext().addSparkListener(counter);
      long t0 = System.nanoTime();
      LogisticRegressionModel fitted;
      try {
        fitted = lr.fit(df);
      } finally {
        spark.sparkContext().removeSparkListener(counter);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      df.unpersist();
      double[] theta = toTheta(fitted, model, d);
      double[] objective = fitted.summary().objectiveHistory();
      LossGradient lossGradient = new LossGradient(model, Loss.CROSS_ENTROPY);
      double finalLoss = TrainingPass.loss(data, lossGradient, theta, RowSampler.all(), 0);

      armDir.mkdirs();
      Location history = armDir.resolve("history.jsonl");
      history.deleteRecursively();
      for (int i = 0; i < objective.length; i++) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("step", i + 1);
        line.put("loss", objective[i]);
        line.put("seconds", seconds / objective.length);
        Json.appendJsonLine(history, line);
      }
      Npy.writeVector(armDir.resolve("params.npy"), theta);
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("command", "train");
      summary.put("optimizer", NAME);
      summary.put("model", model.kind());
      summary.put("n_params", model.numParams());
      summary.put("examples", data.examples());
      summary.put("iterations", fitted.summary().totalIterations());
      summary.put("final_loss", finalLoss);
      summary.put("passes", jobs.get());
      summary.put("train_seconds", seconds);
      Json.writeJson(armDir.resolve("summary.json"), summary);
    } finally {
      data.release();
    }
  }

  /** MLlib's coefficients in Pullback's layout: logistic [w, b]; softmax row-major K×(D+1), bias last. */
  static double[] toTheta(LogisticRegressionModel m, Model model, int d) {
    if (model.kind().equals("logistic")) {
      double[] theta = new double[d + 1];
      System.arraycopy(m.coefficients().toArray(), 0, theta, 0, d);
      theta[d] = m.intercept();
      return theta;
    }
    Matrix w = m.coefficientMatrix();
    double[] b = m.interceptVector().toArray();
    int k = w.numRows();
    double[] theta = new double[k * (d + 1)];
    for (int c = 0; c < k; c++) {
      for (int j = 0; j < d; j++) theta[c * (d + 1) + j] = w.apply(c, j);
      theta[c * (d + 1) + d] = b[c];
    }
    return theta;
  }

  static boolean isMllib(Map<String, Object> options) {
    return NAME.equals(String.valueOf(options.get("optimizer")));
  }
}
