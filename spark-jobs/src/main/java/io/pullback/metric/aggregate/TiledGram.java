package io.pullback.metric.aggregate;

import io.pullback.io.Location;

/**
 * An exact metric {@code G} (N×N) kept as upper-triangle tiles {@code G_IJ} (I ≤ J, side T, the
 * last row and column of tiles possibly smaller): the storage behind the {@code blocked}
 * representation. {@link BlockData#tiledMetric} makes one — distributed over executors for Spark
 * data ({@code io.pullback.distributed}), in memory for a list of blocks ({@link #inMemory}, for
 * tests and small problems); the two answer every question the same way.
 */
public interface TiledGram {
  /** N. */
  int n();

  /** The tile side T. */
  int tileSize();

  /** {@code G·v}, one pass over the tiles. */
  double[] mv(double[] v);

  /** {@code tr G}. */
  double trace();

  /** The diagonal of G (a copy). */
  double[] diagonal();

  /** {@code ||G||_F}, off-diagonal tiles counted twice. */
  double frobeniusNorm();

  /** The dense matrix, row-major, or an exception saying why it does not fit in {@code maxBytes}. */
  double[] toDense(long maxBytes);

  /** Passes over the tiles so far. */
  long passes();

  /** Data passes the estimate took (one per band of tile columns). */
  long estimatePasses();

  /** Writes the tiles into {@code folder} (Parquet, one row per upper tile; docs/formats.md). */
  void write(Location folder);

  /** Frees the tiles. */
  void release();

  /**
   * The tiles of a dense symmetric row-major {@code g} (N×N), held in memory: the in-memory tile
   * source. Products go tile by tile with {@link TileProducts}, the kernel the distributed tiles use.
   */
  static TiledGram inMemory(double[] g, int n, int tileSize) {
    return new InMemoryTiledGram(g, n, tileSize);
  }
}
