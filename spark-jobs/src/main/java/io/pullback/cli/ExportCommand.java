package io.pullback.cli;

import io.pullback.distributed.BlockedMetricEstimator.Tile;
import io.pullback.distributed.MetricTiles;
import io.pullback.io.Json;
import io.pullback.io.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pullback.PullbackException;
/**
 * {@code pullback export DIR --to npy}: turns any stored metric of an {@code estimate} folder
 * (Parquet tiles, a diagonal, per-layer blocks, Kronecker factors, a low-rank basis, NTK factor rows)
 * into a dense {@code DIR/metric.npy} when {@code 8·N²} bytes fit in half the driver heap, and says
 * why not otherwise. Written atomically; an existing {@code metric.npy} is left alone.
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Converts the metric stored by estimate in DIR to a dense DIR/metric.npy (when it fits in memory)."})
public final class ExportCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(ExportCommand.class);

  @ParentCommand
  private PullbackCli parent;

  @Parameters(index = "0", paramLabel = "DIR", description = "An estimate output folder (with summary.json).")
  Path dir;

  @Option(names = "--to", paramLabel = "npy", description = "Target format; only npy (default: ${DEFAULT-VALUE}).", defaultValue = "npy")
  String to;

  @Override
  public Integer call() {
    if (!to.equals("npy")) throw PullbackException.usage("--to: unknown format '" + to + "'; valid: npy");
    Path summaryFile = dir.resolve("summary.json");
    if (!Files.isRegularFile(summaryFile)) {
      throw PullbackException.data("'" + dir + "' is not an estimate output folder: " + summaryFile + " does not exist");
    }
    JsonNode summary = Json.readTree(summaryFile);
    String representation = summary.path("representation").asText("");
    int n = summary.path("n_params").asInt(-1);
    if (n < 1) throw PullbackException.data(summaryFile + ": n_params is missing or not positive");
    Path target = dir.resolve("metric.npy");
    if (Files.exists(target)) {
      parent.out().println(target + " already exists (" + representation + " representation); nothing to do");
      return 0;
    }
    if (representation.equals("implicit")) {
      throw PullbackException.usage("'" + dir + "' holds an implicit metric, which stores nothing to export; rerun"
          + " estimate with --representation dense (or blocked) to store it");
    }
    long bytes = 8L * n * n;
    long budget = Runtime.getRuntime().maxMemory() / 2;
    if (bytes > budget || (long) n * n > Integer.MAX_VALUE - 8) {
      throw PullbackException.usage("the dense metric (N = " + n + ") needs " + bytes + " bytes, more than half the driver heap ("
          + budget + " bytes); raise it (bin/pullback --driver-memory, spark-submit --driver-memory) or keep the "
          + representation + " form");
    }
    double[] g = new double[n * n];
    switch (representation) {
      case "blocked" -> {
        List<Tile> tiles = MetricTiles.read(parent.sessions().session(null), dir.resolve("metric"));
        int t = summary.path("tile_size").asInt();
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
      case "diag" -> {
        double[] d = vector(dir.resolve("diagonal.npy"), n);
        for (int i = 0; i < n; i++) g[i * n + i] = d[i];
      }
      case "block-diag" -> {
        double[] starts = Npy.readVector(dir.resolve("block_starts.npy"));
        for (int b = 0; b + 1 < starts.length; b++) {
          int s = (int) starts[b];
          int m = (int) starts[b + 1] - s;
          Npy.Array block = Npy.readMatrix(dir.resolve("block_" + b + ".npy"));
          requireShape(block, m, m, "block_" + b + ".npy");
          for (int i = 0; i < m; i++) System.arraycopy(block.data(), i * m, g, (s + i) * n + s, m);
        }
      }
      case "kfac" -> {
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
      case "low-rank" -> {
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
      case "ntk-dual" -> {
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
      default -> throw PullbackException.data(summaryFile + ": unknown representation '" + representation + "'");
    }
    Npy.writeMatrix(target, g, n, n);
    LOG.info("Wrote {} ({} x {}, from the {} representation)", target, n, n, representation);
    parent.out().println(target);
    return 0;
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
