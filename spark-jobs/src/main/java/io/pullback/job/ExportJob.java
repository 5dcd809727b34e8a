package io.pullback.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.PullbackException;
import io.pullback.distributed.BlockedMetricEstimator.Tile;
import io.pullback.distributed.MetricTiles;
import io.pullback.io.Json;
import io.pullback.io.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
  public record StoredMetric(Path dir, String representation, int n, JsonNode summary) {
    /**
     * Reads {@code dir/summary.json}.
     *
     * @throws PullbackException (data) when the folder is not an estimate output folder
     */
    public static StoredMetric open(Path dir) {
      Path summaryFile = dir.resolve("summary.json");
      if (!Files.isRegularFile(summaryFile)) {
        throw PullbackException.data("'" + dir + "' is not an estimate output folder: " + summaryFile + " does not exist");
      }
      JsonNode summary = Json.readTree(summaryFile);
      int n = summary.path("n_params").asInt(-1);
      if (n < 1) throw PullbackException.data(summaryFile + ": n_params is missing or not positive");
      return new StoredMetric(dir, summary.path("representation").asText(""), n, summary);
    }
  }

  /**
   * The dense metric the folder's files describe.
   *
   * @param spark reads the blocked representation's Parquet tiles (unused otherwise)
   * @throws PullbackException (usage) for an implicit metric or one too large for the heap; (data)
   *     for missing or mis-shaped files
   */
  public static double[] readDense(SparkSession spark, StoredMetric stored) {
    int n = stored.n();
    String representation = stored.representation();
    if (representation.equals("implicit")) {
      throw PullbackException.usage("'" + stored.dir() + "' holds an implicit metric, which stores nothing to export; rerun"
          + " estimate with --representation dense (or blocked) to store it");
    }
    long bytes = 8L * n * n;
    long budget = Runtime.getRuntime().maxMemory() / 2;
    if (bytes > budget || (long) n * n > Integer.MAX_VALUE - 8) {
      throw PullbackException.usage("the dense metric (N = " + n + ") needs " + bytes + " bytes, more than half the driver heap ("
          + budget + " bytes); raise it (bin/pullback --driver-memory, spark-submit --driver-memory) or keep the "
          + representation + " form");
    }
    Path dir = stored.dir();
    double[] g = new double[n * n];
    switch (representation) {
      case "dense" -> System.arraycopy(matrix(dir.resolve("metric.npy"), n, n, "metric.npy"), 0, g, 0, n * n);
      case "blocked" -> fromTiles(spark, dir, stored.summary().path("tile_size").asInt(), n, g);
      case "diag" -> fromDiagonal(dir, n, g);
      case "block-diag" -> fromBlocks(dir, n, g);
      case "kfac" -> fromKroneckerFactors(dir, n, g);
      case "low-rank" -> fromLowRank(dir, n, g);
      case "ntk-dual" -> fromFactorRows(dir, n, g);
      default -> throw PullbackException.data(dir.resolve("summary.json") + ": unknown representation '" + representation + "'");
    }
    String bad = FiniteResults.firstNonFinite(g, n, "G");
    if (bad != null) {
      throw PullbackException.data("'" + dir + "' holds a metric that is not finite: " + bad + "; nothing was exported."
          + " The stored files hold non-finite values (re-estimate from finite, non-overflowing data).");
    }
    return g;
  }

  /** Upper tiles of side t, mirrored into both triangles. */
  private static void fromTiles(SparkSession spark, Path dir, int t, int n, double[] g) {
    List<Tile> tiles = MetricTiles.read(spark, dir.resolve("metric"));
    for (Tile tile : tiles) {
      for (int i = 0; i < tile.rows(); i++) {
        for (int j = 0; j < tile.cols(); j++) {
          double v = tile.values()[i * tile.cols() + j];
          int r = tile.i() * t + i;
          int c = tile.j() * t + j;
          g[r * n + c] = v;
          g[c * n + r] = v;
        }
      }
    }
  }

  /** {@code diag(d)}. */
  private static void fromDiagonal(Path dir, int n, double[] g) {
    double[] d = vector(dir.resolve("diagonal.npy"), n);
    for (int i = 0; i < n; i++) g[i * n + i] = d[i];
  }

  /** One dense block per parameter group, on the diagonal. */
  private static void fromBlocks(Path dir, int n, double[] g) {
    double[] starts = Npy.readVector(dir.resolve("block_starts.npy"));
    for (int b = 0; b + 1 < starts.length; b++) {
      int s = (int) starts[b];
      int m = (int) starts[b + 1] - s;
      Npy.Array block = Npy.readMatrix(dir.resolve("block_" + b + ".npy"));
      requireShape(block, m, m, "block_" + b + ".npy");
      for (int i = 0; i < m; i++) System.arraycopy(block.data(), i * m, g, (s + i) * n + s, m);
    }
  }

  /** Per layer, {@code S ⊗ A} placed by the layer's index map. */
  private static void fromKroneckerFactors(Path dir, int n, double[] g) {
    for (int l = 0; Files.exists(dir.resolve("kfac_layer" + l + "_A.npy")); l++) {
      Npy.Array a = Npy.readMatrix(dir.resolve("kfac_layer" + l + "_A.npy"));
      Npy.Array s = Npy.readMatrix(dir.resolve("kfac_layer" + l + "_S.npy"));
      Npy.Array idx = Npy.readMatrix(dir.resolve("kfac_layer" + l + "_index.npy"));
      int p = a.shape()[0];
      int q = s.shape()[0];
      requireShape(idx, q, p, "kfac_layer" + l + "_index.npy");
      for (int o = 0; o < q; o++) {
        for (int i = 0; i < p; i++) {
          int row = (int) idx.data()[o * p + i];
          for (int o2 = 0; o2 < q; o2++) {
            for (int i2 = 0; i2 < p; i2++) {
              g[row * n + (int) idx.data()[o2 * p + i2]] = s.data()[o * q + o2] * a.data()[i * p + i2];
            }
          }
        }
      }
    }
  }

  /** {@code U diag(λ) Uᵀ}. */
  private static void fromLowRank(Path dir, int n, double[] g) {
    Npy.Array u = Npy.readMatrix(dir.resolve("lowrank_basis.npy"));
    double[] lam = Npy.readVector(dir.resolve("lowrank_eigenvalues.npy"));
    int k = lam.length;
    requireShape(u, n, k, "lowrank_basis.npy");
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double s = 0;
        for (int c = 0; c < k; c++) s += u.data()[i * k + c] * lam[c] * u.data()[j * k + c];
        g[i * n + j] = s;
        g[j * n + i] = s;
      }
    }
  }

  /** {@code RᵀR} over the stored (scaled) factor rows. */
  private static void fromFactorRows(Path dir, int n, double[] g) {
    Npy.Array r = Npy.readMatrix(dir.resolve("ntk_factor_rows.npy"));
    int m = r.shape()[0];
    requireShape(r, m, n, "ntk_factor_rows.npy");
    for (int t = 0; t < m; t++) {
      int off = t * n;
      for (int i = 0; i < n; i++) {
        double ri = r.data()[off + i];
        if (ri == 0) continue;
        for (int j = 0; j < n; j++) g[i * n + j] += ri * r.data()[off + j];
      }
    }
  }

  private static double[] matrix(Path file, int rows, int cols, String name) {
    Npy.Array a = Npy.readMatrix(file);
    requireShape(a, rows, cols, name);
    return a.data();
  }

  private static double[] vector(Path file, int n) {
    double[] v = Npy.readVector(file);
    if (v.length != n) throw PullbackException.data(file + " has " + v.length + " values, expected N = " + n);
    return v;
  }

  private static void requireShape(Npy.Array a, int rows, int cols, String name) {
    if (a.shape().length != 2 || a.shape()[0] != rows || a.shape()[1] != cols) {
      throw PullbackException.data(name + " has shape " + java.util.Arrays.toString(a.shape()) + ", expected [" + rows + ", " + cols + "]");
    }
  }
}
