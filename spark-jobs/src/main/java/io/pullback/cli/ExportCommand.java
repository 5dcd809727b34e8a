package io.pullback.cli;

import io.pullback.PullbackException;
import io.pullback.io.Npy;
import io.pullback.job.ExportJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code pullback export DIR --to npy}: turns any stored metric of an {@code estimate} folder
 * (Parquet tiles, a diagonal, per-layer blocks, Kronecker factors, a low-rank basis, NTK factor rows)
 * into a dense {@code DIR/metric.npy} when {@code 8·N²} bytes fit in half the driver heap, and says
 * why not otherwise (the reading is {@link ExportJob#readDense}). Written atomically; an existing
 * {@code metric.npy} is left alone.
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
    header = "Converts a stored metric to a dense metric.npy.",
    description = {"Converts the metric stored by estimate in DIR to a dense DIR/metric.npy (when it fits in memory)."})
public final class ExportCommand implements Callable<Integer> {
  /** Not a static field: picocli builds every command for {@code --help}, which must not start logging. */
  private static Logger log() {
    return LoggerFactory.getLogger(ExportCommand.class);
  }

  @ParentCommand
  private PullbackCli parent;

  @Parameters(index = "0", paramLabel = "DIR", description = "An estimate output folder (with summary.json).")
  Path dir;

  @Option(names = "--to", paramLabel = "npy", description = "Target format; only npy (default: ${DEFAULT-VALUE}).", defaultValue = "npy")
  String to;

  @Override
  public Integer call() {
    if (!to.equals("npy")) throw PullbackException.usage("--to: unknown format '" + to + "'; valid: npy");
    ExportJob.StoredMetric stored = ExportJob.StoredMetric.open(dir);
    Path target = dir.resolve("metric.npy");
    if (Files.exists(target)) {
      parent.out().println(target + " already exists (" + stored.representation() + " representation); nothing to do");
      return 0;
    }
    SparkSession spark = stored.representation().equals("blocked") ? parent.sessions().session(null) : null;
    double[] g = ExportJob.readDense(spark, stored);
    int n = stored.n();
    Npy.writeMatrix(target, g, n, n);
    log().info("Wrote {} ({} x {}, from the {} representation)", target, n, n, stored.representation());
    parent.out().println(target);
    return 0;
  }
}
