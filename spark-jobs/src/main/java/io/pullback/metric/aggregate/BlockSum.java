package io.pullback.metric.aggregate;

import io.pullback.data.ExampleBlock;
import java.io.Serializable;

/**
 * A quantity summed over example blocks, {@code S = Σ_blocks s(block)}, as one flat vector of fixed
 * length: the shape every distributed metric quantity takes (a diagonal, Kronecker factors, per-layer
 * Grams, a sketch {@code G·Ω}, a product {@code G·v}). Spark-free: {@link BlockData} decides where the
 * blocks live and in which fixed order the partial sums are merged.
 *
 * <p>Implementations are immutable and serializable (shipped to executors); their work buffers
 * live in the {@link Adder}s, one per task.
 */
public interface BlockSum extends Serializable {

  /** The length of the summed vector. */
  int length();

  /** A fresh adder with its own work buffers (single-threaded). */
  Adder newAdder();

  /** Adds blocks into a partial sum. */
  interface Adder {
    /** {@code acc += s(block)}; {@code acc} has {@link #length()} entries. */
    void add(ExampleBlock block, double[] acc);

    /**
     * Called once after the last block of a partition: adders that accumulate in their own state
     * (a {@link GramAccumulator} per factor) add it into {@code acc} here.
     */
    default void finish(double[] acc) {}
  }

  /** Adds the full symmetric {@code n×n} sum of an accumulator into {@code acc} at {@code offset}. */
  static void addGram(GramAccumulator gram, double[] acc, int offset) {
    int n = gram.n();
    double[] packed = gram.packedUpper();
    int p = 0;
    for (int j = 0; j < n; j++) {
      for (int i = 0; i <= j; i++) {
        double v = packed[p++];
        acc[offset + i * n + j] += v;
        if (i != j) acc[offset + j * n + i] += v;
      }
    }
  }
}
