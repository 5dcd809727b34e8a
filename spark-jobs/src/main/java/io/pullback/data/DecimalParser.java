package io.pullback.data;

import java.nio.charset.StandardCharsets;

/**
 * Parses decimal numbers straight from bytes (ASCII), with no {@code String} and no boxing on the
 * common path, giving exactly the value {@link Double#parseDouble} gives.
 *
 * <p>Method (Clinger's fast path): the significant digits are accumulated in a {@code long}
 * {@code m} and the decimal exponent in {@code e}; when {@code m ≤ 2⁵³} and {@code |e| ≤ 22} both
 * {@code m} and {@code 10^|e|} are exact doubles, so the one IEEE multiplication or division
 * {@code m·10^e} is correctly rounded — the same double as {@code parseDouble}. Anything else
 * (more than 15–16 significant digits, a larger exponent, hexadecimal) is handed to
 * {@code parseDouble} on a copy of the token, which is rare in data files. {@code NaN},
 * {@code Inf} and {@code Infinity} (any case, signed) are read as such; callers validate them.
 *
 * <p>Cost: one pass over the token's bytes. Not thread-safe (it keeps the outcome of the last call
 * in {@link #failed()}); use one instance per task.
 */
public final class DecimalParser {
  private static final double[] POWERS = new double[23];
  private static final long TWO_53 = 1L << 53;

  static {
    double p = 1;
    for (int i = 0; i < POWERS.length; i++) {
      POWERS[i] = p;
      p *= 10;
    }
  }

  private boolean failed;

  /** Whether the last {@link #parse} found no number (its result is then NaN and meaningless). */
  public boolean failed() {
    return failed;
  }

  /** The number in {@code bytes[from, to)}; on failure returns NaN and sets {@link #failed()}. */
  public double parse(byte[] bytes, int from, int to) {
    failed = false;
    int i = from;
    if (i >= to) return fail();
    boolean negative = false;
    if (bytes[i] == '-' || bytes[i] == '+') {
      negative = bytes[i] == '-';
      i++;
    }
    if (i >= to) return fail();
    byte c = bytes[i];
    if (c == 'N' || c == 'n' || c == 'I' || c == 'i') return special(bytes, i, to, negative);
    long m = 0;
    int digits = 0; // significant digits kept in m
    int exponent = 0;
    boolean any = false;
    boolean exact = true;
    for (; i < to && (c = bytes[i]) >= '0' && c <= '9'; i++) {
      any = true;
      if (digits < 18) {
        if (m != 0 || c != '0') {
          m = m * 10 + (c - '0');
          digits++;
        }
      } else {
        exact = false;
        exponent++;
      }
    }
    if (i < to && bytes[i] == '.') {
      for (i++; i < to && (c = bytes[i]) >= '0' && c <= '9'; i++) {
        any = true;
        if (digits < 18) {
          if (m != 0 || c != '0') {
            m = m * 10 + (c - '0');
            digits++;
          }
          exponent--;
        } else {
          exact = false;
        }
      }
    }
    if (!any) return slow(bytes, from, to);
    if (i < to && (bytes[i] == 'e' || bytes[i] == 'E')) {
      i++;
      boolean negativeExponent = false;
      if (i < to && (bytes[i] == '-' || bytes[i] == '+')) {
        negativeExponent = bytes[i] == '-';
        i++;
      }
      if (i >= to) return fail();
      int e = 0;
      for (; i < to && (c = bytes[i]) >= '0' && c <= '9'; i++) {
        if (e < 100_000) e = e * 10 + (c - '0');
      }
      exponent += negativeExponent ? -e : e;
    }
    if (i != to) return slow(bytes, from, to);
    if (m == 0) return negative ? -0.0 : 0.0;
    if (!exact || m > TWO_53 || exponent < -22 || exponent > 22) return slow(bytes, from, to);
    double v = exponent >= 0 ? m * POWERS[exponent] : m / POWERS[-exponent];
    return negative ? -v : v;
  }

  private double special(byte[] bytes, int from, int to, boolean negative) {
    int n = to - from;
    if (matches(bytes, from, n, "nan")) return Double.NaN;
    if (matches(bytes, from, n, "inf") || matches(bytes, from, n, "infinity")) {
      return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    return fail();
  }

  private static boolean matches(byte[] bytes, int from, int n, String word) {
    if (n != word.length()) return false;
    for (int k = 0; k < n; k++) {
      if (Character.toLowerCase((char) bytes[from + k]) != word.charAt(k)) return false;
    }
    return true;
  }

  /** {@code Double.parseDouble} on a copy: exact for every token the fast path does not take. */
  private double slow(byte[] bytes, int from, int to) {
    String s = new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
    // parseDouble accepts surrounding blanks and type suffixes (1.0d) that are not numbers in a data file
    char last = s.charAt(s.length() - 1);
    if (s.isBlank() || Character.isWhitespace(s.charAt(0)) || Character.isWhitespace(last) || Character.isLetter(last)) return fail();
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      return fail();
    }
  }

  private double fail() {
    failed = true;
    return Double.NaN;
  }
}
