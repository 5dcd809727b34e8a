package io.pullback.model;

import io.pullback.data.ExampleBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.Named;

/** Seeded fixtures shared by the model and metric tests: models, random blocks, random θ, a naive MLP. */
public final class TestModels {
  private TestModels() {}

  /** Every model family the tests cover (ReLU included; see {@link #smoothModels()}). */
  public static List<Named<Model>> allModels() {
    List<Named<Model>> list = new ArrayList<>(smoothModels());
    list.add(named(new MlpModel(3, new int[] {5, 4}, 2, Activation.RELU)));
    return list;
  }

  /** Every model whose outputs are smooth in θ (finite differences apply everywhere). */
  public static List<Named<Model>> smoothModels() {
    List<Named<Model>> list = new ArrayList<>();
    for (BasisFamily f : BasisFamily.values()) {
      list.add(named(new LinearBasisModel(f, 1, 1, 4)));
      list.add(named(new LinearBasisModel(f, 2, 2, 3)));
    }
    list.add(named(new LogisticModel(3)));
    list.add(named(new SoftmaxModel(3, 3)));
    list.add(named(new MlpModel(3, new int[] {5, 4}, 2, Activation.TANH)));
    list.add(named(new MlpModel(3, new int[] {5, 4}, 2, Activation.GELU)));
    list.add(named(new MlpModel(2, new int[] {4, 3}, 3, Activation.TANH, OutputDistribution.CATEGORICAL_SOFTMAX)));
    list.add(named(new MlpModel(2, new int[] {4}, 1, Activation.GELU, OutputDistribution.BERNOULLI_LOGIT)));
    list.add(named(new MlpModel(2, new int[0], 2, Activation.TANH)));
    list.add(named(new MlpModel(3, new int[] {5, 4}, 2, Activation.SIGMOID)));
    list.add(named(new MlpModel(4, new int[] {5, 2, 5}, 4,
        new Activation[] {Activation.SIGMOID, Activation.LINEAR, Activation.SIGMOID}, OutputDistribution.BERNOULLI_LOGIT)));
    return list;
  }

  public static Named<Model> named(Model m) {
    return Named.of(m.toString(), m);
  }

  /**
   * A block of {@code rows} examples with features uniform on [-1,1]^D and labels valid for the
   * model's distribution (Bernoulli 0/1 for K = 1, K values in [0, 1] otherwise; categorical 0..K-1, Gaussian K normal values); weights
   * uniform on [0.5, 2] when {@code weighted}.
   */
  public static ExampleBlock randomBlock(Model m, SplittableRandom rng, long firstIndex, int rows, boolean weighted) {
    int d = m.inputDim();
    int k = m.outputDim();
    double[] x = new double[rows * d];
    for (int i = 0; i < x.length; i++) x[i] = rng.nextDouble(-1, 1);
    int labelDim = m.distribution() == OutputDistribution.CATEGORICAL_SOFTMAX ? 1 : k;
    double[] y = new double[rows * labelDim];
    for (int i = 0; i < y.length; i++) {
      switch (m.distribution()) {
        case BERNOULLI_LOGIT -> y[i] = k == 1 ? rng.nextInt(2) : rng.nextDouble(); // K >= 2: soft targets in [0, 1]
        case CATEGORICAL_SOFTMAX -> y[i] = rng.nextInt(k);
        case GAUSSIAN -> y[i] = rng.nextGaussian();
      }
    }
    double[] w = null;
    if (weighted) {
      w = new double[rows];
      for (int i = 0; i < rows; i++) w[i] = rng.nextDouble(0.5, 2.0);
    }
    return new ExampleBlock(firstIndex, rows, d, labelDim, x, y, w);
  }

  /** Rows {@code from..to-1} of a block as a new block (global indices preserved). */
  public static ExampleBlock slice(ExampleBlock blk, int from, int to) {
    return blk.slice(from, to);
  }

  /** {@code initialParams(seed)} plus N(0, 0.3²) noise, so biases are non-zero too. */
  public static double[] randomTheta(Model m, long seed) {
    double[] theta = m.initialParams(seed);
    SplittableRandom rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
    for (int i = 0; i < theta.length; i++) theta[i] += 0.3 * rng.nextGaussian();
    return theta;
  }

  /** Test-side activation, independent of {@link Activation}. */
  static double act(String name, double z) {
    return switch (name) {
      case "tanh" -> Math.tanh(z);
      case "relu" -> Math.max(0.0, z);
      case "gelu" -> z * 0.5 * (1.0 + Erf.erf(z / Math.sqrt(2.0)));
      case "sigmoid" -> 0.5 * (1.0 + Math.tanh(0.5 * z)); // = 1/(1 + e^{−z}), written differently
      case "linear" -> z;
      default -> throw new IllegalArgumentException(name);
    };
  }

  /**
   * A naive per-example MLP forward written from the documented layout (layers in order, each W row-major
   * out×in then b); {@code act} is one activation name, or one per hidden layer separated by commas. Returns the outputs; {@code preActs} (if not null) receives every hidden pre-activation.
   */
  public static double[] naiveMlp(int[] widths, String act, double[] theta, double[] x, List<Double> preActs) {
    double[] a = x.clone();
    String[] acts = act.split(",");
    int off = 0;
    for (int l = 1; l < widths.length; l++) {
      int in = widths[l - 1];
      int out = widths[l];
      double[] z = new double[out];
      for (int o = 0; o < out; o++) {
        double s = 0;
        for (int i = 0; i < in; i++) s += theta[off + o * in + i] * a[i];
        z[o] = s + theta[off + out * in + o];
      }
      off += out * in + out;
      if (l < widths.length - 1) {
        for (int o = 0; o < out; o++) {
          if (preActs != null) preActs.add(z[o]);
          z[o] = act(acts.length == 1 ? acts[0] : acts[l - 1], z[o]);
        }
      }
      a = z;
    }
    if (off != theta.length) throw new AssertionError("layout consumed " + off + " of " + theta.length);
    return a;
  }
}
