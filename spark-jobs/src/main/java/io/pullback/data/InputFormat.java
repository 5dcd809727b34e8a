package io.pullback.data;

import io.pullback.PullbackException;
import java.util.Locale;

/** File formats read through Spark's readers. */
public enum InputFormat {
  LIBSVM, CSV, PARQUET;

  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code libsvm|csv|parquet}. */
  public static InputFormat parse(String s) {
    for (InputFormat f : values()) {
      if (f.cliName().equals(s)) return f;
    }
    throw PullbackException.usage("--format: unknown format '" + s + "'; valid: libsvm, csv, parquet");
  }

  /**
   * Guesses the format from a path's extension ({@code .csv}, {@code .parquet}, {@code .libsvm},
   * {@code .svm}, {@code .txt}); null when it cannot tell.
   */
  public static InputFormat guess(String path) {
    String p = path.toLowerCase(Locale.ROOT);
    if (p.endsWith(".gz")) p = p.substring(0, p.length() - 3);
    if (p.endsWith(".csv")) return CSV;
    if (p.endsWith(".parquet")) return PARQUET;
    if (p.endsWith(".libsvm") || p.endsWith(".svm") || p.endsWith(".txt")) return LIBSVM;
    return null;
  }
}
