package io.pullback.data;

import java.io.Serializable;

/**
 * Seeded Bernoulli sampling of examples: example {@code i} is in the sample of step {@code t} when
 * {@code CounterRandom.uniform(seed, i, t, stream) < fraction}. The sample is a pure function of
 * (seed, global index, step, stream), so it does not depend on partitioning, block size or retries.
 *
 * <p>A sampled block keeps the selected rows in order; its {@code firstIndex} is the index of its
 * first selected row (so per-example randomness of a sampled block is still deterministic, but not
 * the same stream an unsampled run would use).
 */
public record RowSampler(double fraction, long seed, int stream) implements Serializable {
  public RowSampler {
    if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
  }

  /** Everything, always. */
  public static RowSampler all() {
    return new RowSampler(1.0, 0, 0);
  }

  public boolean isAll() {
    return fraction >= 1.0;
  }

  /** Whether example {@code index} is in the sample of {@code step}. */
  public boolean selects(long index, int step) {
    return isAll() || CounterRandom.uniform(seed, index, step, stream) < fraction;
  }

  /** The block's rows selected at {@code step} (the block itself when sampling everything). */
  public ExampleBlock sample(ExampleBlock block, int step) {
    if (isAll()) return block;
    int d = block.dim();
    int l = block.labelDim();
    int kept = 0;
    boolean[] keep = new boolean[block.rows()];
    for (int r = 0; r < block.rows(); r++) {
      keep[r] = selects(block.firstIndex() + r, step);
      if (keep[r]) kept++;
    }
    double[] x = new double[kept * d];
    double[] y = new double[kept * l];
    double[] w = block.weights() == null ? null : new double[kept];
    long first = block.firstIndex();
    int k = 0;
    for (int r = 0; r < block.rows(); r++) {
      if (!keep[r]) continue;
      if (k == 0) first = block.firstIndex() + r;
      System.arraycopy(block.features(), r * d, x, k * d, d);
      System.arraycopy(block.labels(), r * l, y, k * l, l);
      if (w != null) w[k] = block.weights()[r];
      k++;
    }
    return new ExampleBlock(first, kept, d, l, x, y, w);
  }
}
