package io.pullback.io;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/** Numbers as people read them in log lines and on the terminal ({@code 6.7e-4}, {@code 0.1284}, {@code 12.5}). */
public final class Numbers {
  private Numbers() {}

  /**
   * {@code v} to {@code digits} significant digits: plain between 1e-3 and 1e5 ({@code 0.1284}, trailing zeros
   * dropped), otherwise as {@code m.me±x} without a plus sign or leading exponent zeros ({@code 6.7e-4},
   * {@code 2.1e7}); {@code 0}, {@code NaN}, {@code Infinity} and {@code -Infinity} as such.
   *
   * @param digits significant digits, at least 1
   */
  public static String sig(double v, int digits) {
    if (digits < 1) throw new IllegalArgumentException("digits must be >= 1, got " + digits);
    if (v == 0 || !Double.isFinite(v)) return v == 0 ? "0" : Double.toString(v);
    BigDecimal rounded = new BigDecimal(v).round(new MathContext(digits));
    double a = Math.abs(rounded.doubleValue());
    if (a >= 1e-3 && a < 1e5) return rounded.stripTrailingZeros().toPlainString();
    String s = String.format(Locale.ROOT, "%." + (digits - 1) + "e", v); // e.g. 6.7e-04
    int e = s.indexOf('e');
    String mantissa = s.substring(0, e);
    if (mantissa.contains(".")) mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
    return mantissa + "e" + Integer.parseInt(s.substring(e + 1).replace("+", ""));
  }
}
