package io.pullback.distributed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.ludovic.netlib.lapack.LAPACK;
import io.pullback.PullbackException;
import io.pullback.cli.Flags;
import io.pullback.distributed.BlockedMetricEstimator.Band;
import io.pullback.distributed.BlockedMetricEstimator.BandPlan;
import io.pullback.distributed.BlockedMetricEstimator.BlockedMetric;
import io.pullback.distributed.BlockedMetricEstimator.Options;
import io.pullback.distributed.BlockedMetricEstimator.Tile;
import io.pullback.distributed.BlockedMetricOps.CgResult;
import io.pullback.distributed.BlockedMetricOps.NotConvergedException;
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
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.netlib.util.intW;

/**
 * The band-per-pass blocked estimator (bit-identical to all tiles in one pass, for any budget) and the
 * operations on the distributed metric against the dense metric.
 */
class BlockedMetricTest extends SharedSpark {

  /** A model, its data, a metric kind and a tile size giving several tiles with a ragged last one. */
  record Case(String name, ModelSpec spec, String data, MetricKind kind, int tileSize, int blockRows) {
    @Override public String toString() { return name; }
  }

  static List<Case> cases() {
    return List.of(
        // N = 231 (Legendre tensor basis, D = 2, total degree 20), T = 50: 5 tile columns, the last 31 wide.
        new Case("linear-basis function", ModelSpec.linearBasis(2, 1, "legendre", 20),
            "synthetic:uniform?rows=600&features=2&seed=31&noise=0.1", MetricKind.FUNCTION, 50, 64),
        // N = 100, K = 2 outputs (two factor rows per example), T = 16: 7 tile columns, the last 4 wide.
        new Case("mlp function", ModelSpec.mlp(3, new int[] {8, 6}, 2, "tanh"),
            "synthetic:gaussian?rows=300&features=3&seed=32&outputs=2", MetricKind.FUNCTION, 16, 32),
        // N = 28, r = 4 factor rows per example, T = 8: 4 tile columns.
        new Case("softmax fisher", ModelSpec.softmax(6, 4),
            "synthetic:gaussian?rows=250&features=6&seed=33&classes=4", MetricKind.FISHER, 8, 16));
  }

  private final List<LoadedData> loaded = new ArrayList<>();

  @AfterAll
  void releaseData() {
    loaded.forEach(LoadedData::release);
  }

  LoadedData load(Case c, Model model, int partitions) {
    LabelRule rule = new LabelRule(model.distribution(), model.outputDim(), model.kind());
    LoadedData d = DataLoader.load(spark, new DataLoader.Options(c.data(), null, null, null, null, partitions, dim -> c.blockRows(), rule));
    loaded.add(d);
    return d;
  }

  static FactorSource source(Case c, Model model) {
    return new BoundFactorRows(new FactorRows(model, c.kind(), 1, 7), model.initialParams(3));
  }

  static List<Tile> sorted(BlockedMetric m) {
    List<Tile> tiles = new ArrayList<>(m.tiles().collect());
    tiles.sort(Comparator.comparingLong(t -> BlockedMetricEstimator.key(t.i(), t.j())));
    return tiles;
  }

  static double relErr(double[] a, double[] b) {
    double num = 0;
    double den = 0;
    for (int k = 0; k < a.length; k++) {
      num += (a[k] - b[k]) * (a[k] - b[k]);
      den += b[k] * b[k];
    }
    return Math.sqrt(num / den);
  }

