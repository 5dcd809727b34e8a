package io.pullback.metric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.data.CounterRandom;
import io.pullback.data.ExampleBlock;
import io.pullback.metric.aggregate.GramAccumulator;
import io.pullback.model.Activation;
import io.pullback.model.BasisFamily;
import io.pullback.model.LinearBasisModel;
import io.pullback.model.LogisticModel;
import io.pullback.model.MlpModel;
import io.pullback.model.Model;
import io.pullback.model.SoftmaxModel;
import io.pullback.model.TestModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Factor rows and the Spark-free dense metric against naive references and closed forms. */
class FactorRowsTest {

  /** Blocks of sizes {@code sizes} with consecutive global indices starting at {@code first}. */
  static List<ExampleBlock> blocks(Model m, long seed, long first, boolean weighted, int... sizes) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<ExampleBlock> list = new ArrayList<>();
    long idx = first;
    for (int s : sizes) {
      list.add(TestModels.randomBlock(m, rng, idx, s, weighted));
      idx += s;
    }
    return list;
  }

  static Stream<Arguments> modelsTimesKinds() {
    List<Arguments> cases = new ArrayList<>();
    long seed = 500;
    for (Named<Model> m : TestModels.allModels()) {
      for (MetricKind k : MetricKind.values()) cases.add(Arguments.of(m, k, seed++));
    }
    return cases.stream();
  }

  /**
   * Every model × kind: denseMetric (blocked, BLAS) equals the naive per-example sum of outer products.
   * Tolerance 1e-12 relative Frobenius: both are sums of ~100 O(1) products in different orders.
   */
  @ParameterizedTest(name = "{0} {1} seed={2}")
  @MethodSource("modelsTimesKinds")
  void denseMetricEqualsNaiveSumOfOuterProducts(Model model, MetricKind kind, long seed) {
    System.out.println("seed " + seed + " " + model + " " + kind);
    List<ExampleBlock> data = blocks(model, seed, 17, true, 10, 1, 12);
    double[] theta = TestModels.randomTheta(model, seed);
    int samples = 5;
    double[] g = GramAccumulator.denseMetric(model, kind, samples, seed, theta, data);
    double[] ref = NaiveMetric.metric(model, kind, samples, seed, theta, data);
    assertThat(NaiveMetric.relError(g, ref)).isLessThan(1e-12);
    assertThat(new FactorRows(model, kind, samples, seed).rowsPerExample()).isEqualTo(switch (kind) {
      case FUNCTION, FISHER -> model.outputDim();
      case EMPIRICAL_FISHER -> 1;
      case MC_FISHER -> samples;
    });
  }

  /**
   * Every model × kind: the matrix-free product {@code Σ_blocks R_bᵀ R_b v} (JVP then VJP, no factor
   * rows) equals {@code (Σ w) G v} with G from the naive per-example sum. Tolerance 1e-12 relative.
   */
  @ParameterizedTest(name = "{0} {1} seed={2}")
  @MethodSource("modelsTimesKinds")
  void matrixFreeGramProductEqualsNaiveMetricTimesVector(Model model, MetricKind kind, long seed) {
    System.out.println("seed " + seed + " " + model + " " + kind);
    List<ExampleBlock> data = blocks(model, seed, 5, true, 7, 1, 4);
    double[] theta = TestModels.randomTheta(model, seed);
    int samples = 3;
    int n = model.numParams();
    double[] g = NaiveMetric.metric(model, kind, samples, seed, theta, data);
    double weight = 0;
    for (ExampleBlock b : data) weight += b.weightSum();
    SplittableRandom rng = new SplittableRandom(seed);
    double[] v = new double[n];
    for (int j = 0; j < n; j++) v[j] = rng.nextDouble(-1, 1);
    FactorRows fr = new FactorRows(model, kind, samples, seed);
    FactorRows.Workspace ws = fr.newWorkspace(0);
    double[] acc = new double[n];
    for (ExampleBlock b : data) fr.addGramProduct(theta, b, ws, v, acc);
    double[] ref = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) ref[i] += weight * g[i * n + j] * v[j];
    }
    assertThat(NaiveMetric.relError(acc, ref)).isLessThan(1e-12);
  }

  /**
   * Every model × kind: the row-major factor rows (direct, or the transposing default) hold exactly
   * the values of the column-major ones, weighted and unweighted; only logistic function/fisher rows
   * are written row-major directly.
   */
  @ParameterizedTest(name = "{0} {1} seed={2}")
  @MethodSource("modelsTimesKinds")
  void rowMajorFactorRowsAreTheTransposeOfColumnMajorOnes(Model model, MetricKind kind, long seed) {
    double[] theta = TestModels.randomTheta(model, seed);
    int n = model.numParams();
    FactorRows fr = new FactorRows(model, kind, 3, seed);
    int r = fr.rowsPerExample();
    for (boolean weighted : new boolean[] {false, true}) {
      for (ExampleBlock b : blocks(model, seed, 3, weighted, 6, 1)) {
        int rows = b.rows() * r;
        double[] col = new double[rows * n];
        double[] row = new double[rows * n];
        fr.compute(theta, b, null, col);
        fr.computeRowMajor(theta, b, fr.newWorkspace(b.rows()), row);
        for (int t = 0; t < rows; t++) {
          for (int j = 0; j < n; j++) {
            assertThat(row[t * n + j]).as("weighted %s row %d param %d", weighted, t, j).isEqualTo(col[j * rows + t]);
          }
        }
        // The model-level row-major Jacobian (direct or default transposition) agrees too.
        int k = model.outputDim();
        double[] out = new double[b.rows() * k];
        double[] outRow = new double[b.rows() * k];
        double[] jac = new double[b.rows() * k * n];
        double[] jacRow = new double[b.rows() * k * n];
        model.jacobian(theta, b, out, jac);
        model.jacobianRowMajor(theta, b, outRow, jacRow);
        assertThat(outRow).isEqualTo(out);
        for (int t = 0; t < b.rows() * k; t++) {
          for (int j = 0; j < n; j++) assertThat(jacRow[t * n + j]).isEqualTo(jac[j * b.rows() * k + t]);
        }
      }
    }
    boolean direct = kind == MetricKind.FUNCTION || kind == MetricKind.FISHER;
    assertThat(fr.prefersRowMajor()).isEqualTo(model instanceof LogisticModel && direct);
    assertThatThrownBy(() -> fr.computeRowMajor(theta, blocks(model, seed, 0, false, 2).get(0), null, new double[2 * r * n - 1]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs B*r*N");
  }

  /** Logistic fisher = X̃ᵀ diag(p(1−p)) X̃ / M with X̃ = [X, 1]. Tolerance 1e-12 relative. */
  @Test
  void logisticFisherClosedForm() {
    long seed = 601;
    System.out.println("seed " + seed);
    LogisticModel m = new LogisticModel(4);
    double[] theta = TestModels.randomTheta(m, seed);
    List<ExampleBlock> data = blocks(m, seed, 0, false, 40, 25);
    int n = 5;
    double[] ref = new double[n * n];
    int count = 0;
    for (ExampleBlock blk : data) {
      for (int b = 0; b < blk.rows(); b++) {
        double[] xt = {blk.feature(b, 0), blk.feature(b, 1), blk.feature(b, 2), blk.feature(b, 3), 1.0};
        double z = 0;
        for (int i = 0; i < n; i++) z += theta[i] * xt[i];
        double p = 1 / (1 + Math.exp(-z));
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) ref[i * n + j] += p * (1 - p) * xt[i] * xt[j];
        count++;
      }
    }
    for (int i = 0; i < ref.length; i++) ref[i] /= count;
    double[] g = GramAccumulator.denseMetric(m, MetricKind.FISHER, 1, 0, theta, data);
    assertThat(NaiveMetric.relError(g, ref)).isLessThan(1e-12);
  }

  /** Softmax fisher = (1/M) Σ (diag p − p pᵀ) ⊗ x̃ x̃ᵀ, entry (k·(D+1)+i, l·(D+1)+j). Tolerance 1e-12 relative. */
  @Test
  void softmaxFisherClosedForm() {
    long seed = 602;
    System.out.println("seed " + seed);
    int d = 3;
    int k = 4;
    SoftmaxModel m = new SoftmaxModel(d, k);
    double[] theta = TestModels.randomTheta(m, seed);
    List<ExampleBlock> data = blocks(m, seed, 0, false, 30, 31);
    int d1 = d + 1;
    int n = k * d1;
    double[] ref = new double[n * n];
    int count = 0;
    for (ExampleBlock blk : data) {
      for (int b = 0; b < blk.rows(); b++) {
        double[] xt = new double[d1];
        for (int i = 0; i < d; i++) xt[i] = blk.feature(b, i);
        xt[d] = 1;
        double[] p = new double[k];
        double s = 0;
        for (int c = 0; c < k; c++) {
          double z = 0;
          for (int i = 0; i < d1; i++) z += theta[c * d1 + i] * xt[i];
          p[c] = Math.exp(z);
          s += p[c];
        }
        for (int c = 0; c < k; c++) p[c] /= s;
        for (int c = 0; c < k; c++) {
          for (int l = 0; l < k; l++) {
            double a = (c == l ? p[c] : 0) - p[c] * p[l];
            for (int i = 0; i < d1; i++) {
              for (int j = 0; j < d1; j++) ref[(c * d1 + i) * n + l * d1 + j] += a * xt[i] * xt[j];
            }
          }
        }
        count++;
      }
    }
    for (int i = 0; i < ref.length; i++) ref[i] /= count;
    double[] g = GramAccumulator.denseMetric(m, MetricKind.FISHER, 1, 0, theta, data);
    assertThat(NaiveMetric.relError(g, ref)).isLessThan(1e-12);
  }

  static Stream<Named<Model>> mcModels() {
    return Stream.of(TestModels.named(new SoftmaxModel(3, 3)), TestModels.named(new LogisticModel(3)),
        TestModels.named(new MlpModel(2, new int[] {4}, 2, Activation.TANH)));
  }

  /**
   * mc-fisher → fisher with error ∝ 1/√S: mean (over 4 seeds) Frobenius error at S=16 over that at
   * S=1024 should be √64 = 8; asserted in [4, 16].
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("mcModels")
  void mcFisherConvergesToFisherAtRateOneOverSqrtS(Model m) {
    long dataSeed = 700;
    System.out.println("seed " + dataSeed + " (data), mc seeds 1..4 " + m);
    double[] theta = TestModels.randomTheta(m, dataSeed);
    List<ExampleBlock> data = blocks(m, dataSeed, 0, false, 64, 36);
    double[] fisher = GramAccumulator.denseMetric(m, MetricKind.FISHER, 1, 0, theta, data);
    double e16 = 0;
    double e1024 = 0;
    for (long s = 1; s <= 4; s++) {
      e16 += NaiveMetric.absError(GramAccumulator.denseMetric(m, MetricKind.MC_FISHER, 16, s, theta, data), fisher);
      e1024 += NaiveMetric.absError(GramAccumulator.denseMetric(m, MetricKind.MC_FISHER, 1024, s, theta, data), fisher);
    }
    double ratio = e16 / e1024;
    System.out.printf("mc-fisher error S=16 %.3e S=1024 %.3e ratio %.2f%n", e16 / 4, e1024 / 4, ratio);
    assertThat(ratio).isBetween(4.0, 16.0);
  }

  /**
   * Orthonormal bases on uniform data: G ≈ I. Entry (i,j) is a mean of M i.i.d. products φ_iφ_j, so
   * its sampling sd is √(Var(φ_iφ_j)/M), estimated from the same data; asserted
   * {@code |G_ij − δ_ij| ≤ 5·sd_ij + 1e-12} (per-entry 5σ; with ≤ 100 distinct entries the chance of a
   * false failure is ≈ 1e-5, and the seed is fixed). Also the largest deviation is below 0.1.
   */
  @ParameterizedTest
  @EnumSource(value = BasisFamily.class, names = {"LEGENDRE", "FOURIER"})
  void orthonormalBasisGivesIdentityOnUniformData(BasisFamily family) {
    long seed = 801;
    System.out.println("seed " + seed + " " + family);
    LinearBasisModel m = new LinearBasisModel(family, 2, 1, family == BasisFamily.LEGENDRE ? 3 : 2);
    int count = 20000;
    List<ExampleBlock> data = blocks(m, seed, 0, false, 5000, 5000, 5000, 5000);
    double[] g = GramAccumulator.denseMetric(m, MetricKind.FUNCTION, 1, 0, m.initialParams(1), data);
    int n = m.basisSize();
    double[] sum2 = new double[n * n];
    for (ExampleBlock blk : data) {
      double[] phi = m.designMatrix(blk);
      int rows = blk.rows();
      for (int b = 0; b < rows; b++) {
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < n; j++) {
            double v = phi[i * rows + b] * phi[j * rows + b];
            sum2[i * n + j] += v * v;
          }
        }
      }
    }
    double maxDev = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double mean = g[i * n + j];
        double var = sum2[i * n + j] / count - mean * mean;
        double sd = Math.sqrt(var / count);
        double dev = Math.abs(mean - (i == j ? 1 : 0));
        maxDev = Math.max(maxDev, dev);
        assertThat(dev).as("G[%d,%d] = %s, sd %s", i, j, mean, sd).isLessThanOrEqualTo(5 * sd + 1e-12); // + rounding, for the constant φ_0 (sd = 0)
      }
    }
    System.out.println("max |G - I| = " + maxDev);
    assertThat(maxDev).isLessThan(0.1);
  }

  /** Integer weights w equal duplicating each example w times (non-random kinds). Tolerance 1e-12 relative. */
  @ParameterizedTest(name = "{0}")
  @EnumSource(value = MetricKind.class, names = {"FUNCTION", "FISHER", "EMPIRICAL_FISHER"})
  void integerWeightsEqualDuplicatedExamples(MetricKind kind) {
    long seed = 901;
    System.out.println("seed " + seed + " " + kind);
    for (Named<Model> nm : TestModels.allModels()) {
      Model m = nm.getPayload();
      ExampleBlock base = blocks(m, seed, 0, false, 9).get(0);
      SplittableRandom rng = new SplittableRandom(seed);
      int d = m.inputDim();
      int ld = base.labelDim();
      double[] w = new double[9];
      List<Double> fx = new ArrayList<>();
      List<Double> fy = new ArrayList<>();
      int dup = 0;
      for (int b = 0; b < 9; b++) {
        w[b] = rng.nextInt(4); // 0..3, zero weights included
        for (int c = 0; c < w[b]; c++) {
          for (int t = 0; t < d; t++) fx.add(base.feature(b, t));
          for (int t = 0; t < ld; t++) fy.add(base.labels()[b * ld + t]);
          dup++;
        }
      }
      ExampleBlock weighted = new ExampleBlock(0, 9, d, ld, base.features(), base.labels(), w);
      ExampleBlock duplicated = new ExampleBlock(0, dup, d, ld,
          fx.stream().mapToDouble(Double::doubleValue).toArray(), fy.stream().mapToDouble(Double::doubleValue).toArray(), null);
      double[] theta = TestModels.randomTheta(m, seed);
      double[] gw = GramAccumulator.denseMetric(m, kind, 1, 0, theta, List.of(weighted));
      double[] gd = GramAccumulator.denseMetric(m, kind, 1, 0, theta, List.of(duplicated));
      assertThat(NaiveMetric.relError(gw, gd)).as("%s", m).isLessThan(1e-12);
    }
  }

  /**
   * NTK duality on an MLP batch with B·K &lt; N: the non-zero spectra of JᵀJ (N×N) and JJᵀ (BK×BK)
   * agree, the remaining N − BK eigenvalues of JᵀJ vanish, and (JᵀJ + λI)⁻¹Jᵀ = Jᵀ(JJᵀ + λI)⁻¹.
   * Tolerance 1e-9 relative to the largest eigenvalue.
   */
  @ParameterizedTest
  @ValueSource(strings = {"tanh", "gelu", "relu"})
  void ntkDuality(String act) {
    long seed = 1001;
    System.out.println("seed " + seed + " " + act);
    MlpModel m = new MlpModel(3, new int[] {6, 5}, 2, Activation.parse(act));
    int n = m.numParams();
    int b = 8;
    int bk = b * 2;
    assertThat(bk).isLessThan(n);
    ExampleBlock blk = blocks(m, seed, 0, false, b).get(0);
    double[] theta = TestModels.randomTheta(m, seed);
    double[] jac = new double[bk * n];
    m.jacobian(theta, blk, new double[bk], jac);
    RealMatrix j = new Array2DRowRealMatrix(bk, n);
    for (int r = 0; r < bk; r++) for (int c = 0; c < n; c++) j.setEntry(r, c, jac[c * bk + r]);
    RealMatrix metric = j.transpose().multiply(j);
    RealMatrix ntk = j.multiply(j.transpose());
    double[] ev1 = sortedDesc(new EigenDecomposition(metric).getRealEigenvalues());
    double[] ev2 = sortedDesc(new EigenDecomposition(ntk).getRealEigenvalues());
    double tol = 1e-9 * ev1[0];
    for (int i = 0; i < bk; i++) assertThat(Math.abs(ev1[i] - ev2[i])).as("eigenvalue %d", i).isLessThan(tol);
    for (int i = bk; i < n; i++) assertThat(Math.abs(ev1[i])).as("eigenvalue %d", i).isLessThan(tol);
    double lambda = 1e-2 * ev1[0];
    RealMatrix left = new LUDecomposition(metric.add(MatrixUtils.createRealIdentityMatrix(n).scalarMultiply(lambda)))
        .getSolver().getInverse().multiply(j.transpose());
    RealMatrix right = j.transpose().multiply(new LUDecomposition(
        ntk.add(MatrixUtils.createRealIdentityMatrix(bk).scalarMultiply(lambda))).getSolver().getInverse());
    assertThat(left.subtract(right).getFrobeniusNorm()).isLessThan(1e-9 * right.getFrobeniusNorm());
  }

  static double[] sortedDesc(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    for (int i = 0; i < s.length / 2; i++) {
      double t = s[i];
      s[i] = s[s.length - 1 - i];
      s[s.length - 1 - i] = t;
    }
    return s;
  }

  /** mc-fisher rows depend only on (seed, global index, sample): any partition into blocks gives identical rows. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("io.pullback.model.TestModels#allModels")
  void mcFisherRowsDoNotDependOnBlocking(Model m) {
    long seed = 1101;
    System.out.println("seed " + seed + " " + m);
    int total = 11;
    int s = 3;
    ExampleBlock all = blocks(m, seed, 1000, true, total).get(0);
    double[] theta = TestModels.randomTheta(m, seed);
    FactorRows fr = new FactorRows(m, MetricKind.MC_FISHER, s, 42);
    double[] ref = perExampleRows(fr, theta, all, new int[] {total});
    for (int[] sizes : new int[][] {{4, 7}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {3, 3, 3, 2}, {10, 1}}) {
      double[] got = perExampleRows(fr, theta, all, sizes);
      assertThat(got).as("blocks %s", Arrays.toString(sizes)).containsExactly(ref);
    }
    // and the draws differ with the seed
    double[] other = perExampleRows(new FactorRows(m, MetricKind.MC_FISHER, s, 43), theta, all, new int[] {total});
    assertThat(other).isNotEqualTo(ref);
  }

  /** Factor rows of every example, gathered as [example][row][param], computing block by block. */
  static double[] perExampleRows(FactorRows fr, double[] theta, ExampleBlock all, int[] sizes) {
    int r = fr.rowsPerExample();
    int n = fr.model().numParams();
    double[] outRows = new double[all.rows() * r * n];
    FactorRows.Workspace ws = fr.newWorkspace(4);
    int start = 0;
    for (int size : sizes) {
      ExampleBlock blk = TestModels.slice(all, start, start + size);
      double[] f = new double[size * r * n];
      fr.compute(theta, blk, ws, f);
      for (int b = 0; b < size; b++) {
        for (int i = 0; i < r; i++) {
          for (int j = 0; j < n; j++) outRows[((start + b) * r + i) * n + j] = f[j * size * r + b * r + i];
        }
      }
      start += size;
    }
    return outRows;
  }

  @Test
  void rejectsBadWeightsLabelsAndSamples() {
    LogisticModel m = new LogisticModel(2);
    double[] theta = m.initialParams(1);
    FactorRows fr = new FactorRows(m, MetricKind.FUNCTION, 1, 0);
    ExampleBlock neg = new ExampleBlock(5, 2, 2, 1, new double[4], new double[] {0, 1}, new double[] {1, -0.5});
    assertThatThrownBy(() -> fr.compute(theta, neg, null, new double[6]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("example 6").hasMessageContaining("-0.5");
    ExampleBlock badLabel = new ExampleBlock(5, 2, 2, 1, new double[4], new double[] {0, -1}, null);
    FactorRows ef = new FactorRows(m, MetricKind.EMPIRICAL_FISHER, 1, 0);
    assertThatThrownBy(() -> ef.compute(theta, badLabel, null, new double[6]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("example 6").hasMessageContaining("0 or 1");
    assertThatThrownBy(() -> new FactorRows(m, MetricKind.MC_FISHER, 0, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("samples");
    assertThatThrownBy(() -> fr.compute(theta, badLabel, null, new double[5]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("B*r*N = 6");
    SoftmaxModel sm = new SoftmaxModel(2, 3);
    ExampleBlock badClass = new ExampleBlock(0, 1, 2, 1, new double[2], new double[] {3}, null);
    assertThatThrownBy(() -> GramAccumulator.denseMetric(sm, MetricKind.EMPIRICAL_FISHER, 1, 0, sm.initialParams(1), List.of(badClass)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..2");
  }

  @Test
  void counterRandomIsUniformAndNormal() {
    int count = 200000;
    double s = 0;
    double s2 = 0;
    double n1 = 0;
    double n2 = 0;
    for (int i = 0; i < count; i++) {
      double u = CounterRandom.uniform(9, i, i % 7, 0);
      assertThat(u).isGreaterThanOrEqualTo(0).isLessThan(1);
      s += u;
      s2 += u * u;
      double z = CounterRandom.normal(9, i, 0, 1);
      n1 += z;
      n2 += z * z;
    }
    // 5σ bands: mean of U(0,1) sd √(1/12/M) ≈ 6.5e-4; normal mean sd 2.2e-3, variance sd √(2/M) ≈ 3.2e-3
    assertThat(s / count).isCloseTo(0.5, org.assertj.core.api.Assertions.within(3.3e-3));
    assertThat(s2 / count - 0.25).isCloseTo(1.0 / 12, org.assertj.core.api.Assertions.within(3e-3));
    assertThat(n1 / count).isCloseTo(0, org.assertj.core.api.Assertions.within(1.2e-2));
    assertThat(n2 / count).isCloseTo(1, org.assertj.core.api.Assertions.within(1.6e-2));
    assertThat(CounterRandom.bits(1, 2, 3, 4)).isEqualTo(CounterRandom.bits(1, 2, 3, 4));
    assertThat(CounterRandom.bits(1, 2, 3, 4)).isNotEqualTo(CounterRandom.bits(1, 2, 4, 3));
  }
}
