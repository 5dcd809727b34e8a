package io.pullback.distributed;

import io.pullback.metric.aggregate.GramAccumulator;
import java.io.Serializable;

/**
 * A partition's contribution to a dense metric, as shipped through the reduction: the packed upper
 * triangle of {@code Σ RᵀR} ({@code N(N+1)/2} doubles), the weight total and the example count.
 */
final class PackedGram implements Serializable {
  private static final long serialVersionUID = 1L;

  final int n;
  final double[] packed;
  double weightSum;
  long count;

  PackedGram(int n, double[] packed, double weightSum, long count) {
    this.n = n;
    this.packed = packed;
    this.weightSum = weightSum;
    this.count = count;
  }

  static PackedGram of(GramAccumulator acc) {
    return new PackedGram(acc.n(), acc.packedUpper(), acc.weightSum(), acc.count());
  }

  /** Adds {@code other} into this (in place) and returns this. */
  PackedGram merge(PackedGram other) {
    double[] a = packed;
    double[] b = other.packed;
    for (int i = 0; i < a.length; i++) a[i] += b[i];
    weightSum += other.weightSum;
    count += other.count;
    return this;
  }

  long bytes() {
    return 8L * packed.length;
  }
}
