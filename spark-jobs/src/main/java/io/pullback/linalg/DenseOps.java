package io.pullback.linalg;

import dev.ludovic.netlib.lapack.LAPACK;
import org.netlib.util.intW;

/** Small dense helpers shared by the representations (row-major unless stated; symmetric inputs). */
public final class DenseOps {
  private DenseOps() {}

  public static double frobenius(double[] a) {
    double scale = 0;
    for (double x : a) scale = Math.max(scale, Math.abs(x));
    if (scale == 0) return 0;
    double s = 0;
    for (double x : a) {
      double y = x / scale;
      s += y * y;
    }
    return scale * Math.sqrt(s);
  }

  /** Replaces a (row-major n×n) by (a + aᵀ)/2, so rounding leaves it exactly symmetric. */
  public static double[] symmetrise(double[] a, int n) {
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < i; j++) {
        double m = 0.5 * (a[i * n + j] + a[j * n + i]);
        a[i * n + j] = m;
        a[j * n + i] = m;
      }
    }
    return a;
  }

  /** The m×m block of {@code sum} starting at {@code off}, symmetrised and divided by {@code w}. */
  public static double[] symmetrisedBlock(double[] sum, int off, int m, double w) {
    double[] x = new double[m * m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) x[i * m + j] = 0.5 * (sum[off + i * m + j] + sum[off + j * m + i]) / w;
    }
    return x;
  }

  public static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }

  public static double norm(double[] a) {
    return Math.sqrt(dot(a, a));
  }

  /** {@code y = A·x} for symmetric A (n×n). */
  public static double[] symv(double[] a, int n, double[] x) {
    double[] y = new double[n];
    if (n > 0) Blas.get().dgemv("N", n, n, 1.0, a, n, x, 1, 0.0, y, 1);
    return y;
  }

  /**
   * Symmetric eigen-decomposition (LAPACK {@code dsyevd}): returns ascending eigenvalues; {@code a}
   * (n×n symmetric) is overwritten by the orthonormal eigenvectors, column j of the column-major
   * view ({@code a[j·n + i]}) belonging to eigenvalue j.
   */
  public static double[] eigh(double[] a, int n) {
    double[] w = new double[n];
    if (n == 0) return w;
    intW info = new intW(0);
    double[] work = new double[1];
    int[] iwork = new int[1];
    LAPACK lapack = Blas.lapack();
    lapack.dsyevd("V", "U", n, a, n, w, work, -1, iwork, -1, info);
    work = new double[(int) work[0]];
    iwork = new int[iwork[0]];
    lapack.dsyevd("V", "U", n, a, n, w, work, work.length, iwork, iwork.length, info);
    if (info.val != 0) throw new IllegalStateException("dsyevd failed with info = " + info.val);
    return w;
  }
}
