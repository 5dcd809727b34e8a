package io.pullback.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.Test;

/** Cody's erfc against commons-math3 (an independent series/continued-fraction implementation). */
class NormalCdfTest {

  /**
   * Relative error on t ∈ [-6, 26] (erfc down to ~1e-296) within {@code 2e-15·(1 + 2t²)}: the
   * condition number of erfc at large t is ≈ 2t², so a last-bit difference in how either side
   * forms t² legitimately shows up as that much relative difference in the far tail.
   */
  @Test
  void erfcMatchesCommonsMath() {
    double worst = 0;
    for (double t = -6; t <= 26; t += 0.0137) {
      double ref = Erf.erfc(t);
      double got = NormalCdf.erfc(t);
      double rel = Math.abs(got - ref) / ref;
      if (Math.abs(t) < 5) worst = Math.max(worst, rel);
      assertThat(rel).as("t=%s ref=%s got=%s", t, ref, got).isLessThan(2e-15 * (1 + 2 * t * t));
    }
    System.out.println("max relative erfc error vs commons-math3 for |t| < 5: " + worst);
    assertThat(NormalCdf.erfc(40)).isZero();
    assertThat(NormalCdf.erfc(-40)).isEqualTo(2.0);
    assertThat(NormalCdf.erfc(0)).isEqualTo(1.0);
    assertThat(NormalCdf.erfc(Double.NaN)).isNaN();
  }

  @Test
  void cdfTailsAndSymmetry() {
    for (double x = -30; x <= 8; x += 0.173) {
      double ref = 0.5 * Erf.erfc(-x / Math.sqrt(2));
      // same condition-number-scaled tolerance, with t = x/√2
      assertThat(Math.abs(NormalCdf.cdf(x) - ref)).as("x=%s", x).isLessThanOrEqualTo(2e-15 * (1 + x * x) * ref);
    }
    assertThat(NormalCdf.cdf(0)).isEqualTo(0.5);
  }
}
