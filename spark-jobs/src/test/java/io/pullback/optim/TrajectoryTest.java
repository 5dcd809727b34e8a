package io.pullback.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * Three-step trajectories of the first-order and induced optimisers against the update rules
 * written out independently with scalar loops. The gradients and losses are a fixed sequence
 * (not a function of θ), which isolates the update rule. Tolerance 1e-12 absolute on entries of
 * order 1: the reference performs the same operations in a possibly different order.
 */
class TrajectoryTest {
  private static final double TOL = 1e-12;
  static final double[] THETA0 = {0.5, -1.25, 2.0};
  static final double[][] GRADS = {{0.3, -2.0, 0.7}, {-1.1, 0.4, 0.05}, {0.9, 1.5, -0.6}};
  static final double[] LOSSES = {2.5, 1.7, 0.9};

  /** Runs the optimiser for three steps along the fixed sequence. */
  static double[][] run(Optimizer opt) {
    double[][] thetas = new double[4][];
    thetas[0] = THETA0.clone();
    for (int t = 1; t <= 3; t++) {
      double[] before = thetas[t - 1].clone();
      double[] g = GRADS[t - 1].clone();
      thetas[t] = opt.step(new StepInput(t, thetas[t - 1], LOSSES[t - 1], GRADS[t - 1], null));
      assertThat(thetas[t - 1]).as("theta not modified").containsExactly(before);
      assertThat(GRADS[t - 1]).as("gradient not modified").containsExactly(g);
    }
    return thetas;
  }

  static void assertTrajectory(double[][] actual, double[][] expected) {
    for (int t = 1; t <= 3; t++) {
      for (int i = 0; i < 3; i++) {
        assertThat(actual[t][i]).as("step %d entry %d", t, i).isCloseTo(expected[t][i], within(TOL));
      }
    }
  }

  @Test
  void gd() {
    double lr = 0.1;
    double[][] e = new double[4][3];
    e[0] = THETA0.clone();
    for (int t = 1; t <= 3; t++) {
      for (int i = 0; i < 3; i++) {
        e[t][i] = e[t - 1][i] - lr * GRADS[t - 1][i];
      }
    }
    assertTrajectory(run(new GradientDescentConfig(lr).create()), e);
  }

  @Test
  void heavyBallMomentum() {
    double lr = 0.05;
    double mu = 0.8;
    double[][] e = new double[4][3];
    e[0] = THETA0.clone();
    double[] v = new double[3];
    for (int t = 1; t <= 3; t++) {
      for (int i = 0; i < 3; i++) {
        v[i] = mu * v[i] + GRADS[t - 1][i];
        e[t][i] = e[t - 1][i] - lr * v[i];
      }
    }
    // by hand for step 2, entry 0: v = 0.8*0.3 - 1.1 = -0.86; θ = (0.5 - 0.015) + 0.043 = 0.528
    assertThat(e[2][0]).isCloseTo(0.528, within(1e-15));
    assertTrajectory(run(new MomentumConfig(lr, mu).create()), e);
  }

  /** Nesterov: v ← μv + g, θ ← θ − η(g + μv), by hand. */
  @Test
  void nesterovMomentum() {
    double lr = 0.05;
    double mu = 0.8;
    double[][] e = new double[4][3];
    e[0] = THETA0.clone();
    double[] v = new double[3];
    for (int t = 1; t <= 3; t++) {
      for (int i = 0; i < 3; i++) {
        v[i] = mu * v[i] + GRADS[t - 1][i];
        e[t][i] = e[t - 1][i] - lr * (GRADS[t - 1][i] + mu * v[i]);
      }
    }
    assertTrajectory(run(new MomentumConfig(lr, mu, true).create()), e);
  }

