package io.pullback.experiment;

import dev.ludovic.netlib.blas.BLAS;
import io.pullback.cli.TrainCommand;
import io.pullback.data.ExampleBlock;
import io.pullback.distributed.LoadedData;
import io.pullback.job.InputConfig;
import io.pullback.linalg.Blas;
import io.pullback.model.Model;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code ntk-duality} analysis: for the first B examples at the initial parameters, stack the
 * Jacobians into {@code J ∈ R^{BK×N}} and compare the eigenvalues of the metric {@code JᵀJ} (N×N) with
 * those of the empirical NTK {@code JJᵀ} (BK×BK). Their non-zero eigenvalues agree; the report gives
 * the largest difference over the top {@code min(N, BK)} eigenvalues above {@code 1e-10·λ_max},
 * relative to {@code λ_max} (the accuracy a symmetric eigensolver guarantees); the report plots both spectra. Cost: {@code B·K·N²} + {@code (BK)²·N} flops and two
 * symmetric eigensolves on the driver; fine for N up to a few thousand.
 */
final class NtkDuality {
  private NtkDuality() {}

  static Map<String, Object> run(org.apache.spark.sql.SparkSession spark, Experiment exp, Path out) {
    InputConfig input = TrainCommand.configFrom(exp.train(), out, "the ntk-duality analysis of " + exp.name()).input();
    LoadedData data = input.load(spark, 1);
    try {
      Model model = input.model(data.dim());
      double[] theta = input.initialParams(model);
      ExampleBlock batch = firstRows(data.blocks().take(Math.max(1, exp.ntkBatch())), exp.ntkBatch());
      int rows = batch.rows() * model.outputDim();
      int n = model.numParams();
      double[] outputs = new double[rows];
      double[] jac = new double[rows * n];
      model.jacobian(theta, batch, outputs, jac);
      BLAS blas = Blas.get();
      double[] metric = new double[n * n];
      blas.dgemm("T", "N", n, n, rows, 1.0, jac, rows, jac, rows, 0.0, metric, n);
      double[] ntk = new double[rows * rows];
      blas.dgemm("N", "T", rows, rows, n, 1.0, jac, rows, jac, rows, 0.0, ntk, rows);
      double[] em = ExperimentRunner.eigenvaluesDescending(metric, n);
      double[] ek = ExperimentRunner.eigenvaluesDescending(ntk, rows);
      int r = Math.min(n, rows);
      double top = Math.max(em[0], ek[0]);
      double worst = 0;
      int compared = 0;
      for (int i = 0; i < r; i++) {
        if (em[i] <= 1e-10 * top && ek[i] <= 1e-10 * top) break;
        // Relative to λ_max: a symmetric eigensolver is accurate to ε·λ_max in every eigenvalue.
        worst = Math.max(worst, Math.abs(em[i] - ek[i]) / top);
        compared++;
      }
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("batch_examples", batch.rows());
      result.put("n_params", n);
      result.put("bk", rows);
      result.put("compared_eigenvalues", compared);
      result.put("max_difference_relative_to_largest", worst);
      result.put("metric_eigenvalues", Arrays.stream(em).boxed().toList());
      result.put("ntk_eigenvalues", Arrays.stream(ek).boxed().toList());
      return result;
    } finally {
      data.release();
    }
  }

  /** The first {@code b} examples of the data, as one block. */
  static ExampleBlock firstRows(List<ExampleBlock> blocks, int b) {
    ExampleBlock first = blocks.get(0);
    int d = first.dim();
    int l = first.labelDim();
    int total = 0;
    for (ExampleBlock blk : blocks) total += blk.rows();
    int rows = Math.min(b, total);
    double[] x = new double[rows * d];
    double[] y = new double[rows * l];
    int k = 0;
    for (ExampleBlock blk : blocks) {
      for (int r = 0; r < blk.rows() && k < rows; r++, k++) {
        System.arraycopy(blk.features(), r * d, x, k * d, d);
        System.arraycopy(blk.labels(), r * l, y, k * l, l);
      }
    }
    return new ExampleBlock(first.firstIndex(), rows, d, l, x, y, null);
  }
}
