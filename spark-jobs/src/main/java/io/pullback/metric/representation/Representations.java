package io.pullback.metric.representation;

import io.pullback.data.ExampleBlock;
import io.pullback.linalg.DenseOps;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.BlockData;
import io.pullback.model.LayeredModel;
import io.pullback.model.Model;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds a {@link MetricRepresentation} of the metric {@code G = Σ w RᵀR / Σ w} (factor rows
 * {@code R} of a {@link FactorRows} at θ) over {@link BlockData}: Spark partitions or in-memory
 * blocks, the same code either way: the one route from data to a metric, used by every command.
 * Each build is one data pass (implicit: none until used; blocked: one per band of tile columns,
 * over all of the data even when {@code data} is a sample).
 */
public final class Representations {
  private Representations() {}

  /**
   * The exact metric's quadratic forms on two vectors, {@code [uᵀGu, uᵀGv, vᵀGv]} with
   * {@code G = Σ w RᵀR / Σ w} over {@code data} at θ: one data pass ({@link GramFormSum}: a forward
   * pass and two Jacobian-vector products per block, tree-reduced in partition order), what K-FAC's
   * choice of the learning rate and momentum needs (two exact {@code G·v} products, of which only
   * these inner products are used).
   */
  public static double[] gramForms(BlockData data, FactorRows rows, double[] theta, double[] u, double[] v) {
    int n = rows.model().numParams();
    if (theta.length != n || u.length != n || v.length != n) {
      throw new IllegalArgumentException("theta, u and v must have N = " + n + " values, got " + theta.length + ", "
          + u.length + ", " + v.length);
    }
    double w = data.weightSum();
    if (!(w > 0)) throw new IllegalArgumentException("the examples' total weight is " + w + "; it must be > 0");
    double[] s = data.sum(new GramFormSum(rows, theta, u, v));
    return new double[] {s[0] / w, s[1] / w, s[2] / w};
  }

  public static MetricRepresentation build(RepresentationKind kind, BlockData data, FactorRows rows, double[] theta,
                                           RepresentationOptions options) {
    Model model = rows.model();
    int n = model.numParams();
    if (theta.length != n) {
      throw new IllegalArgumentException("theta has " + theta.length + " values, the model has N = " + n);
    }
    double w = data.weightSum();
    if (!(w > 0)) throw new IllegalArgumentException("the examples' total weight is " + w + "; it must be > 0");
    switch (kind) {
      case DENSE -> {
        MetricRepresentation.requireDenseFits(kind, n, options.denseLimitBytes());
        BlockData.DenseGram gram = data.denseMetric(rows, theta);
        return new DenseMetric(gram.values(), n, options.allowJitter(), gram.details());
      }
      case DIAG -> {
        double[] d = data.sum(new DiagonalSum(rows, theta));
        for (int i = 0; i < n; i++) d[i] /= w;
        return new DiagonalMetric(d);
      }
      case BLOCK_DIAG -> {
        int[] starts = groupStarts(model);
        double[] sum = data.sum(new BlockDiagonalSum(rows, theta, starts));
        double[][] blocks = new double[starts.length - 1][];
        for (int g = 0; g + 1 < starts.length; g++) {
          int m = starts[g + 1] - starts[g];
          int off = BlockDiagonalSum.offset(starts, g);
          blocks[g] = DenseOps.symmetrisedBlock(sum, off, m, w);
        }
        return new BlockDiagonalMetric(starts, blocks, options.allowJitter());
      }
      case KFAC -> {
        return KfacMetric.fromSum(layered(kind, model), data.sum(new KfacSum(rows, theta)), w);
      }
      case EKFAC -> {
        return EkfacMetric.build(layered(kind, model), data, rows, theta);
      }
      case LOW_RANK -> {
        int k = options.rankFor(n);
        double[][] omega = LowRankMetric.testMatrix(n, k, options.seed());
        double[] sketch = data.sum(new GramProductSum(rows, theta, omega));
        double[][] y = new double[k][n];
        for (int s = 0; s < k; s++) {
          for (int i = 0; i < n; i++) y[s][i] = sketch[s * n + i] / w;
        }
        return LowRankMetric.fromSketch(omega, y);
      }
      case NTK_DUAL -> {
        long m = data.examples() * rows.rowsPerExample();
        if (m > options.maxDualRows() || m * n > Integer.MAX_VALUE - 8) {
          throw new IllegalArgumentException("ntk-dual gathers all B*r = " + m + " factor rows of length N = " + n
              + " on the driver; the limit is " + options.maxDualRows() + " rows: use a smaller sample"
              + " ({metricFraction} when training) or another representation");
        }
        List<double[]> parts = data.collect(new FactorRowsByRow(rows, theta));
        double[] all = new double[(int) (m * n)];
        int off = 0;
        for (double[] p : parts) {
          System.arraycopy(p, 0, all, off, p.length);
          off += p.length;
        }
        return new NtkDualMetric(all, (int) m, n, w);
      }
      case IMPLICIT -> {
        return new ImplicitMetric(gramOperator(data, rows, theta), options.cgTol(), options.cgMaxIter());
      }
      case BLOCKED -> {
        return new BlockedTilesMetric(data.tiledMetric(rows, theta, options.tileSize()), options.cgTol(), options.cgMaxIter());
      }
      default -> throw new AssertionError(kind);
    }
  }

