package io.pullback.model;

import io.pullback.Names;

/**
 * One-dimensional function families for {@link LinearBasisModel}. Each family is a sequence
 * {@code φ_0, φ_1, …} of functions of {@code t ∈ R} (meant for {@code t ∈ [-1,1]}), and a degree per
 * index used to bound the total degree of tensor products.
 */
public enum BasisFamily {
  /** {@code φ_n(t) = tⁿ}; degree n. Not orthogonal: its metric on uniform data is a Hilbert-like matrix. */
  MONOMIAL("monomial"),
  /**
   * {@code φ_n(t) = √(2n+1)·P_n(t)} with {@code P_n} the Legendre polynomial; degree n. Orthonormal
   * for the uniform probability measure on {@code [-1,1]}: {@code ½∫φ_mφ_n dt = δ_mn}. Evaluated by
   * the three-term recurrence {@code (n+1)P_{n+1} = (2n+1)tP_n − nP_{n−1}} (stable for |t| ≤ 1).
   */
  LEGENDRE("legendre"),
  /**
   * {@code φ_0 = 1}, {@code φ_{2k−1}(t) = √2·cos(πkt)}, {@code φ_{2k}(t) = √2·sin(πkt)}; the degree
   * of index n is {@code ceil(n/2)} (= k). Orthonormal for the uniform probability measure on
   * {@code [-1,1]}. Evaluated with {@link Math#cos}/{@link Math#sin} directly (errors ≤ 1 ulp of
   * the argument, no accumulation with k, unlike an angle-addition recurrence).
   */
  FOURIER("fourier");

  private final String cliName;

  BasisFamily(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  /** Degree of the 1-D function with index n. */
  public int degreeOf(int n) {
    return this == FOURIER ? (n + 1) / 2 : n;
  }

  /** The largest 1-D index whose degree is at most {@code degree}. */
  public int maxIndex(int degree) {
    return this == FOURIER ? 2 * degree : degree;
  }

  /**
   * Writes {@code φ_n(t_b)} for {@code n = 0..maxIndex} and the {@code rows} values
   * {@code t_b = src[srcOff + b·stride]} into {@code dst[dstOff + n·rows + b]}.
   * Cost: O(rows·maxIndex) (plus 2 trig calls per entry pair for Fourier).
   */
  public void evaluate(double[] src, int srcOff, int stride, int rows, int maxIndex, double[] dst, int dstOff) {
    for (int b = 0; b < rows; b++) dst[dstOff + b] = 1.0;
    if (maxIndex == 0) return;
    switch (this) {
      case MONOMIAL:
        for (int n = 1; n <= maxIndex; n++) {
          int cur = dstOff + n * rows;
          int prev = cur - rows;
          for (int b = 0; b < rows; b++) dst[cur + b] = dst[prev + b] * src[srcOff + b * stride];
        }
        break;
      case LEGENDRE: {
        // Recurrence on the un-normalised P_n, stored in dst; normalised afterwards.
        int p1 = dstOff + rows;
        for (int b = 0; b < rows; b++) dst[p1 + b] = src[srcOff + b * stride];
        for (int n = 1; n < maxIndex; n++) {
          int next = dstOff + (n + 1) * rows;
          int cur = dstOff + n * rows;
          int prev = cur - rows;
          double a = (2.0 * n + 1.0) / (n + 1.0);
          double c = n / (n + 1.0);
          for (int b = 0; b < rows; b++) {
            dst[next + b] = a * src[srcOff + b * stride] * dst[cur + b] - c * dst[prev + b];
          }
        }
        for (int n = 1; n <= maxIndex; n++) {
          double s = Math.sqrt(2.0 * n + 1.0);
          int cur = dstOff + n * rows;
          for (int b = 0; b < rows; b++) dst[cur + b] *= s;
        }
        break;
      }
      case FOURIER: {
        double sqrt2 = Math.sqrt(2.0);
        for (int n = 1; n <= maxIndex; n++) {
          int k = (n + 1) / 2;
          boolean cos = (n & 1) == 1;
          int cur = dstOff + n * rows;
          for (int b = 0; b < rows; b++) {
            double arg = Math.PI * k * src[srcOff + b * stride];
            dst[cur + b] = sqrt2 * (cos ? Math.cos(arg) : Math.sin(arg));
          }
        }
        break;
      }
      default:
        throw new AssertionError(this);
    }
  }

  /** Parses a CLI name, with an error naming the parameter and listing the valid names. */
  public static BasisFamily parse(String name) {
    BasisFamily found = Names.find(values(), BasisFamily::cliName, name);
    if (found != null) return found;
    throw new IllegalArgumentException("unknown basis '" + name + "'; valid: " + Names.list(values(), BasisFamily::cliName));
  }

  @Override
  public String toString() {
    return cliName;
  }
}
