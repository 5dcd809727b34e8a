package io.pullback.metric;

import io.pullback.data.CounterRandom;
import io.pullback.data.ExampleBlock;
import io.pullback.model.Model;
import io.pullback.model.OutputDistribution;
import io.pullback.model.TestModels;
import java.util.List;

/**
 * The reference metric for the tests, written from DESIGN.md section 1 one example at a time:
 * per-example Jacobian from a 1-row block, probabilities computed here, factor rows by the table's
 * formulas, then {@code Σ w·rᵀr} by a triple loop, divided by {@code Σ w}.
 */
final class NaiveMetric {
  private NaiveMetric() {}

  /** Factor rows r × N of one example (unweighted), {@code rows[i][j]}. */
  static double[][] rows(Model m, MetricKind kind, int samples, long seed, double[] theta, ExampleBlock one) {
    int k = m.outputDim();
    int n = m.numParams();
    double[] f = new double[k];
    double[] jc = new double[k * n];
    m.jacobian(theta, one, f, jc);
    double[][] j = new double[k][n];
    for (int kk = 0; kk < k; kk++) for (int p = 0; p < n; p++) j[kk][p] = jc[p * k + kk];
    OutputDistribution dist = m.distribution();
    double[] prob = new double[k];
    if (dist == OutputDistribution.BERNOULLI_LOGIT) {
      for (int kk = 0; kk < k; kk++) prob[kk] = 1.0 / (1.0 + Math.exp(-f[kk]));
    } else if (dist == OutputDistribution.CATEGORICAL_SOFTMAX) {
      double s = 0;
      for (int kk = 0; kk < k; kk++) s += Math.exp(f[kk]);
      for (int kk = 0; kk < k; kk++) prob[kk] = Math.exp(f[kk]) / s;
    }
    double[] mean = new double[n]; // Σ p_j J_j (categorical)
    if (dist == OutputDistribution.CATEGORICAL_SOFTMAX) {
      for (int kk = 0; kk < k; kk++) for (int p = 0; p < n; p++) mean[p] += prob[kk] * j[kk][p];
    }
    long idx = one.firstIndex();
    switch (kind) {
      case FUNCTION:
        return j;
      case FISHER: {
        double[][] r = new double[k][n];
        for (int kk = 0; kk < k; kk++) {
          for (int p = 0; p < n; p++) {
            r[kk][p] = switch (dist) {
              case GAUSSIAN -> j[kk][p];
              case BERNOULLI_LOGIT -> Math.sqrt(prob[kk] * (1 - prob[kk])) * j[kk][p];
              case CATEGORICAL_SOFTMAX -> Math.sqrt(prob[kk]) * (j[kk][p] - mean[p]);
            };
          }
        }
        return r;
      }
      case EMPIRICAL_FISHER: {
        double[][] r = new double[1][n];
        for (int p = 0; p < n; p++) {
          r[0][p] = switch (dist) {
            case BERNOULLI_LOGIT -> {
              double s = 0;
              for (int kk = 0; kk < k; kk++) s += (one.labels()[kk] - prob[kk]) * j[kk][p];
              yield s;
            }
            case CATEGORICAL_SOFTMAX -> j[(int) one.label(0)][p] - mean[p];
            case GAUSSIAN -> {
              double s = 0;
              for (int kk = 0; kk < k; kk++) s += (one.labels()[kk] - f[kk]) * j[kk][p];
              yield s;
            }
          };
        }
        return r;
      }
      case MC_FISHER: {
        double[][] r = new double[samples][n];
        double sc = 1.0 / Math.sqrt(samples);
        for (int s = 0; s < samples; s++) {
          double u = CounterRandom.uniform(seed, idx, s, 0);
          for (int p = 0; p < n; p++) {
            double v;
            if (dist == OutputDistribution.BERNOULLI_LOGIT) {
              v = 0;
              for (int kk = 0; kk < k; kk++) {
                double uk = CounterRandom.uniform(seed, idx, s, kk);
                v += ((uk < prob[kk] ? 1 : 0) - prob[kk]) * j[kk][p];
              }
            } else if (dist == OutputDistribution.CATEGORICAL_SOFTMAX) {
              int y = k - 1;
              double c = 0;
              for (int kk = 0; kk < k - 1; kk++) {
                c += prob[kk];
                if (u < c) { y = kk; break; }
              }
              v = j[y][p] - mean[p];
            } else {
              v = 0;
              for (int kk = 0; kk < k; kk++) v += CounterRandom.normal(seed, idx, s, kk) * j[kk][p];
            }
            r[s][p] = sc * v;
          }
        }
        return r;
      }
      default:
        throw new AssertionError(kind);
    }
  }

  /** Row-major N × N reference metric over all examples of the blocks. */
  static double[] metric(Model m, MetricKind kind, int samples, long seed, double[] theta, List<ExampleBlock> blocks) {
    int n = m.numParams();
    double[] g = new double[n * n];
    double wsum = 0;
    for (ExampleBlock blk : blocks) {
      for (int b = 0; b < blk.rows(); b++) {
        double w = blk.weight(b);
        wsum += w;
        double[][] r = rows(m, kind, samples, seed, theta, TestModels.slice(blk, b, b + 1));
        for (double[] row : r) {
          for (int i = 0; i < n; i++) for (int jj = 0; jj < n; jj++) g[i * n + jj] += w * row[i] * row[jj];
        }
      }
    }
    for (int i = 0; i < g.length; i++) g[i] /= wsum;
    return g;
  }

  static double frobenius(double[] a) {
    double s = 0;
    for (double v : a) s += v * v;
    return Math.sqrt(s);
  }

  /** ‖a − b‖_F / ‖b‖_F. */
  static double relError(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
    return Math.sqrt(s) / frobenius(b);
  }

  static double absError(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
    return Math.sqrt(s);
  }
}
