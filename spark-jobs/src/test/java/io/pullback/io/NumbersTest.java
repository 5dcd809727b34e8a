package io.pullback.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NumbersTest {
  @Test
  void significantDigitsAsPeopleWriteThem() {
    assertThat(Numbers.sig(6.666666666666666E-4, 2)).isEqualTo("6.7e-4");
    assertThat(Numbers.sig(0.12841, 4)).isEqualTo("0.1284");
    assertThat(Numbers.sig(0.5, 4)).isEqualTo("0.5");
    assertThat(Numbers.sig(12.5, 3)).isEqualTo("12.5");
    assertThat(Numbers.sig(85000.0, 2)).isEqualTo("85000");
    assertThat(Numbers.sig(2.1e7, 2)).isEqualTo("2.1e7");
    assertThat(Numbers.sig(-1e-19, 2)).isEqualTo("-1e-19");
    assertThat(Numbers.sig(1e-3, 2)).isEqualTo("0.001");
    assertThat(Numbers.sig(9.9999e-4, 2)).isEqualTo("0.001"); // rounds up into the plain range
    assertThat(Numbers.sig(0, 3)).isEqualTo("0");
    assertThat(Numbers.sig(Double.NaN, 3)).isEqualTo("NaN");
    assertThat(Numbers.sig(Double.NEGATIVE_INFINITY, 3)).isEqualTo("-Infinity");
    // Round trip within half a unit of the fifth significant digit (relative 5e-5).
    for (double v : new double[] {3.14159e-7, 271828.18, 0.00123456, 42.4242}) {
      assertThat(Double.parseDouble(Numbers.sig(v, 5))).isCloseTo(v, org.assertj.core.data.Percentage.withPercentage(5e-3));
    }
    assertThatThrownBy(() -> Numbers.sig(1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