  static double[] denseMv(double[] g, double[] v) {
    int n = v.length;
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int j = 0; j < n; j++) s += g[i * n + j] * v[j];
      y[i] = s;
    }
    return y;
  }

  static double[] randomVector(int n, long seed) {
    Random rnd = new Random(seed);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) v[i] = rnd.nextGaussian();
    return v;
  }

  /** The smallest budget the plan accepts: one factor block plus the widest tile column. */
  static long minimalBudget(int n, int t, long factorBlockBytes) {
    long max = 0;
    for (int j = 0; j < BlockedMetricEstimator.tileCols(n, t); j++) max = Math.max(max, BandPlan.columnBytes(n, t, j));
    return max + factorBlockBytes;
  }

  @Test
  void bandPlanCoversEveryColumnGreedilyWithinTheBudget() {
    int n = 1000;
    int t = 128;
    long factor = 8L * 32 * n;
    long allBytes = 0;
    for (int j = 0; j < 8; j++) allBytes += BandPlan.columnBytes(n, t, j);
    assertThat(allBytes).isEqualTo(8L * (28 * 128 * 128 + 104 * 1000)); // 28 full tiles, then the last column (104 wide, N tall)
    BandPlan unbounded = BandPlan.plan(n, t, factor, Long.MAX_VALUE);
    assertThat(unbounded.passes()).isEqualTo(1);
    assertThat(unbounded.tileCount()).isEqualTo(36);
    assertThat(unbounded.tileBytes()).isEqualTo(allBytes);
    for (long budget : new long[] {minimalBudget(n, t, factor), minimalBudget(n, t, factor) + 1_000_000, allBytes / 2, allBytes + factor}) {
      BandPlan plan = BandPlan.plan(n, t, factor, budget);
      int next = 0;
      int tiles = 0;
      for (Band b : plan.bands()) {
        assertThat(b.firstCol()).isEqualTo(next);
        assertThat(b.endCol()).isGreaterThan(b.firstCol());
        assertThat(b.tileBytes() + factor).as("band %s within budget %d", b, budget).isLessThanOrEqualTo(budget);
        if (b.endCol() < 8) {
          assertThat(b.tileBytes() + BandPlan.columnBytes(n, t, b.endCol()) + factor).as("greedy").isGreaterThan(budget);
        }
        next = b.endCol();
        tiles += b.tiles();
      }
      assertThat(next).isEqualTo(8);
      assertThat(tiles).isEqualTo(36);
      assertThat(plan.tileBytes()).isEqualTo(allBytes);
    }
    // The minimal budget holds the widest column alone: the last columns get one pass each, early narrow ones share.
    BandPlan tight = BandPlan.plan(n, t, factor, minimalBudget(n, t, factor));
    assertThat(tight.passes()).isEqualTo(6);
    assertThat(tight.bands().get(5)).isEqualTo(new Band(7, 8, 8, BandPlan.columnBytes(n, t, 7)));
    assertThat(BandPlan.plan(n, t, factor, allBytes + factor).passes()).isEqualTo(1);
  }

  @Test
  void bandPlanRefusesABudgetBelowOneColumnAndSaysWhatIsNeeded() {
    long need = minimalBudget(1000, 128, 256_000);
    assertThatThrownBy(() -> BandPlan.plan(1000, 128, 256_000, need - 1))
        .isInstanceOf(PullbackException.class)
        .hasMessageContaining("per-task memory budget")
        .hasMessageContaining("raise the budget to at least")
        .hasMessageContaining("(" + need + " bytes)")
        .satisfies(e -> assertThat(Flags.message((PullbackException) e)).contains("--tile-size"))
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(PullbackException.USAGE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void bandsAreBitIdenticalToAllTilesInOnePassAndOpsMatchTheDenseMetric(Case c) {
    Model model = Models.create(c.spec());
    int n = model.numParams();
    FactorSource source = source(c, model);
    LoadedData data = load(c, model, 3);
    long factor = 8L * data.blockRows() * source.rowsPerExample() * n;
    double[] dense = DenseMetricEstimator.estimate(data, source, 1L << 30).values();

    BlockedMetric all = BlockedMetricEstimator.estimate(data, source, Options.allTiles(c.tileSize()));
    assertThat(all.plan().passes()).isEqualTo(1);
    List<Tile> reference = sorted(all);
    int nt = BlockedMetricEstimator.tileCols(n, c.tileSize());
    assertThat(reference).hasSize(nt * (nt + 1) / 2);

    long minimal = minimalBudget(n, c.tileSize(), factor);
    long middle = (minimal + all.plan().tileBytes() + factor) / 2;
    List<BlockedMetric> banded = List.of(
        BlockedMetricEstimator.estimate(data, source, Options.of(c.tileSize()).withTaskMemory(minimal)),
        BlockedMetricEstimator.estimate(data, source, Options.of(c.tileSize()).withTaskMemory(middle)
            .withStorage(StorageLevel.DISK_ONLY())));
    assertThat(banded.get(0).plan().passes()).isGreaterThanOrEqualTo(3);
    assertThat(banded.get(1).plan().passes()).isBetween(2, banded.get(0).plan().passes() - 1);
    for (BlockedMetric b : banded) {
      assertThat(b.passSeconds()).hasSize(b.plan().passes());
      List<Tile> tiles = sorted(b);
      assertThat(tiles).hasSameSizeAs(reference);
      for (int k = 0; k < tiles.size(); k++) {
        Tile x = tiles.get(k);
        Tile y = reference.get(k);
        assertThat(new int[] {x.i(), x.j(), x.rows(), x.cols()}).containsExactly(y.i(), y.j(), y.rows(), y.cols());
        assertThat(Arrays.equals(x.values(), y.values())).as("tile (%d, %d) bit-identical with %d passes", x.i(), x.j(), b.plan().passes()).isTrue();
      }
      assertThat(Arrays.equals(b.diagonal(), all.diagonal())).isTrue();
      assertThat(b.frobeniusNorm()).isEqualTo(all.frobeniusNorm());
      // The union of the bands is ordered by tile column, then tile row.
      List<Tile> inOrder = b.tiles().collect();
      for (int k = 1; k < inOrder.size(); k++) {
        Tile p = inOrder.get(k - 1);
        Tile q = inOrder.get(k);
        assertThat(p.j() < q.j() || (p.j() == q.j() && p.i() < q.i())).isTrue();
      }
    }

    BlockedMetricOps ops = new BlockedMetricOps(all);
    // Against the dense estimator (a different summation order: equal to rounding).
    assertThat(relErr(ops.toDense(), dense)).isLessThan(1e-12);
    double[] v = randomVector(n, 5);
    double[] gv = ops.mv(v);
    assertThat(relErr(gv, denseMv(dense, v))).isLessThan(1e-10);
    double q = 0;
    double[] dv = denseMv(dense, v);
    for (int i = 0; i < n; i++) q += v[i] * dv[i];
    assertThat(ops.vTMv(v)).isCloseTo(q, within(1e-10 * Math.abs(q)));
    double trace = 0;
    double fro = 0;
    double[] diag = new double[n];
    for (int i = 0; i < n; i++) {
      diag[i] = dense[i * n + i];
      trace += diag[i];
    }
    for (double x : dense) fro += x * x;
    assertThat(ops.trace()).isCloseTo(trace, within(1e-10 * trace));
    assertThat(relErr(ops.diagonal(), diag)).isLessThan(1e-10);
    assertThat(ops.frobeniusNorm()).isCloseTo(Math.sqrt(fro), within(1e-10 * Math.sqrt(fro)));
    assertThat(ops.passes()).isEqualTo(2);

    // Products are summed in an order fixed by the tiles alone: bit-identical across band plans and reruns.
    for (BlockedMetric b : banded) {
      BlockedMetricOps other = new BlockedMetricOps(b);
      assertThat(Arrays.equals(other.mv(v), gv)).isTrue();
      assertThat(other.vTMv(v)).isEqualTo(ops.vTMv(v));
      b.release();
      assertThat(b.parts()).allSatisfy(p -> assertThat(p.getStorageLevel()).isEqualTo(StorageLevel.NONE()));
    }
    assertThat(Arrays.equals(ops.mv(v), gv)).isTrue();
    ops.release();
  }

  /** {@code (G + λI)⁻¹v} by LAPACK Cholesky ({@code dpotrf}/{@code dpotrs}) of the dense metric. */
  static double[] choleskySolve(double[] g, int n, double lambda, double[] v) {
    double[] a = g.clone();
    for (int i = 0; i < n; i++) a[i * n + i] += lambda;
    intW info = new intW(0);
    io.pullback.linalg.Blas.lapack().dpotrf("U", n, a, n, info);
    assertThat(info.val).as("dpotrf").isZero();
    double[] x = v.clone();
    io.pullback.linalg.Blas.lapack().dpotrs("U", n, 1, a, n, x, n, info);
    assertThat(info.val).as("dpotrs").isZero();
    return x;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void conjugateGradientsMatchTheDenseCholeskySolve(Case c) {
    Model model = Models.create(c.spec());
    int n = model.numParams();
    FactorSource source = source(c, model);
    LoadedData data = load(c, model, 2);
    double[] dense = DenseMetricEstimator.estimate(data, source, 1L << 30).values();
    BlockedMetric metric = BlockedMetricEstimator.estimate(data, source, Options.of(c.tileSize())
        .withTaskMemory(minimalBudget(n, c.tileSize(), 8L * data.blockRows() * source.rowsPerExample() * n)));
    BlockedMetricOps ops = new BlockedMetricOps(metric);
    double lambda = 0.1 * ops.trace() / n; // κ(G + λI) ≤ 1 + 10·N; keeps the iteration count (one Spark pass each) modest
    double[] v = randomVector(n, 11);
    double[] expected = choleskySolve(dense, n, lambda, v);
    CgResult cg = ops.solve(v, lambda, 1e-12, 10 * n);
    assertThat(cg.relativeResidual()).isLessThanOrEqualTo(1e-12);
    assertThat(cg.iterations()).isBetween(1, 10 * n);
    assertThat(cg.passes()).isGreaterThanOrEqualTo(cg.iterations() + 1);
    assertThat(relErr(cg.x(), expected)).as("CG vs Cholesky after %d iterations", cg.iterations()).isLessThan(1e-8);

    assertThat(ops.solve(new double[n], lambda, 1e-10, 5).x()).containsOnly(0.0);
    assertThatThrownBy(() -> ops.solve(v, lambda, 1e-14, 2))
        .isInstanceOf(NotConvergedException.class)
        .satisfies(e -> assertThat(Flags.message((PullbackException) e)).contains("--cg-max-iter"))
        .satisfies(e -> assertThat(Flags.message((PullbackException) e)).contains("--cg-tol"))
        .hasMessageContaining("after 2 iterations")
        .satisfies(e -> {
          NotConvergedException nc = (NotConvergedException) e;
          assertThat(nc.exitCode()).isEqualTo(PullbackException.USAGE);
          assertThat(nc.partial().iterations()).isEqualTo(2);
          assertThat(nc.partial().relativeResidual()).isGreaterThan(1e-14);
        });
    assertThatThrownBy(() -> ops.solve(v, lambda, 0, 5)).satisfies(e -> assertThat(Flags.message((PullbackException) e)).contains("--cg-tol"));
    assertThatThrownBy(() -> ops.solve(v, -1, 1e-8, 5)).satisfies(e -> assertThat(Flags.message((PullbackException) e)).contains("--damping"));
    assertThatThrownBy(() -> ops.toDense(8L * n * n - 1))
        .isInstanceOf(PullbackException.class)
        .hasMessageContaining("8·N²")
        .hasMessageContaining("N = " + n)
        .satisfies(e -> assertThat(Flags.message((PullbackException) e)).contains("--driver-memory"));
    assertThatThrownBy(() -> ops.mv(new double[n + 1])).hasMessageContaining("length N = " + n);
    ops.release();
  }
}
