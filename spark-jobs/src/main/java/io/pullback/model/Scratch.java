package io.pullback.model;

import java.io.Serializable;

/**
 * Per-thread reusable work arrays for a model, so a block evaluation allocates nothing once the
 * arrays have grown to the largest block seen. Serializable as an empty shell: the arrays are
 * transient and re-created lazily on each executor.
 *
 * <p>Arrays are returned with arbitrary contents; callers overwrite every entry they read.
 */
final class Scratch implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int slots;
  private transient volatile ThreadLocal<double[][]> local;

  Scratch(int slots) {
    this.slots = slots;
  }

  /** A per-thread array for {@code slot} of length at least {@code length}. */
  double[] get(int slot, int length) {
    ThreadLocal<double[][]> tl = local;
    if (tl == null) {
      synchronized (this) {
        tl = local;
        if (tl == null) {
          final int n = slots;
          tl = ThreadLocal.withInitial(() -> new double[n][]);
          local = tl;
        }
      }
    }
    double[][] arrays = tl.get();
    double[] a = arrays[slot];
    if (a == null || a.length < length) {
      a = new double[length];
      arrays[slot] = a;
    }
    return a;
  }
}
