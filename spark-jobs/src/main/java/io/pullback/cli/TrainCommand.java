package io.pullback.cli;

import io.pullback.PullbackException;
import io.pullback.job.InputConfig;
import io.pullback.job.RunContext;
import io.pullback.job.TrainConfig;
import io.pullback.job.TrainJob;
import io.pullback.metric.MetricKind;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code pullback train}: the driver loop of preconditioned descent. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
    header = "Trains a model by natural gradient or a baseline optimiser.",
    description = {
        "Each step is one Spark pass for the loss, gradient and (when due) the metric, a solve on the driver",
        "and an update.",
        "Writes history.jsonl, params.npy, summary.json, manifest.json (and checkpoint/) to --out."})
public final class TrainCommand implements Callable<Integer> {

  @ParentCommand
  private PullbackCli parent;

  @Mixin
  InputOptions input;

  @Option(names = "--optimizer", paramLabel = "ngd|gd|momentum|adam|adamw|induced|induced-log|induced-adam|kfac",
      description = "Optimiser (default: ${DEFAULT-VALUE}).", defaultValue = "ngd")
  String optimizer;

  @Option(names = "--loss", paramLabel = "mse|cross-entropy", description = "Loss (default: mse for linear-basis/mlp, cross-entropy for logistic/softmax).")
  String loss;

  @Option(names = "--l2", paramLabel = "λ2", description = "L2 regularisation: adds λ2·||w||² to the loss, the weights only, not the biases (MLlib's regParam = 2·λ2)"
      + " (default: ${DEFAULT-VALUE}).", defaultValue = "0")
  double l2;

  @Option(names = "--lr", paramLabel = "η", description = "Learning rate (default: ngd the Gauss–Newton step, 1/curvature-scale: ½ for mse, 1 for cross-entropy; gd/momentum 0.01; adam/adamw 1e-3; induced* 0.1; kfac chooses it each step and refuses --lr).")
  Double lr;

  @Option(names = "--steps", paramLabel = "T", description = "Total steps (default: ${DEFAULT-VALUE}).", defaultValue = "20")
  int steps;

  @Option(names = "--metric", paramLabel = "function|fisher|empirical-fisher|mc-fisher", description = "Metric of ngd (default: function for mse, fisher for cross-entropy).")
  String metric;

  @Option(names = "--samples", paramLabel = "S", description = "Samples per example for mc-fisher (default: ${DEFAULT-VALUE}).", defaultValue = "1")
  int samples;

  @Option(names = "--representation", paramLabel = "dense|blocked|implicit|diag|block-diag|kfac|ekfac|low-rank|ntk-dual",
      description = "Metric representation of ngd: dense (Cholesky), blocked (distributed tiles, CG), implicit (CG, G never formed; --cg-tol, --cg-max-iter),"
          + " diag, block-diag (per layer), kfac, ekfac (exact damped solves in K-FAC's eigenbasis), low-rank (--rank), ntk-dual (a --metric-fraction sample in the kernel space)"
          + " (default: ${DEFAULT-VALUE}).", defaultValue = "dense")
  String representation;

  @Mixin
  RepresentationOptionsMixin representationOptions = new RepresentationOptionsMixin();

  @Option(names = "--damping", paramLabel = "λ", description = "Damping λ of ngd, (G + λI)⁻¹; the starting λ with levenberg-marquardt and with kfac (default: ${DEFAULT-VALUE}).", defaultValue = "1e-3")
  double damping;

  @Option(names = "--damping-schedule", paramLabel = "fixed|levenberg-marquardt", description = "Damping schedule (default: ${DEFAULT-VALUE}).", defaultValue = "fixed")
  String dampingSchedule;

  @Option(names = "--allow-jitter",
      description = "Add (and log) diagonal jitter when G + λI is not positive definite (default: it is an error naming the fix).")
  boolean jitter;

  @Option(names = "--curvature-scale", paramLabel = "c",
      description = "Curvature B = c·G in the Levenberg–Marquardt model (default: 2 for mse with the function metric, else 1).")
  Double curvatureScale;

  @Option(names = "--refresh-every", paramLabel = "k", description = "Recompute the metric every k steps (default: ${DEFAULT-VALUE}).", defaultValue = "1")
  int refreshEvery;

  @Option(names = "--metric-fraction", paramLabel = "f", description = "Estimate the metric on a seeded fraction f of each step's batch (default: ${DEFAULT-VALUE}).", defaultValue = "1")
  double metricFraction;

  @Option(names = "--batch-fraction", paramLabel = "f", description = "Each step's gradient on a seeded fraction f of the data (default: ${DEFAULT-VALUE}, full batch).", defaultValue = "1")
  double batchFraction;

  @Option(names = "--weight-decay", paramLabel = "λwd", description = "Decoupled weight decay of adamw and induced* (default: ${DEFAULT-VALUE}).", defaultValue = "0")
  double weightDecay;

  @Option(names = "--momentum", paramLabel = "μ", description = "Heavy-ball momentum of the momentum optimiser (default: ${DEFAULT-VALUE}).", defaultValue = "0.9")
  double momentum;

  @Option(names = "--nesterov", description = "Nesterov momentum for the momentum optimiser: θ ← θ − η(g + μv) after v ← μv + g (default: heavy ball).")
  boolean nesterov;