  /**
   * A stored representation, read back from what its {@link MetricRepresentation#exports()} (or, for
   * blocked, {@link io.pullback.metric.aggregate.TiledGram#write}) stored: the one route back from a
   * folder, the counterpart of {@link #build}. Each kind reads its own files ({@code read} next to its
   * {@code exports}); {@code implicit} stores nothing and is refused.
   *
   * @param n N, as the folder's summary records it
   * @param tileSize the stored tile side T (blocked only)
   * @throws io.pullback.PullbackException (usage) for implicit; (data) for missing or mis-shaped files
   */
  public static MetricRepresentation read(RepresentationKind kind, int n, int tileSize, StoredArrays files,
                                          RepresentationOptions options) {
    return switch (kind) {
      case DENSE -> DenseMetric.read(files, n, options.allowJitter());
      case DIAG -> DiagonalMetric.read(files, n);
      case BLOCK_DIAG -> BlockDiagonalMetric.read(files, n, options.allowJitter());
      case KFAC -> KfacMetric.read(files, n);
      case EKFAC -> EkfacMetric.read(files, n);
      case LOW_RANK -> LowRankMetric.read(files, n);
      case NTK_DUAL -> NtkDualMetric.read(files, n);
      case BLOCKED -> BlockedTilesMetric.read(files, n, tileSize, options);
      case IMPLICIT -> throw io.pullback.PullbackException.usage("an implicit metric stores nothing to read back; rerun"
          + " estimate with {representation} dense (or blocked) to store it");
    };
  }

  /** The model as a layered one, or a usage error naming the representation that needs layers. */
  private static LayeredModel layered(RepresentationKind kind, Model model) {
    if (model instanceof LayeredModel layered) return layered;
    throw new IllegalArgumentException("{representation} " + kind.cliName() + " needs a layered model (logistic, softmax or mlp); "
        + model.kind() + " has no layers");
  }

  /** Parameter groups for block-diag: one per layer of a layered model, else the whole vector. */
  public static int[] groupStarts(Model model) {
    if (model instanceof LayeredModel layered && layered.layers() > 1) {
      int[] starts = new int[layered.layers() + 1];
      for (int l = 0; l < layered.layers(); l++) starts[l] = layered.layerStart(l);
      starts[layered.layers()] = model.numParams();
      return starts;
    }
    return new int[] {0, model.numParams()};
  }

  /** The matrix-free operator {@code v ↦ G v} over the data, counting its passes. */
  public static GramOperator gramOperator(BlockData data, FactorRows rows, double[] theta) {
    int n = rows.model().numParams();
    double w = data.weightSum();
    AtomicLong passes = new AtomicLong();
    AtomicLong nanos = new AtomicLong();
    return new GramOperator() {
      @Override
      public int n() {
        return n;
      }

      @Override
      public double[][] apply(double[][] vectors) {
        for (double[] v : vectors) Checks.length(v, n);
        long t0 = System.nanoTime();
        double[] sum = data.sum(new GramProductSum(rows, theta, vectors));
        nanos.addAndGet(System.nanoTime() - t0);
        passes.incrementAndGet();
        double[][] out = new double[vectors.length][n];
        for (int s = 0; s < vectors.length; s++) {
          for (int i = 0; i < n; i++) out[s][i] = sum[s * n + i] / w;
        }
        return out;
      }

      @Override
      public double[] diagonal() {
        double[] d = data.sum(new DiagonalSum(rows, theta));
        passes.incrementAndGet();
        for (int i = 0; i < n; i++) d[i] /= w;
        return d;
      }

      @Override
      public long passes() {
        return passes.get();
      }

      @Override
      public double passSeconds() {
        return nanos.get() / 1e9;
      }
    };
  }

  /** A block's factor rows, row by row (row t of the block at {@code t·N}). */
  private record FactorRowsByRow(FactorRows rows, double[] theta) implements BlockData.BlockMapper {
    @Override
    public double[] apply(ExampleBlock block) {
      int n = rows.model().numParams();
      int m = block.rows() * rows.rowsPerExample();
      double[] colMajor = new double[Math.max(1, m * n)];
      rows.compute(theta, block, null, colMajor);
      double[] byRow = new double[m * n];
      for (int j = 0; j < n; j++) {
        for (int t = 0; t < m; t++) byRow[t * n + j] = colMajor[j * m + t];
      }
      return byRow;
    }
  }
}
