package io.pullback.bench.jmh;

import io.pullback.data.ExampleBlock;
import io.pullback.metric.FactorRows;
import io.pullback.metric.MetricKind;
import io.pullback.model.LogisticModel;
import io.pullback.model.Model;
import io.pullback.model.SoftmaxModel;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Forming one block of factor rows (model Jacobian plus the metric kind's combination), the work
 * that precedes each Gram update: softmax {@code fisher} (K = 10, B examples, 10·B rows) against the
 * {@code function} rows of a logistic model with the same N and the same number of rows (10·B
 * examples, one row each), whose rows are the inputs themselves.
 */
public class FactorRowsBenchmark extends KernelBenchmarkDefaults {
  @Param({"99"})
  int features;

  @Param({"200"})
  int examples;

  static final int K = 10;

  FactorRows softmaxFisher;
  FactorRows.Workspace softmaxWs;
  double[] softmaxTheta;
  ExampleBlock softmaxBlock;

  FactorRows logisticFunction;
  FactorRows.Workspace logisticWs;
  double[] logisticTheta;
  ExampleBlock logisticBlock;

  double[] factors;

  @Setup
  public void setUp() {
    Model softmax = new SoftmaxModel(features, K);
    int n = softmax.numParams();
    Model logistic = new LogisticModel(n - 1);
    softmaxFisher = new FactorRows(softmax, MetricKind.FISHER, 1, 0);
    logisticFunction = new FactorRows(logistic, MetricKind.FUNCTION, 1, 0);
    softmaxTheta = softmax.initialParams(1);
    logisticTheta = logistic.initialParams(1);
    softmaxBlock = block(examples, features, K);
    logisticBlock = block(examples * K, n - 1, 2);
    softmaxWs = softmaxFisher.newWorkspace(examples);
    logisticWs = logisticFunction.newWorkspace(examples * K);
    factors = new double[examples * K * n];
  }

  static ExampleBlock block(int rows, int dim, int classes) {
    SplittableRandom rng = new SplittableRandom(2);
    double[] x = new double[rows * dim];
    double[] y = new double[rows];
    for (int i = 0; i < x.length; i++) x[i] = rng.nextGaussian();
    for (int i = 0; i < rows; i++) y[i] = rng.nextInt(classes);
    return ExampleBlock.of(0, dim, x, y);
  }

  @Benchmark
  public double[] softmaxFisherRows() {
    softmaxFisher.compute(softmaxTheta, softmaxBlock, softmaxWs, factors);
    return factors;
  }

  @Benchmark
  public double[] logisticFunctionRows() {
    logisticFunction.compute(logisticTheta, logisticBlock, logisticWs, factors);
    return factors;
  }
}