  @Option(names = "--adam-beta1", paramLabel = "β1", description = "Adam β1 (default: ${DEFAULT-VALUE}).", defaultValue = "0.9")
  double beta1;

  @Option(names = "--adam-beta2", paramLabel = "β2", description = "Adam β2 (default: ${DEFAULT-VALUE}).", defaultValue = "0.999")
  double beta2;

  @Option(names = "--adam-epsilon", paramLabel = "ε", description = "Adam ε (default: ${DEFAULT-VALUE}).", defaultValue = "1e-8")
  double eps;

  @Option(names = "--xi", paramLabel = "ξ", description = "Induced-metric scale ξ (default: ${DEFAULT-VALUE}).", defaultValue = "0.1")
  double xi;

  @Option(names = "--induced-beta", paramLabel = "β", description = "Induced-metric moving-average β (default: ${DEFAULT-VALUE}).", defaultValue = "0.1")
  double inducedBeta;

  @Option(names = "--induced-momentum", paramLabel = "μ", description = "Momentum μ of the induced optimisers (default: ${DEFAULT-VALUE}).", defaultValue = "0.9")
  double inducedMomentum;

  @Option(names = "--induced-epsilon", paramLabel = "ε", description = "ε of induced-adam (default: ${DEFAULT-VALUE}).", defaultValue = "1e-8")
  double inducedEpsilon;

  @Option(names = "--beta-rms", paramLabel = "β_rms", description = "induced-adam second-moment β (default: ${DEFAULT-VALUE}).", defaultValue = "0.99")
  double betaRms;

  @Option(names = "--test-data", paramLabel = "FILE",
      description = "Held-out examples in the format of --data (same model, features and target): each step's history line gets test_loss and"
          + " test_accuracy (categorical or one Bernoulli output) at the step's θ, and summary.json those after the last step; not counted in the step's seconds.")
  String testData;

  @Option(names = "--test-labels", paramLabel = "FILE", description = "IDX labels file of --test-data with --format idx.")
  String testLabels;

  @Option(names = "--kfac-decay", paramLabel = "ε", description = "kfac: decay of the running averages of the Kronecker factors, ε_t = min(1 − 1/t, ε) (default: ${DEFAULT-VALUE}).", defaultValue = "0.95")
  double kfacDecay;

  @Option(names = "--inverse-every", paramLabel = "T3", description = "kfac: recompute the factors' eigendecompositions every T3 steps (default: ${DEFAULT-VALUE}).", defaultValue = "20")
  int inverseEvery;

  @Option(names = "--damping-every", paramLabel = "T1", description = "kfac: adapt the damping λ (Levenberg–Marquardt) every T1 steps (default: ${DEFAULT-VALUE}).", defaultValue = "5")
  int dampingEvery;

  @Option(names = "--checkpoint-every", paramLabel = "k", description = "Write a checkpoint every k steps (default: ${DEFAULT-VALUE} = never).", defaultValue = "0")
  int checkpointEvery;

  @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint up to --steps.")
  boolean resume;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder; must not exist or be empty (unless --resume).")
  String out;

  @Override
  public Integer call() {
    TrainConfig config = toConfig();
    io.pullback.job.Preflight.beforeSpark(config.input(), config.resume() ? null : config.out(),
        "choose a new --out, remove it, or add --resume");
    Terminal terminal = parent.terminal();
    terminal.status("train: loading data");
    RunContext ctx = RunContext.of(parent.sessions().session(config.input().master()));
    TrainJob.run(ctx, config, new StepProgress(terminal, "train"));
    if (terminal.interactive()) {
      com.fasterxml.jackson.databind.JsonNode summary = io.pullback.io.Json.readTree(
          io.pullback.io.Location.of(config.out(), ctx.hadoopConf(), "out").resolve("summary.json"));
      terminal.status("train: " + config.steps() + " steps in " + Terminal.duration(summary.path("train_seconds").asDouble())
          + " · final loss " + io.pullback.io.Numbers.sig(summary.path("final_loss").asDouble(), 7)
          + " (after the last update, all data) · " + config.out());
    }
    return 0;
  }

  /** The configuration a map of train options describes (experiments use this); errors name {@code context}. */
  public static TrainConfig configFrom(java.util.Map<String, Object> options, String out, String context) {
    return ConfigFile.parse(new TrainCommand(), options, out, context).toConfig();
  }

  TrainConfig toConfig() {
    MetricKind kind = null;
    if (metric != null) {
      try {
        kind = MetricKind.parse(metric);
      } catch (IllegalArgumentException e) {
        throw PullbackException.usage("--metric: " + e.getMessage());
      }
    }
    InputConfig in = input.toConfig();
    return new TrainConfig(in, optimizer, loss, l2, lr, steps, kind, samples, TrainConfig.parseRepresentation(representation),
        representationOptions.toOptions(in.seed(), jitter), damping,
        dampingSchedule, jitter, curvatureScale, refreshEvery, metricFraction, batchFraction, weightDecay, momentum, beta1,
        beta2, eps, xi, inducedBeta, inducedMomentum, betaRms, inducedEpsilon, kfacDecay, inverseEvery, dampingEvery, nesterov, checkpointEvery, resume, io.pullback.io.Location.spelling(out),
        testData == null ? null : io.pullback.io.Location.spelling(testData), testLabels == null ? null : io.pullback.io.Location.spelling(testLabels));
  }
}
