package io.pullback.model;

import io.pullback.data.ExampleBlock;
import io.pullback.data.RawExample;
import io.pullback.data.SyntheticSpec;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Generates the rows of a {@link SyntheticSpec}. Row {@code i} depends only on {@code (seed, i)}:
 * the same data come out whatever the partitioning, in any executor.
 */
public final class SyntheticGenerator implements Serializable {
  private static final long serialVersionUID = 1L;

  private final SyntheticSpec spec;
  /** Teacher weights, row-major (teacherOutputs × D), and biases. */
  private final double[] teacher;
  private final double[] teacherBias;
  private final int teacherOutputs;
  /** Gauss–Legendre nodes and probability weights (weights/2), for the gauss-legendre generator. */
  private final double[] nodes;
  private final double[] nodeWeights;
  /** The teacher network and its parameters, for the teacher generator. */
  private final io.pullback.model.Model teacherNet;
  private final double[] teacherTheta;

  public SyntheticGenerator(SyntheticSpec spec) {
    this.spec = spec;
    this.teacherOutputs = spec.classes() >= 2 ? spec.classes() : spec.outputs();
    SplittableRandom rng = new SplittableRandom(mix(spec.seed() ^ 0x5DEECE66DL, -1));
    int d = spec.features();
    this.teacher = new double[teacherOutputs * d];
    this.teacherBias = new double[teacherOutputs];
    double scale = 1.0 / Math.sqrt(d);
    for (int i = 0; i < teacher.length; i++) teacher[i] = gaussian(rng) * (spec.classes() >= 2 ? 2.0 * scale : scale);
    for (int k = 0; k < teacherOutputs; k++) teacherBias[k] = 0.5 * gaussian(rng);
    if (spec.generator().equals("gauss-legendre")) {
      double[][] rule = gaussLegendre((int) spec.rows());
      nodes = rule[0];
      nodeWeights = rule[1];
    } else {
      nodes = null;
      nodeWeights = null;
    }
    if (spec.generator().equals("teacher")) {
      teacherNet = io.pullback.model.Models.create(io.pullback.model.ModelSpec.mlp(spec.features(), new int[] {spec.width()}, spec.outputs(), "tanh"));
      double[] th = teacherNet.initialParams(spec.seed() ^ 0x7EAC4E5L);
      // Biases too, so the teacher is not odd; weights ×2 so the tanh units bend.
      for (int i = 0; i < th.length; i++) th[i] = th[i] == 0 ? 0.5 * gaussian(rng) : 2 * th[i];
      teacherTheta = th;
    } else {
      teacherNet = null;
      teacherTheta = null;
    }
  }

  /** Gauss–Legendre rules already computed in this JVM, by node count: {nodes, weights / 2}. */
  private static final java.util.concurrent.ConcurrentHashMap<Integer, double[][]> GAUSS_LEGENDRE = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The {@code n}-point Gauss–Legendre rule on [-1, 1] as {nodes, probability weights (weights / 2)},
   * from commons-math's high-precision (BigDecimal) rule. That computation builds every rule of 1 to
   * n points in turn (roughly O(n³) BigDecimal operations: tens of seconds for n = 64), so each
   * JVM does it once per n and later loads (every arm, analysis and reference of a {@code run})
   * reuse the doubles; only the doubles are kept, not the intermediate rules.
   */
  static double[][] gaussLegendre(int n) {
    double[][] rule = GAUSS_LEGENDRE.computeIfAbsent(n, k -> {
      var r = new org.apache.commons.math3.analysis.integration.gauss.GaussIntegratorFactory().legendreHighPrecision(k, -1, 1);
      double[] x = new double[k];
      double[] w = new double[k];
      for (int i = 0; i < k; i++) {
        x[i] = r.getPoint(i);
        w[i] = r.getWeight(i) / 2;
      }
      return new double[][] {x, w};
    });
    return new double[][] {rule[0].clone(), rule[1].clone()};
  }

  /** Row {@code index} of the data set. */
  public RawExample row(long index) {
    SplittableRandom rng = new SplittableRandom(mix(spec.seed(), index));
    int d = spec.features();
    double[] x = new double[d];
    double weight = 1.0;
    if (nodes != null) {
      x[0] = nodes[(int) index];
      weight = nodeWeights[(int) index];
    } else if (spec.generator().equals("uniform")) {
      for (int j = 0; j < d; j++) x[j] = rng.nextDouble(-1.0, 1.0);
    } else {
      for (int j = 0; j < d; j++) x[j] = gaussian(rng);
    }
    double[] t = new double[teacherOutputs];
    for (int k = 0; k < teacherOutputs; k++) {
      double s = teacherBias[k];
      for (int j = 0; j < d; j++) s += teacher[k * d + j] * x[j];
      t[k] = s;
    }
    double[] labels;
    if (teacherNet != null) {
      labels = new double[spec.outputs()];
      teacherNet.forward(teacherTheta, ExampleBlock.of(index, d, x, new double[1]), labels);
      for (int k = 0; k < labels.length; k++) labels[k] += spec.noise() * gaussian(rng);
      return new RawExample(x, labels, weight);
    }
    if (spec.classes() >= 2) {
      // With noise ν > 0 the class is argmax(t_k + ν·Gumbel): a draw from softmax(t/ν) (not separable).
      if (spec.noise() > 0) {
        for (int k = 0; k < teacherOutputs; k++) t[k] -= spec.noise() * Math.log(-Math.log(1.0 - rng.nextDouble()));
      }
      int best = 0;
      for (int k = 1; k < teacherOutputs; k++) if (t[k] > t[best]) best = k;
      labels = new double[] {best};
    } else {
      labels = new double[teacherOutputs];
      for (int k = 0; k < teacherOutputs; k++) labels[k] = Math.sin(t[k]) + spec.noise() * gaussian(rng);
    }
    return new RawExample(x, labels, weight);
  }

  private static double gaussian(SplittableRandom rng) {
    // Box–Muller; 1 - u keeps the logarithm finite.
    double u = 1.0 - rng.nextDouble();
    double v = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * v);
  }

  /** SplitMix64 finaliser of (seed, index): a well-mixed 64-bit seed per row. */
  static long mix(long seed, long index) {
    long z = seed * 0x9E3779B97F4A7C15L + index + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
