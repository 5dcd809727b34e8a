package io.pullback.cli;

import io.pullback.data.InputFormat;
import io.pullback.job.InputConfig;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The data, model and Spark options shared by {@code estimate} and {@code train} (a picocli mixin). */
public final class InputOptions {

  @Option(names = "--config", paramLabel = "FILE.yaml",
      description = "Options as YAML, keys being the option names (model: mlp, hidden: [16, 16]); the command line overrides; unknown keys are errors.")
  Path configFile;

  @Option(names = "--data", required = true, paramLabel = "FILE|synthetic:NAME?k=v",
      description = "Input file, folder of part files, quoted glob or comma-separated list (LIBSVM, CSV with header, Parquet; see docs/data.md)"
          + " or synthetic:gaussian|uniform?rows=M&features=D&seed=S[&classes=K][&outputs=K][&noise=s].")
  String data;

  @Option(names = "--format", paramLabel = "libsvm|csv|parquet|idx", description = "Input format (default: from the file names; idx for names ending -ubyte or .idx).")
  String format;

  @Option(names = "--labels", paramLabel = "FILE", description = "IDX labels file (magic 0x801) of --format idx images (optionally gzipped).")
  String labels;

  @Option(names = "--target", paramLabel = "labels|inputs",
      description = "What each example is fitted to: its labels, or its own inputs (an autoencoder: --outputs must equal the features) (default: ${DEFAULT-VALUE}).",
      defaultValue = "labels")
  String target;

  @Option(names = "--label-col", split = ",", paramLabel = "COL", description = "Label column(s) for CSV/Parquet (default: label).")
  List<String> labelColumns;

  @Option(names = "--weight-col", paramLabel = "COL", description = "Per-example weight column (CSV/Parquet): w_x/sum(w) replaces 1/M.")
  String weightColumn;

  @Option(names = "--features", paramLabel = "D", description = "Number of features of a LIBSVM file (default: the largest index, found while validating).")
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

  @Option(names = "--activation", paramLabel = "tanh|relu|gelu|sigmoid|linear", description = "Activation of every hidden layer of mlp (default: ${DEFAULT-VALUE}).", defaultValue = "tanh")
  String activation;

  @Option(names = "--activations", split = ",", paramLabel = "A",
      description = "Per-layer activations of mlp, one per --hidden width in order, e.g. sigmoid,sigmoid,linear (replaces --activation).")
  List<String> activations;

  @Option(names = "--likelihood", paramLabel = "gaussian|categorical|bernoulli",
      description = "Output distribution of mlp: gaussian (regression, mse), categorical (K = --outputs classes, cross-entropy) or bernoulli (default: ${DEFAULT-VALUE}).",
      defaultValue = "gaussian")
  String likelihood;

  @Option(names = "--params", paramLabel = "FILE.npy", description = "Parameters θ (a float64 vector in the model's layout, docs/models.md). Default: seeded initialisation.")
  String params;

  @Option(names = "--init", paramLabel = "random|zeros", description = "Initial θ when no --params: seeded random (see docs/models.md) or all zeros (default: ${DEFAULT-VALUE}).", defaultValue = "random")
  String init;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the initial parameters and of all sampling (default: ${DEFAULT-VALUE}).", defaultValue = "0")
  long seed;

  @Option(names = "--partitions", paramLabel = "P", description = "Partitions (default: the input's, or the default parallelism for synthetic data).")
  Integer partitions;

  @Option(names = "--block-rows", paramLabel = "B", description = "Examples per packed block (default: sized so a factor block is about 16 MiB).")
  Integer blockRows;

  @Option(names = "--master", paramLabel = "URL", description = "Spark master for bin/pullback (default local[*]); ignored under spark-submit.")
  String master;

  /**
   * {@code --activations} joined by commas when given (its count is checked against the hidden
   * layers by the model factory), else {@code --activation}.
   */
  private String activations() {
    if (activations == null || activations.isEmpty()) return activation;
    if (hidden != null && activations.size() != hidden.size()) {
      throw io.pullback.PullbackException.usage("{activations}: " + activations.size() + " names " + activations + " for "
          + hidden.size() + " hidden widths " + hidden + "; give one per hidden layer");
    }
    return String.join(",", activations);
  }

  /** The validated configuration. */
  InputConfig toConfig() {
    return new InputConfig(data, format == null ? null : InputFormat.parse(format), labelColumns, weightColumn, numFeatures,
        model, classes, outputs, basis, degree, hidden, activations(), likelihood, io.pullback.io.Location.spelling(params), init, seed, partitions, blockRows, master,
        labels == null ? null : io.pullback.io.Location.spelling(labels), target);
  }
}
