package io.pullback.metric.representation;

import io.pullback.linalg.ConjugateGradient;
import io.pullback.metric.aggregate.TiledGram;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The exact metric kept distributed as upper-triangle tiles (the {@code blocked} regime): no N×N
 * array on the driver. Products are one distributed pass over the tiles ({@link TiledGram#mv}); solves
 * run {@link ConjugateGradient} on those products from the driver ({@code --cg-tol},
 * {@code --cg-max-iter}; a capped solve keeps its best iterate and logs a warning); trace, diagonal
 * and Frobenius norm come from the tiles. Costs per product: every tile read once,
 * {@code 2·N²} flops spread over the executors, {@code O(N)} driver memory.
 */
public final class BlockedTilesMetric implements MetricRepresentation {

  private final TiledGram tiles;
  private final TruncatedCg cg;

  public BlockedTilesMetric(TiledGram tiles, double cgTol, int cgMaxIter) {
    this.tiles = tiles;
    this.cg = new TruncatedCg("blocked", cgTol, cgMaxIter);
  }

  @Override public RepresentationKind kind() { return RepresentationKind.BLOCKED; }
  @Override public boolean exact() { return true; }
  @Override public int n() { return tiles.n(); }

  @Override
  public double[] multiply(double[] v) {
    Checks.length(v, n());
    return tiles.mv(v);
  }

  @Override
  public double[] solve(double[] v, double lambda) {
    return cg.solve(tiles::mv, v, lambda, n());
  }

  /** Data passes the estimate of the tiles took. */
  public long estimatePasses() {
    return tiles.estimatePasses();
  }

  /** The last solve's iterations, residual and convergence (null before the first solve). */
  public ConjugateGradient.Result lastSolve() {
    return cg.last();
  }

  @Override public double trace() { return tiles.trace(); }
  @Override public double[] diagonal() { return tiles.diagonal(); }
  @Override public double frobeniusNorm() { return tiles.frobeniusNorm(); }

  @Override
  public double[] toDense() {
    return tiles.toDense(DEFAULT_DENSE_LIMIT_BYTES);
  }

  /** Nothing as {@code .npy}: the tiles are written by {@link #writeTo} as {@code metric/} (Parquet). */
  @Override
  public Map<String, NpyArray> exports() {
    return Map.of();
  }

  /** Writes the tiles as {@code dir/metric/} (Parquet tiles, by the executors that hold them). */
  @Override
  public List<String> writeTo(Path dir) {
    tiles.write(dir.resolve("metric"));
    return List.of("metric/");
  }

  @Override
  public Map<String, Object> details() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("tile_size", tiles.tileSize());
    d.put("tile_passes", tiles.passes());
    d.put("estimate_data_passes", tiles.estimatePasses());
    cg.putDetails(d);
    return d;
  }

  @Override
  public void release() {
    tiles.release();
  }

  /** A stored blocked metric: its tiles ({@code metric/}, side T as stored). */
  static BlockedTilesMetric read(StoredArrays files, int n, int tileSize, RepresentationOptions options) {
    return new BlockedTilesMetric(files.tiles(n, tileSize), options.cgTol(), options.cgMaxIter());
  }
}
