package io.pullback.bench;

import io.pullback.cli.CommandPlugin;
import io.pullback.cli.PullbackCli;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code pullback bench [--quick]}: the performance figures of issue 8 measured side by side in one
 * run, each printed with its target and PASS/MISS, written to {@code OUT/results/latest.json} and
 * {@code OUT/REPORT.md} (with PNG plots). See {@link Bench} for what is measured and how.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    header = "Benchmarks the kernels and estimates against BLAS, MLlib and numpy.",
    description = {"Measures the Gram kernel against each BLAS's dgemm, estimates against MLlib's",
        "RowMatrix.computeGramianMatrix and numpy, scaling in rows and executors, ngd against MLlib's",
        "LogisticRegression, softmax fisher against a pure Gram, and K-FAC against SGD and Adam; writes OUT/results/latest.json and OUT/REPORT.md."})
public final class BenchCommand implements Callable<Integer>, CommandPlugin {

  @ParentCommand
  private PullbackCli parent;

  @Option(names = "--quick", description = "Small sizes (a few minutes) instead of the full ones (M = 200,000 rows).")
  boolean quick;

  @Option(names = "--out", paramLabel = "DIR", description = "Where results/latest.json, REPORT.md and the plots go (default: ${DEFAULT-VALUE}).",
      defaultValue = "bench")
  Path out;

  @Option(names = "--rows", paramLabel = "M", description = "Rows of the estimate-vs-MLlib and numpy comparisons (default: 200000; quick 36000).")
  Long rows;

  @Option(names = "--n", split = ",", paramLabel = "N", description = "Column counts of the estimate comparisons (default: 256,512,1024,2048).")
  List<Integer> ns;

  @Option(names = "--kernel-n", split = ",", paramLabel = "N", description = "Column counts of the kernel measurement (default: 1024,2048; quick 512,1024).")
  List<Integer> kernelNs;

  @Option(names = "--scaling-rows", paramLabel = "M", description = "Rows of the executor-scaling runs (default: 200000; quick 120000).")
  Long scalingRows;

  @Option(names = "--scaling-n", paramLabel = "N", description = "Columns of the scaling runs (default: 512).")
  Integer scalingN;

  @Option(names = "--softmax-rows", paramLabel = "M", description = "Examples of the softmax fisher comparison (default: 20000; quick 4000).")
  Long softmaxRows;

  @Option(names = "--softmax-features", paramLabel = "D", description = "Features of the softmax fisher comparison (default: 99, so N = 1000; quick 49).")
  Integer softmaxFeatures;

  @Option(names = "--gv-rows", paramLabel = "M", description = "Examples of the G·V-against-gradient comparison (default: 100000; quick 20000).")
  Long gvRows;

  @Option(names = "--dataset", paramLabel = "CSV", description = "Binary data set of the training comparison (default: ${DEFAULT-VALUE}; run scripts/fetch-datasets.sh).",
      defaultValue = "data/breast-cancer.csv")
  Path dataset;

  @Option(names = "--load-rows", paramLabel = "M", description = "Rows of the load section's LIBSVM and CSV files, × 50 features (default: 200000, 100+ MB; quick 20000).")
  Long loadRows;

  @Option(names = "--kfac-images", paramLabel = "IDX", description = "MNIST images of the kfac section (default: ${DEFAULT-VALUE}; run scripts/fetch-datasets.sh mnist).",
      defaultValue = "data/mnist/train-images-idx3-ubyte")
  Path kfacImages;

  @Option(names = "--kfac-hidden", split = ",", paramLabel = "W", description = "Hidden widths of the kfac step-cost autoencoder (default: 1000,500,250,30,250,500,1000).")
  List<Integer> kfacHidden;

  @Option(names = "--kfac-batch", paramLabel = "B", description = "Images per mini-batch of the kfac step-cost runs (default: 600).")
  Integer kfacBatch;

  @Option(names = "--kfac-rounds", paramLabel = "R", description = "The kfac step-cost arms run 2R + 1 steps (default: 3; quick 2).")
  Integer kfacRounds;

  @Option(names = "--kfac-race-rows", paramLabel = "M", description = "Images of the kfac time-to-target runs (default: 10000; quick 2000).")
  Integer kfacRaceRows;

  @Option(names = "--kfac-race-hidden", split = ",", paramLabel = "W", description = "Hidden widths of the kfac time-to-target autoencoder (default: 250,30,250).")
  List<Integer> kfacRaceHidden;

  @Option(names = "--kfac-race-steps", paramLabel = "T", description = "Steps of every kfac time-to-target arm (default: 150; quick 40).")
  Integer kfacRaceSteps;

  @Option(names = "--skip", split = ",", paramLabel = "SECTION",
      description = "Sections to leave out (their figures are reported as skipped): kernel, mllib, numpy, scaling, training, softmax, load, gv, kfac.")
  List<String> skip;

  @Option(names = "--master", paramLabel = "URL", description = "Spark master for bin/pullback (default local[*]); ignored under spark-submit.")
  String master;

  @Override
  public Integer call() throws Exception {
    Bench.Config config = Bench.Config.of(quick, out, rows, ns, kernelNs, scalingRows, scalingN, softmaxRows, softmaxFeatures, gvRows, dataset, skip,
        String.join(" ", commandLine()), loadRows,
        KfacBench.sizes(quick, kfacImages, kfacHidden, kfacBatch, kfacRounds, kfacRaceRows, kfacRaceHidden, kfacRaceSteps));
    Bench bench = new Bench(config, parent.out());
    bench.run(withBenchJar(parent.sessions().session(master)));
    return 0;
  }

  /**
   * On a cluster the executors get Pullback's classes from the submit jar ({@code spark.jars}), which does
   * not hold the bench: the bench's own closures need its jar, added here (local masters share this JVM's
   * class path, and {@code local-cluster} executors get it through the Spark home {@link ChildJvm} lays out).
   */
  static SparkSession withBenchJar(SparkSession spark) {
    Path jar = ChildJvm.ownLocation();
    if (!spark.sparkContext().isLocal() && jar != null && jar.toString().endsWith(".jar")) spark.sparkContext().addJar(jar.toString());
    return spark;
  }

  @Spec
  CommandSpec spec;

  private List<String> commandLine() {
    // bin/pullback passes -Dpullback.conf.dir; its --driver-memory becomes -Xmx.
    List<String> args = new java.util.ArrayList<>();
    if (System.getProperty("pullback.conf.dir") != null) {
      args.add("bin/pullback");
      for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
        if (a.startsWith("-Xmx")) args.add("--driver-memory " + a.substring(4));
      }
    } else {
      args.add("pullback");
    }
    args.addAll(spec.commandLine().getParseResult().originalArgs());
    return args;
  }
}
