package io.pullback.linalg;


/** Dense symmetric spectra. */
public final class Spectra {
  private Spectra() {}

  /** All eigenvalues of a symmetric row-major N×N matrix, ascending (LAPACK {@code dsyevd}; the input is not modified). */
  public static double[] eigenvalues(double[] g, int n) {
    return DenseOps.eigh(g.clone(), n);
  }
}
