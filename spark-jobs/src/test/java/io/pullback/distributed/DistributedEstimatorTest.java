package io.pullback.distributed;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.data.ExampleBlock;
import io.pullback.distributed.BlockedMetricEstimator.BlockedMetric;
import io.pullback.distributed.BlockedMetricEstimator.Tile;
import io.pullback.distributed.DenseMetricEstimator.DenseMetric;
import io.pullback.metric.BoundFactorRows;
import io.pullback.metric.FactorRows;
import io.pullback.metric.FactorSource;
import io.pullback.metric.MetricKind;
import io.pullback.model.LabelRule;
import io.pullback.model.Model;
import io.pullback.model.ModelSpec;
import io.pullback.model.Models;
import io.pullback.testing.SharedSpark;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The distributed estimators against a naive per-example sum of outer products, across partition
 * counts, reruns and regimes.
 */
class DistributedEstimatorTest extends SharedSpark {

  record Case(String name, ModelSpec spec, String data) {
    @Override public String toString() { return name; }
  }

  static List<Case> models() {
    return List.of(
        new Case("linear-basis", ModelSpec.linearBasis(2, 1, "legendre", 3),
            "synthetic:uniform?rows=230&features=2&seed=11&noise=0.1"),
        new Case("logistic", ModelSpec.logistic(4),
            "synthetic:gaussian?rows=230&features=4&seed=12&classes=2"),
        new Case("softmax", ModelSpec.softmax(3, 3),
            "synthetic:gaussian?rows=230&features=3&seed=13&classes=3"),
        new Case("mlp", ModelSpec.mlp(3, new int[] {5, 4}, 2, "tanh"),
            "synthetic:gaussian?rows=230&features=3&seed=14&outputs=2"));
  }

  static Stream<Arguments> modelsByKind() {
    List<Arguments> out = new ArrayList<>();
    for (Case c : models()) for (MetricKind k : MetricKind.values()) out.add(Arguments.of(c, k));
    return out.stream();
  }

  LoadedData load(Case c, Model model, int partitions, int blockRows) {
    LabelRule rule = new LabelRule(model.distribution(), model.outputDim(), model.kind());
    return DataLoader.load(spark, new DataLoader.Options(c.data(), null, null, null, null, partitions, d -> blockRows, rule));
  }

  /** Σ_x R(x)ᵀR(x) / Σ w, one example at a time, by explicit loops. */
  static double[] naive(List<ExampleBlock> blocks, FactorSource source) {
    int n = source.numParams();
    int r = source.rowsPerExample();
    double[] g = new double[n * n];
    double w = 0;
    for (ExampleBlock block : blocks) {
      for (int b = 0; b < block.rows(); b++) {
        ExampleBlock one = new ExampleBlock(block.firstIndex() + b, 1, block.dim(), block.labelDim(),
            Arrays.copyOfRange(block.features(), b * block.dim(), (b + 1) * block.dim()),
            Arrays.copyOfRange(block.labels(), b * block.labelDim(), (b + 1) * block.labelDim()),
            block.weights() == null ? null : new double[] {block.weight(b)});
        double[] f = new double[r * n];
        source.compute(one, f);
        for (int row = 0; row < r; row++) {
          for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) g[i * n + j] += f[i * r + row] * f[j * r + row];
          }
        }
        w += block.weight(b);
      }
    }
    for (int k = 0; k < g.length; k++) g[k] /= w;
    return g;
  }

  static double relativeFrobenius(double[] a, double[] b) {
    double num = 0;
    double den = 0;
    for (int k = 0; k < a.length; k++) {
      num += (a[k] - b[k]) * (a[k] - b[k]);
      den += b[k] * b[k];
    }
    return Math.sqrt(num / den);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("modelsByKind")
  void denseEqualsNaiveSumAndIsStableAcrossPartitionings(Case c, MetricKind kind) {
    Model model = Models.create(c.spec());
    double[] theta = model.initialParams(5);
    FactorSource source = new BoundFactorRows(new FactorRows(model, kind, 3, 99), theta);

    LoadedData one = load(c, model, 1, 16);
    double[] reference = naive(one.blocks().collect(), source);
    double[] g1 = DenseMetricEstimator.estimate(one, source, 1L << 30).values();
    one.release();
    // 1e-12: the distributed sum reorders O(M) additions of O(1) terms; naive and blocked sums differ by rounding only.
    assertThat(relativeFrobenius(g1, reference)).isLessThan(1e-12);

    for (int p : new int[] {3, 7}) {
      LoadedData data = load(c, model, p, 16);
      assertThat(data.partitions()).isEqualTo(p);
      DenseMetric g = DenseMetricEstimator.estimate(data, source, 1L << 30);
      assertThat(g.examples()).isEqualTo(230);
      assertThat(relativeFrobenius(g.values(), g1)).as("P=%d vs P=1", p).isLessThan(1e-13);
      // Rerun with the same partitioning: bit-identical.
      double[] again = DenseMetricEstimator.estimate(data, source, 1L << 30).values();
      assertThat(Arrays.equals(again, g.values())).as("rerun P=%d is bit-identical", p).isTrue();
      // A fan-in of 2 adds shuffle levels to the tree: the same up to rounding, and itself reproducible.
      DenseMetric deep = DenseMetricEstimator.estimate(data, source, 1);
      assertThat(deep.fanIn()).isEqualTo(2);
      assertThat(relativeFrobenius(deep.values(), g.values())).isLessThan(1e-13);
      assertThat(Arrays.equals(DenseMetricEstimator.estimate(data, source, 1).values(), deep.values())).isTrue();
      data.release();
    }
  }

  @Test
  void blockedEqualsDenseAtTwoThousandParameters() {
    // Legendre tensor basis in D = 2 up to total degree 62: N = 63·64/2 = 2016 parameters.
    ModelSpec spec = ModelSpec.linearBasis(2, 1, "legendre", 62);
    Model model = Models.create(spec);
    assertThat(model.numParams()).isEqualTo(2016);
    Case c = new Case("big", spec, "synthetic:uniform?rows=600&features=2&seed=21");
    FactorSource source = new BoundFactorRows(new FactorRows(model, MetricKind.FUNCTION, 1, 0), model.initialParams(1));
    LoadedData data = load(c, model, 3, 128);
    double[] dense = DenseMetricEstimator.estimate(data, source, 1L << 30).values();
    BlockedMetric blocked = BlockedMetricEstimator.estimate(data, source, 500);
    int n = model.numParams();
    double[] assembled = new double[n * n];
    List<Tile> tiles = blocked.tiles().collect();
    assertThat(tiles).hasSize(5 * 6 / 2);
    for (Tile t : tiles) {
      for (int a = 0; a < t.rows(); a++) {
        for (int b = 0; b < t.cols(); b++) {
          int i = t.i() * 500 + a;
          int j = t.j() * 500 + b;
          assembled[i * n + j] = t.values()[a * t.cols() + b];
          assembled[j * n + i] = t.values()[a * t.cols() + b];
        }
      }
    }
    assertThat(relativeFrobenius(assembled, dense)).isLessThan(1e-12);
    double trace = 0;
    for (int i = 0; i < n; i++) trace += dense[i * n + i];
    assertThat(blocked.trace()).isCloseTo(trace, org.assertj.core.api.Assertions.within(1e-9 * trace));
    double[] viaBlockMatrix = blocked.toBlockMatrix().toLocalMatrix().toArray(); // column-major, symmetric
    assertThat(relativeFrobenius(viaBlockMatrix, dense)).isLessThan(1e-12);
    blocked.release();
    data.release();
  }
}
