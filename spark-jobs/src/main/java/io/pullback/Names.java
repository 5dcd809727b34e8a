package io.pullback;

import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Lookup of a constant by its external name (the spelling users type: {@code mc-fisher},
 * {@code block-diag}, {@code levenberg-marquardt}), shared by the enums that have one. Each enum
 * keeps its own error message; this class only finds and lists. Linear in the number of constants.
 */
public final class Names {
  private Names() {}

  /** The constant whose {@code name} equals {@code s} exactly, or null (also for a null {@code s}). */
  public static <E> E find(E[] values, Function<E, String> name, String s) {
    if (s == null) return null;
    for (E e : values) {
      if (name.apply(e).equals(s)) return e;
    }
    return null;
  }

  /** The names in declaration order, comma-separated ({@code "dense, blocked, implicit"}). */
  public static <E> String list(E[] values, Function<E, String> name) {
    return Arrays.stream(values).map(name).collect(Collectors.joining(", "));
  }
}
