package io.pullback.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.PullbackException;
import io.pullback.distributed.BlockedMetricEstimator.Tile;
import io.pullback.distributed.MetricTiles;
import io.pullback.io.Json;
import io.pullback.io.Npy;
import io.pullback.metric.aggregate.TileProducts;
import io.pullback.metric.aggregate.TiledGram;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.MetricRepresentation.NpyArray;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.RepresentationOptions;
import io.pullback.metric.representation.Representations;
import io.pullback.metric.representation.StoredArrays;
import io.pullback.io.Location;
import io.pullback.io.Publication;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code export} command's work, and the one route that reads a stored metric back: an
 * {@code estimate} folder (its {@code summary.json} names the representation and N) becomes the dense
 * metric {@code G} (row-major N×N) that the stored files describe — Parquet tiles, a diagonal,
 * per-layer blocks, Kronecker factors with their index maps, a low-rank eigenbasis, or NTK factor
 * rows (already scaled by {@code √(w/Σw)}, so {@code G = RᵀR}). Cost: reading the files plus the
 * assembly ({@code N²} for most, {@code N²·k} for low-rank, {@code m·N²} for ntk-dual); driver memory
 * {@code 8·N²} bytes, refused up front when above half the heap. {@code implicit} stores nothing and
 * is refused.
 */
public final class ExportJob {
  private ExportJob() {}

  /** What a folder holds: its representation's name and N, from {@code summary.json}. */
  public record StoredMetric(Location dir, String representation, int n, JsonNode summary) {
    /**
     * Reads {@code dir/summary.json}.
     *
     * @throws PullbackException (data) when the folder is not an estimate output folder
     */
    public static StoredMetric open(Location dir) {
      Publication.requireCommitted(dir, "an estimate output folder");
      Location summaryFile = dir.resolve("summary.json");
      if (!summaryFile.isFile()) {
        throw PullbackException.data("'" + dir + "' is not an estimate output folder: " + summaryFile + " does not exist");
      }
      JsonNode summary = Json.readTree(summaryFile);
      int n = summary.path("n_params").asInt(-1);
      if (n < 1) throw PullbackException.data(summaryFile + ": n_params is missing or not positive");
      return new StoredMetric(dir, summary.path("representation").asText(""), n, summary);
    }
  }

  /**
   * The dense metric the folder's files describe: the folder's representation read back through
   * {@link Representations#read} (the same classes that wrote it), then {@code toDense()}.
   *
   * @param spark reads the blocked representation's Parquet tiles (unused otherwise)
   * @throws PullbackException (usage) for an implicit metric or one too large for the heap; (data)
   *     for missing or mis-shaped files
   */
  public static double[] readDense(SparkSession spark, StoredMetric stored) {
    int n = stored.n();
    String representation = stored.representation();
    RepresentationKind kind;
    try {
      kind = RepresentationKind.parse(representation);
    } catch (IllegalArgumentException e) {
      throw PullbackException.data(stored.dir().resolve("summary.json") + ": unknown representation '" + representation + "'");
    }
    if (kind == RepresentationKind.IMPLICIT) {
      throw PullbackException.usage("'" + stored.dir() + "' holds an implicit metric, which stores nothing to export; rerun"
          + " estimate with {representation} dense (or blocked) to store it");
    }
    long bytes = 8L * n * n;
    long budget = Runtime.getRuntime().maxMemory() / 2;
    if (bytes > budget || (long) n * n > Integer.MAX_VALUE - 8) {
      throw PullbackException.usage("the dense metric (N = " + n + ") needs " + bytes + " bytes, more than half the driver heap ("
          + budget + " bytes); raise it (bin/pullback {driverMemory}, spark-submit {driverMemory}) or keep the "
          + representation + " form");
    }
    MetricRepresentation g = Representations.read(kind, n, stored.summary().path("tile_size").asInt(1),
        new FolderArrays(spark, stored), RepresentationOptions.defaults());
    double[] dense = g.toDense();
    String bad = FiniteResults.firstNonFinite(dense, n, "G");
    if (bad != null) {
      throw PullbackException.data("'" + stored.dir() + "' holds a metric that is not finite: " + bad + "; nothing was exported."
          + " The stored files hold non-finite values (re-estimate from finite, non-overflowing data).");
    }
    return dense;
  }

  /**
   * Writes the dense {@code metric.npy} into an estimate folder (atomically); on an object store
   * the folder's commit marker is then rewritten to list it ({@link Publication}).
   */
  public static void writeDense(Location target, double[] g, int n) {
    Npy.writeMatrix(target, g, n, n);
    if (!target.atomicRename()) {
      try {
        Publication.commit(target.parent());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot commit " + target.parent() + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * An estimate folder as {@link StoredArrays}: array {@code NAME} is the file {@code NAME.npy}; the
   * blocked tiles are the Parquet folder {@code metric/}, read onto the driver (export needs the dense
   * matrix anyway: {@code 8·N²} bytes).
   */
  private record FolderArrays(SparkSession spark, StoredMetric stored) implements StoredArrays {
    @Override
    public boolean has(String name) {
      return file(name).exists();
    }

    @Override
    public NpyArray read(String name) {
      Npy.Array a = Npy.read(file(name));
      long[] shape = new long[a.shape().length];
      for (int i = 0; i < shape.length; i++) shape[i] = a.shape()[i];
      return new NpyArray(a.data(), shape);
    }

    @Override
    public TiledGram tiles(int n, int tileSize) {
      double[] g = new double[n * n];
      for (Tile t : MetricTiles.read(spark, stored.dir().resolve("metric"))) {
        TileProducts.placeSymmetric(t.values(), t.rows(), t.cols(), t.i() * tileSize, t.j() * tileSize, g, n);
      }
      return TiledGram.inMemory(g, n, tileSize);
    }

    @Override
    public String location(String name) {
      return file(name).toString();
    }

    @Override
    public double summaryNumber(String key, double fallback) {
      JsonNode v = stored.summary().path(key);
      return v.isNumber() ? v.asDouble() : fallback;
    }

    private Location file(String name) {
      return stored.dir().resolve(name + ".npy");
    }
  }
}
