package io.pullback.metric.aggregate;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link TiledGram} over tiles held in memory, cut from a dense matrix: the blocked representation
 * without Spark (tests, small problems). Products sum each row block's contributions in increasing
 * tile column, as the distributed tiles do. Memory {@code 4·N²} bytes (the upper tiles).
 */
final class InMemoryTiledGram implements TiledGram {
  private record Tile(int i, int j, int rows, int cols, double[] values) {}

  private final int n;
  private final int tileSize;
  private final int tiles;
  private final List<Tile> upper = new ArrayList<>();
  private final double[] diagonal;
  private final double frobenius;
  private long passes;

  InMemoryTiledGram(double[] g, int n, int tileSize) {
    if (tileSize < 1) throw new IllegalArgumentException("tile size must be >= 1, got " + tileSize);
    if (g.length != (long) n * n) throw new IllegalArgumentException("g must have N² = " + ((long) n * n) + " entries, got " + g.length);
    this.n = n;
    this.tileSize = tileSize;
    this.tiles = (n + tileSize - 1) / tileSize;
    this.diagonal = new double[n];
    double fro = 0;
    for (int i = 0; i < tiles; i++) {
      for (int j = i; j < tiles; j++) {
        int rows = Math.min(tileSize, n - i * tileSize);
        int cols = Math.min(tileSize, n - j * tileSize);
        double[] v = new double[rows * cols];
        for (int a = 0; a < rows; a++) {
          for (int b = 0; b < cols; b++) {
            double x = g[(i * tileSize + a) * n + j * tileSize + b];
            v[a * cols + b] = x;
            fro += (i == j ? 1 : 2) * x * x;
          }
        }
        upper.add(new Tile(i, j, rows, cols, v));
      }
    }
    for (int i = 0; i < n; i++) diagonal[i] = g[i * n + i];
    this.frobenius = Math.sqrt(fro);
  }

  @Override public int n() { return n; }
  @Override public int tileSize() { return tileSize; }

  @Override
  public double[] mv(double[] v) {
    if (v.length != n) throw new IllegalArgumentException("v has " + v.length + " entries, expected N = " + n);
    // contributions[K][L]: the part of row block K that tile (K, L) or (L, K) gives.
    double[][][] contributions = new double[tiles][tiles][];
    for (Tile t : upper) {
      contributions[t.i()][t.j()] = TileProducts.rowBlock(t.values(), t.rows(), t.cols(), v, t.j() * tileSize);
      if (t.i() != t.j()) {
        contributions[t.j()][t.i()] = TileProducts.columnBlock(t.values(), t.rows(), t.cols(), v, t.i() * tileSize);
      }
    }
    double[] y = new double[n];
    for (int k = 0; k < tiles; k++) {
      for (int l = 0; l < tiles; l++) {
        double[] c = contributions[k][l];
        for (int a = 0; a < c.length; a++) y[k * tileSize + a] += c[a];
      }
    }
    passes++;
    return y;
  }

  @Override
  public double trace() {
    double s = 0;
    for (double d : diagonal) s += d;
    return s;
  }

  @Override public double[] diagonal() { return diagonal.clone(); }
  @Override public double frobeniusNorm() { return frobenius; }

  @Override
  public double[] toDense(long maxBytes) {
    if (8L * n * n > maxBytes) throw new IllegalStateException("the dense metric needs 8·N² = " + (8L * n * n) + " bytes, above " + maxBytes);
    double[] g = new double[n * n];
    for (Tile t : upper) TileProducts.placeSymmetric(t.values(), t.rows(), t.cols(), t.i() * tileSize, t.j() * tileSize, g, n);
    return g;
  }

  @Override public long passes() { return passes; }
  @Override public long estimatePasses() { return 1; }

  @Override
  public void write(Path folder) {
    throw new UnsupportedOperationException("in-memory tiles are not written; the blocked metric of Spark data writes its"
        + " tiles as Parquet");
  }

  @Override public void release() {}
}