  @Test
  void adamAndAdamW() {
    for (double wd : new double[] {0.0, 0.01}) {
      String name = wd == 0 ? "adam" : "adamw";
      double lr = 0.01;
      double b1 = 0.9;
      double b2 = 0.999;
      double eps = 1e-8;
      double[][] e = new double[4][3];
      e[0] = THETA0.clone();
      double[] m = new double[3];
      double[] v = new double[3];
      for (int t = 1; t <= 3; t++) {
        for (int i = 0; i < 3; i++) {
          double g = GRADS[t - 1][i];
          m[i] = b1 * m[i] + (1 - b1) * g;
          v[i] = b2 * v[i] + (1 - b2) * g * g;
          double mh = m[i] / (1 - Math.pow(b1, t));
          double vh = v[i] / (1 - Math.pow(b2, t));
          // PyTorch AdamW order: decay first, then the Adam step
          double decayed = e[t - 1][i] * (1 - lr * wd);
          e[t][i] = decayed - lr * mh / (Math.sqrt(vh) + eps);
        }
      }
      // step 1 of Adam moves every coordinate by lr·sign(g) (up to ε)
      assertThat(e[1][1] - e[0][1] * (1 - lr * wd)).isCloseTo(lr, within(1e-9));
      OptimizerConfig c = new AdamConfig(name.equals("adamw"), lr, b1, b2, eps, wd);
      assertThat(c.name()).isEqualTo(name);
      assertTrajectory(run(c.create()), e);
    }
  }

  @Test
  void inducedVariants() {
    double lr = 0.1;
    double xi = 0.1;
    double beta = 0.1;
    double mu = 0.9;
    double betaRms = 0.99;
    double eps = 1e-8;
    double wd = 0.02;
    for (String name : new String[] {"induced", "induced-log", "induced-adam"}) {
      double[][] e = new double[4][3];
      e[0] = THETA0.clone();
      double s = 0;
      double[] m = new double[3];
      double[] v = new double[3];
      for (int t = 1; t <= 3; t++) {
        double[] g = GRADS[t - 1];
        double[] d = {1, 1, 1};
        if (name.equals("induced-adam")) {
          for (int i = 0; i < 3; i++) {
            v[i] = betaRms * v[i] + (1 - betaRms) * g[i] * g[i];
            d[i] = Math.sqrt(v[i] / (1 - Math.pow(betaRms, t))) + eps;
          }
        }
        double trace = 0;
        for (int i = 0; i < 3; i++) {
          trace += g[i] * g[i] / d[i];
        }
        s = beta * s + (1 - beta) * xi * trace;
        double sHat = s / (1 - Math.pow(beta, t));
        double l = LOSSES[t - 1];
        double a = name.equals("induced-log") ? l / (l * l + sHat) : 1 / (1 + sHat);
        for (int i = 0; i < 3; i++) {
          m[i] = mu * m[i] + (1 - mu) * g[i];
          double mh = m[i] / (1 - Math.pow(mu, t));
          // reference order: weight decay on θ first, then the scaled momentum
          double decayed = e[t - 1][i] - lr * wd * e[t - 1][i];
          e[t][i] = decayed - lr * a * mh / d[i];
        }
      }
      if (name.equals("induced")) {
        // step 1 by hand: ‖g‖² = 0.09 + 4 + 0.49 = 4.58, ŝ = 0.458, a = 1/1.458, m̂ = g
        double expected = 0.5 - 0.1 * 0.02 * 0.5 - 0.1 * 0.3 / 1.458;
        assertThat(e[1][0]).isCloseTo(expected, within(1e-15));
      }
      OptimizerConfig c = new InducedConfig(InducedConfig.Variant.parse(name), lr, xi, beta, mu, betaRms, eps, wd);
      assertThat(c.name()).isEqualTo(name);
      assertTrajectory(run(c.create()), e);
    }
  }

  @Test
  void inducedDefaultsAreThePaperDefaults() {
    InducedConfig c = (InducedConfig) OptimizerConfig.defaults("induced");
    assertThat(c.learningRate()).isEqualTo(0.1);
    assertThat(c.xi()).isEqualTo(0.1);
    assertThat(c.inducedBeta()).isEqualTo(0.1);
    assertThat(c.inducedMomentum()).isEqualTo(0.9);
    assertThat(c.betaRms()).isEqualTo(0.99);
    assertThat(c.inducedEpsilon()).isEqualTo(1e-8);
    AdamConfig a = (AdamConfig) OptimizerConfig.defaults("adam");
    assertThat(new double[] {a.learningRate(), a.adamBeta1(), a.adamBeta2(), a.adamEpsilon()})
        .containsExactly(1e-3, 0.9, 0.999, 1e-8);
  }
}
