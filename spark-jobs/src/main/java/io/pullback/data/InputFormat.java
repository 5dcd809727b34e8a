package io.pullback.data;

import io.pullback.Names;
import io.pullback.PullbackException;
import java.util.Locale;

/**
 * Input file formats: LIBSVM and CSV (Pullback's own readers), Parquet (Spark's), IDX (MNIST's
 * unsigned-byte images and labels, {@link IdxFile}).
 */
public enum InputFormat {
  LIBSVM, CSV, PARQUET, IDX;

  private static final String[] COMPRESSION_SUFFIXES = {".gz", ".bz2", ".zst", ".deflate", ".lz4", ".snappy"};

  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code libsvm|csv|parquet|idx}. */
  public static InputFormat parse(String s) {
    InputFormat found = Names.find(values(), InputFormat::cliName, s);
    if (found != null) return found;
    throw PullbackException.usage("{format}: unknown format '" + s + "'; valid: libsvm, csv, parquet, idx");
  }

  /**
   * Guesses the format from a path's extension ({@code .csv}, {@code .parquet}, {@code .libsvm},
   * {@code .svm}, {@code .txt}, {@code -ubyte} and {@code .idx} for IDX), after a compression suffix ({@code .gz}, {@code .bz2}, {@code .zst},
   * {@code .deflate}, {@code .lz4}, {@code .snappy}); null when it cannot tell.
   */
  public static InputFormat guess(String path) {
    String p = path.toLowerCase(Locale.ROOT);
    for (String codec : COMPRESSION_SUFFIXES) {
      if (p.endsWith(codec)) {
        p = p.substring(0, p.length() - codec.length());
        break;
      }
    }
    if (p.endsWith(".csv")) return CSV;
    if (p.endsWith(".parquet")) return PARQUET;
    if (p.endsWith(".libsvm") || p.endsWith(".svm") || p.endsWith(".txt")) return LIBSVM;
    if (p.endsWith("-ubyte") || p.endsWith(".idx")) return IDX;
    return null;
  }
}
