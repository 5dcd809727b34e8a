package io.pullback.job;

import io.pullback.data.InputFormat;
import io.pullback.metric.MetricKind;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code pullback estimate}: one exact metric, written to {@code --out}. */
@Command(name = "estimate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Estimates G = (1/M) sum_x R(x)^T R(x) for a model and metric kind on Spark and writes",
        "metric.npy (dense) or metric/ (Parquet tiles), summary.json and manifest.json to --out."})
public final class EstimateCommand implements Callable<Integer> {

  @ParentCommand
  private PullbackCli parent;

  @Option(names = "--config", paramLabel = "FILE.yaml",
      description = "Options as YAML, keys being the option names (model: mlp, hidden: [16, 16]); the command line overrides; unknown keys are errors.")
  Path configFile;

  @Option(names = "--data", required = true, paramLabel = "FILE|synthetic:NAME?k=v",
      description = "Input file or folder (LIBSVM, CSV with header, Parquet) or synthetic:gaussian|uniform?rows=M&features=D&seed=S[&classes=K][&outputs=K].")
  String data;

  @Option(names = "--format", paramLabel = "libsvm|csv|parquet", description = "Input format (default: from the file extension).")
  String format;

  @Option(names = "--label-col", split = ",", paramLabel = "COL", description = "Label column(s) for CSV/Parquet (default: label).")
  List<String> labelColumns;

  @Option(names = "--weight-col", paramLabel = "COL", description = "Per-example weight column (CSV/Parquet): w_x/sum(w) replaces 1/M.")
  String weightColumn;

  @Option(names = "--features", paramLabel = "D", description = "Number of features of a LIBSVM file (default: scanned from the file).")
  Integer numFeatures;

  @Option(names = "--model", required = true, paramLabel = "logistic|softmax|linear-basis|mlp", description = "Model.")
  String model;

  @Option(names = "--classes", paramLabel = "K", description = "Classes of a softmax model (default: 2).")
  Integer classes;

  @Option(names = "--outputs", paramLabel = "K", description = "Outputs of a linear-basis or mlp model (default: 1).")
  Integer outputs;

  @Option(names = "--basis", paramLabel = "legendre|monomial|fourier", description = "Basis family of linear-basis (default: ${DEFAULT-VALUE}).", defaultValue = "legendre")
  String basis;

  @Option(names = "--degree", paramLabel = "d", description = "Total degree of linear-basis (default: ${DEFAULT-VALUE}).", defaultValue = "3")
  int degree;

  @Option(names = "--hidden", split = ",", paramLabel = "W", description = "Hidden widths of mlp, e.g. 16,16 (default: 16).")
  List<Integer> hidden;

  @Option(names = "--activation", paramLabel = "tanh|relu|gelu", description = "Activation of mlp (default: ${DEFAULT-VALUE}).", defaultValue = "tanh")
  String activation;

  @Option(names = "--params", paramLabel = "FILE.npy", description = "Parameters θ (float64 vector, DESIGN.md layout). Default: seeded initialisation.")
  Path params;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the initial parameters and of mc-fisher sampling (default: ${DEFAULT-VALUE}).", defaultValue = "0")
  long seed;

  @Option(names = "--metric", paramLabel = "function|fisher|empirical-fisher|mc-fisher", description = "Metric kind (default: ${DEFAULT-VALUE}).", defaultValue = "function")
  String metric;

  @Option(names = "--samples", paramLabel = "S", description = "Samples per example for mc-fisher (default: ${DEFAULT-VALUE}).", defaultValue = "1")
  int samples;

  @Option(names = "--representation", paramLabel = "auto|dense|blocked",
      description = "dense: one N×N matrix on the driver; blocked: distributed tiles; auto: dense up to --dense-limit (default: ${DEFAULT-VALUE}).", defaultValue = "auto")
  String representation;

  @Option(names = "--dense-limit", paramLabel = "N", description = "Largest N estimated densely in auto mode (default: ${DEFAULT-VALUE}).", defaultValue = "4096")
  int denseLimit;

  @Option(names = "--tile-size", paramLabel = "T", description = "Tile side of the blocked representation (default: ${DEFAULT-VALUE}).", defaultValue = "1024")
  int tileSize;

  @Option(names = "--partitions", paramLabel = "P", description = "Partitions (default: the input's, or the default parallelism for synthetic data).")
  Integer partitions;

  @Option(names = "--block-rows", paramLabel = "B", description = "Examples per packed block (default: sized so a factor block is about 16 MiB).")
  Integer blockRows;

  @Option(names = "--master", paramLabel = "URL", description = "Spark master for bin/pullback (default local[*]); ignored under spark-submit.")
  String master;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder; must not exist or be empty.")
  Path out;

  @Override
  public Integer call() {
    EstimateConfig config = toConfig();
    EstimateJob.run(parent.sessions().session(master), config);
    return 0;
  }

  EstimateConfig toConfig() {
    MetricKind kind;
    try {
      kind = MetricKind.parse(metric);
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("--metric: " + e.getMessage());
    }
    return new EstimateConfig(data, format == null ? null : InputFormat.parse(format), labelColumns, weightColumn, numFeatures,
        model, classes, outputs, basis, degree, hidden, activation, params, seed, kind, samples,
        representation, denseLimit, tileSize, partitions, blockRows, master, out);
  }
}
