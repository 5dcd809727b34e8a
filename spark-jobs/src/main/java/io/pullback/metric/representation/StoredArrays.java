package io.pullback.metric.representation;

import io.pullback.PullbackException;
import io.pullback.metric.aggregate.TiledGram;
import io.pullback.metric.representation.MetricRepresentation.NpyArray;
import java.util.Arrays;

/**
 * What a stored representation reads itself back from: the arrays its {@link
 * MetricRepresentation#exports()} wrote, by the same names ({@code "metric"}, {@code "diagonal"},
 * {@code "kfac_layer0_A"}, …), plus, for the blocked form, its tiles. The job layer implements it for
 * an {@code estimate} folder ({@code NAME.npy} files and the {@code metric/} Parquet tiles); tests
 * implement it in memory. {@link Representations#read} is the one route back.
 *
 * <p>The default methods check shapes and name the file in their {@link PullbackException#data} errors.
 */
public interface StoredArrays {
  /** Whether the array {@code name} is stored. */
  boolean has(String name);

  /**
   * The array {@code name}.
   *
   * @throws PullbackException (data) when it is missing or unreadable
   */
  NpyArray read(String name);

  /** The stored blocked tiles of an N×N metric with tile side T. */
  TiledGram tiles(int n, int tileSize);

  /** How a user finds the array {@code name} (e.g. its file's path), for messages. */
  String location(String name);

  /** A number the folder's summary records for the representation (e.g. {@code nystrom_shift}), or {@code fallback}. */
  double summaryNumber(String key, double fallback);

  /** The row-major {@code rows × cols} matrix {@code name}, or a data error naming its shape. */
  default double[] matrix(String name, int rows, int cols) {
    NpyArray a = read(name);
    long[] shape = a.shape();
    if (shape.length != 2 || shape[0] != rows || shape[1] != cols) {
      throw PullbackException.data(name + ".npy has shape " + Arrays.toString(shape) + ", expected [" + rows + ", " + cols + "]");
    }
    return a.data();
  }

  /** A square matrix {@code name}, row-major; its side is {@code shape[0]}. */
  default NpyArray square(String name) {
    NpyArray a = read(name);
    long[] shape = a.shape();
    if (shape.length != 2 || shape[0] != shape[1]) {
      throw PullbackException.data(name + ".npy has shape " + Arrays.toString(shape) + ", expected a square matrix");
    }
    return a;
  }

  /** The vector {@code name} of length {@code n}, or a data error naming its length. */
  default double[] vector(String name, int n) {
    double[] v = read(name).data();
    if (v.length != n) throw PullbackException.data(location(name) + " has " + v.length + " values, expected N = " + n);
    return v;
  }
}
