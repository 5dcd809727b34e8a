package io.pullback.job;

import io.pullback.PullbackException;
import io.pullback.data.RowSampler;
import io.pullback.distributed.LoadedData;
import io.pullback.distributed.SparkBlockData;
import io.pullback.distributed.TrainingPass;
import io.pullback.io.Json;
import io.pullback.io.Manifest;
import io.pullback.io.Npy;
import io.pullback.io.Numbers;
import io.pullback.linalg.DenseMetricSolver;
import io.pullback.linalg.MetricSolver;
import io.pullback.loss.L2Penalty;
import io.pullback.loss.Loss;
import io.pullback.loss.LossGradient;
import io.pullback.metric.BoundFactorRows;
import io.pullback.metric.FactorRows;
import io.pullback.metric.MetricKind;
import io.pullback.metric.aggregate.BlockData;
import io.pullback.metric.aggregate.SampledBlockData;
import io.pullback.metric.representation.BlockedTilesMetric;
import io.pullback.metric.representation.ImplicitMetric;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.Representations;
import io.pullback.model.Model;
import io.pullback.optim.Checkpoint;
import io.pullback.optim.CheckpointData;
import io.pullback.optim.CurvatureOracle;
import io.pullback.optim.Kfac;
import io.pullback.optim.Optimizer;
import io.pullback.optim.StepInput;
import io.pullback.io.Location;
import io.pullback.io.Publication;
import org.apache.hadoop.conf.Configuration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One training run over loaded data, step by step, for {@link TrainJob}: the state the steps share
 * (θ, the optimiser, the current representation, the pass count) and one named method per stage —
 * {@link #start} (initial or resumed θ), {@link #step} (pass → metric → accepted optimiser step →
 * history line → checkpoint) and {@link #finish} (final loss, {@code params.npy}, summary,
 * manifest). The optimiser sees a loss oracle and a metric, never the data.
 */
final class TrainingLoop {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);

  /**
   * The choices of a run that need no data: loss, metric kind, whether the optimiser uses the
   * metric. Making one checks the optimiser's configuration (on a probe model: the optimiser itself
   * is made with the data's model, whose dimension places the biases the L2 term leaves out).
   */
  record Plan(Loss loss, MetricKind kind, boolean usesMetric) {
    static Plan of(TrainConfig config) {
      Model probe = config.input().model(1);
      Loss loss = Loss.parse(config.loss(), probe);
      MetricKind kind = config.metric() != null ? config.metric() : loss == Loss.MSE ? MetricKind.FUNCTION : MetricKind.FISHER;
      Plan plan = new Plan(loss, kind, config.optimizer().equals("ngd") || config.optimizer().equals("kfac"));
      plan.optimizer(config, probe);
      return plan;
    }

    /** The optimiser of this run for {@code model} (its L2 term on the model's weights). */
    Optimizer optimizer(TrainConfig config, Model model) {
      return TrainJob.optimizerConfig(config, loss, kind, L2Penalty.onWeights(config.l2(), model)).create();
    }

    /** The representation of the step metric: kfac's Kronecker factors for kfac, else {@code {representation}}. */
    RepresentationKind representation(TrainConfig config) {
      return config.optimizer().equals("kfac") ? RepresentationKind.KFAC : config.representation();
    }

    /** Factor rows per example of the metric (1 when the optimiser uses none). */
    int rowsPerExample(TrainConfig config) {
      return usesMetric ? new FactorRows(config.input().model(1), kind, config.samples(), config.input().seed()).rowsPerExample() : 1;
    }
  }

  private final TrainConfig config;
  private final Location out;
  private final Configuration hadoopConf;
  private final Plan plan;
  private final LoadedData data;
  private final long budget;
  private final StepListener listener;
  private final RunFingerprint fingerprint;
  private final Model model;
  private final L2Penalty penalty;
  private final Optimizer optimizer;
  private final LossGradient lossGradient;
  private final FactorRows factorRows;
  /** kfac: the exact curvature of the quadratic model (function for mse, fisher otherwise), whatever the factors' kind. */
  private final FactorRows curvatureRows;
  private final RowSampler batch;
  private final RowSampler metricSample;
  private final Location history;
  /** Held-out examples evaluated at every step and after the last ({@code {testData}}), or null. */
  private final LoadedData test;
  private double[] theta;
  private MetricRepresentation representation;
  private long totalPasses;
  private double bestLoss = Double.POSITIVE_INFINITY;
  private int bestStep;
  private boolean warnedDivergence;

  /** θ at the start of step {@link #lastFiniteStep}, the last whose loss and gradient were finite (null before step 1). */
  private double[] lastFinite;
  private int lastFiniteStep;

  /** Loss growth over the best loss so far past which {@code train} warns that it diverges. */
  static final double DIVERGENCE_FACTOR = 10;

  TrainingLoop(TrainConfig config, Location out, Configuration hadoopConf, Plan plan, LoadedData data, long budget,
               RunFingerprint fingerprint, StepListener listener, LoadedData test) {
    InputConfig input = config.input();
    this.config = config;
    this.out = out;
    this.hadoopConf = hadoopConf;
    this.plan = plan;
    this.data = data;
    this.budget = budget;
    this.listener = listener;
    this.fingerprint = fingerprint;
    this.model = input.model(data.dim());
    this.penalty = L2Penalty.onWeights(config.l2(), model);
    this.optimizer = plan.optimizer(config, model);
    this.lossGradient = new LossGradient(model, plan.loss());
    this.factorRows = plan.usesMetric() ? new FactorRows(model, plan.kind(), config.samples(), input.seed()) : null;
    this.curvatureRows = new FactorRows(model, plan.loss() == Loss.MSE ? MetricKind.FUNCTION : MetricKind.FISHER, 1, input.seed());
    this.batch = config.batchFraction() >= 1 ? RowSampler.all() : new RowSampler(config.batchFraction(), input.seed(), 1);
    this.metricSample = config.metricFraction() >= 1 ? RowSampler.all() : new RowSampler(config.metricFraction(), input.seed(), 2);
    this.history = out.resolve(TrainJob.HISTORY);
    this.test = test;
  }

  Model model() {
    return model;
  }

  /** θ to start from — the checkpoint's (history cut back to it) with {@code --resume} — and the first step. */
  int start() {
    if (!config.resume()) {
      theta = config.input().initialParams(model, hadoopConf);
      return 1;
    }
    CheckpointData cp = Checkpoint.read(out.resolve(TrainJob.CHECKPOINT));
    if (cp.theta().length != model.numParams()) {
      throw PullbackException.data("checkpoint in " + out.resolve(TrainJob.CHECKPOINT) + " has " + cp.theta().length
          + " parameters but the model has N = " + model.numParams() + "; resume with the options of the original run");
    }
    theta = cp.theta();
    optimizer.restore(cp.optimizer());
    TrainJob.truncateHistory(history, (int) cp.step());
    LOG.info("Resuming {} from step {} of {}", out, cp.step(), config.steps());
    return (int) cp.step() + 1;
  }

  /** The metric a step uses and the data passes it took to build. */
  private record StepMetric(MetricSolver metric, int passes) {}

  /** θ now (a copy). */
  double[] theta() {
    return theta.clone();
  }

  /** Step t: one pass (loss, gradient, and the dense metric when due), the optimiser, history, checkpoint; returns the step's loss at θ_t. */
  double step(int t) {
    long stepStart = System.nanoTime();
    boolean needMetric = plan.usesMetric() && optimizer.needsMetric(t);
    boolean denseInPass = needMetric && plan.representation(config) == RepresentationKind.DENSE;
    TrainingPass.Result pass = TrainingPass.run(data, lossGradient, theta,
        denseInPass ? new BoundFactorRows(factorRows, theta) : null, batch, metricSample, t, budget);
    if (pass.examples() == 0) {
      throw PullbackException.usage("step " + t + ": {batchFraction} " + config.batchFraction() + " selected no example of the "
          + data.examples() + "; raise {batchFraction} (at least " + Math.min(1.0, 1.0 / data.examples()) + ")");
    }
    double l = pass.loss() + penalty.value(theta);
    double[] g = pass.gradient();
    penalty.addGradient(theta, g);
    try {
      requireFiniteStep(t, l, g);
    } catch (PullbackException e) {
      keepLastFinite();
      throw e;
    }
    lastFinite = theta;
    lastFiniteStep = t;
    StepMetric metric = denseInPass
        ? new StepMetric(new DenseMetricSolver(pass.metric(), model.numParams(), config.jitter()), 1)
        : needMetric ? representationFor(t) : new StepMetric(null, 1);
    long passesBefore = implicitPasses(representation);
    int[] lossPasses = {0};
    double[] at = theta;
    CurvatureOracle curvature = !config.optimizer().equals("kfac") ? null : (u, v) -> {
      lossPasses[0]++;
      return Representations.gramForms(stepBlocks(t), curvatureRows, at, u, v);
    };
    double[] next = optimizer.acceptedStep(new StepInput(t, theta, l, g, metric.metric(), curvature), candidate -> {
      lossPasses[0]++;
      return TrainingPass.loss(data, lossGradient, candidate, batch, t) + penalty.value(candidate);
    });
    int passes = metric.passes() + lossPasses[0] + (int) (implicitPasses(representation) - passesBefore);
    totalPasses += passes;
    for (int i = 0; i < next.length; i++) {
      if (!Double.isFinite(next[i])) {
        keepLastFinite();
        throw PullbackException.data("step " + t + ": the update is not finite (θ[" + i + "] = " + next[i]
            + "); lower {learningRate} or raise {damping}");
      }
    }
    Map<String, Object> line = historyLine(t, l, g, next, pass, needMetric, passes, stepStart);
    putTest(line, theta);
    Json.appendJsonLine(history, line);
    warnIfDiverging(t, l);
    theta = next;
    listener.stepDone(t, config.steps(), l, (System.nanoTime() - stepStart) / 1e9);
    if (config.checkpointEvery() > 0 && (t % config.checkpointEvery() == 0 || t == config.steps())) {
      Checkpoint.write(out.resolve(TrainJob.CHECKPOINT),
          new CheckpointData(t, theta, optimizer.state(), config.input().seed(), t, optimizer.damping(), fingerprint.settings()));
    }
    return l;
  }

  /**
   * Writes {@value #LAST_FINITE} in {@code out}: the last θ whose loss and gradient were finite (that
   * of the start of step {@code lastFiniteStep}), from which a diverged run can go on with other
   * settings ({@code --params}). Nothing before the first finite step.
   */
  private void keepLastFinite() {
    if (lastFinite != null) Npy.writeVector(out.resolve(LAST_FINITE), lastFinite);
  }

  /** The file of {@link #keepLastFinite}. */
  static final String LAST_FINITE = "last-finite-params.npy";

  /**
   * Stops on a non-finite loss or gradient (exit 3), naming the step and the first bad entry: the
   * step before overshot, or the data overflow.
   */
  private static void requireFiniteStep(int t, double loss, double[] gradient) {
    if (!Double.isFinite(loss)) {
      throw PullbackException.data("step " + t + ": the loss is " + loss + "; lower {learningRate} or raise {damping}");
    }
    for (int i = 0; i < gradient.length; i++) {
      if (!Double.isFinite(gradient[i])) {
        throw PullbackException.data("step " + t + ": gradient entry " + i + " is " + gradient[i] + " (loss " + loss
            + "); lower {learningRate} or raise {damping}, or rescale features that overflow");
      }
    }
  }

  /**
   * Warns once (one WARN line) when the loss exceeds {@value #DIVERGENCE_FACTOR} times the best loss
   * so far: the run is diverging (the step is too long for the curvature).
   */
  private void warnIfDiverging(int t, double loss) {
    if (loss < bestLoss) {
      bestLoss = loss;
      bestStep = t;
    } else if (!warnedDivergence && bestLoss > 0 && loss > DIVERGENCE_FACTOR * bestLoss) {
      warnedDivergence = true;
      LOG.warn("step {}: loss {} is more than {}x the best loss {} (step {}): training is diverging; lower the learning rate or raise the damping",
          t, String.format("%.4g", loss), (int) DIVERGENCE_FACTOR, String.format("%.4g", bestLoss), bestStep);
    }
  }

  /** A non-dense step metric: the previous one released, a new one built at θ over the step's samples. */
  private StepMetric representationFor(int t) {
    if (representation != null) representation.release();
    representation = buildRepresentation(t);
    int passes = 1 + (representation.kind() == RepresentationKind.IMPLICIT ? 0
        : representation instanceof BlockedTilesMetric bt ? (int) bt.estimatePasses()
        : representation.kind() == RepresentationKind.EKFAC ? 2 : 1);
    return new StepMetric(representation, passes);
  }

  /** One {@code history.jsonl} line (and the INFO log line a user watches). */
  private Map<String, Object> historyLine(int t, double l, double[] g, double[] next, TrainingPass.Result pass,
                                          boolean needMetric, int passes, long stepStart) {
    double stepNorm = 0;
    double gradNorm = 0;
    for (int i = 0; i < next.length; i++) {
      stepNorm += (next[i] - theta[i]) * (next[i] - theta[i]);
      gradNorm += g[i] * g[i];
    }
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("step", t);
    line.put("loss", l);
    line.put("grad_norm", Math.sqrt(gradNorm));
    line.put("step_norm", Math.sqrt(stepNorm));
    line.put("damping", optimizer.damping());
    line.put("lr", optimizer.learningRate());
    line.put("examples", pass.examples());
    line.put("squared_error", pass.squaredError());
    if (optimizer instanceof Kfac k) {
      line.put("momentum", k.momentum());
      line.put("rho", k.lastRho());
    }
    line.put("metric", needMetric);
    line.put("passes", passes);
    if (representation instanceof BlockedTilesMetric bt && bt.lastSolve() != null && needMetric) {
      line.put("cg_iterations", bt.lastSolve().iterations());
      line.put("cg_relative_residual", bt.lastSolve().relativeResidual());
    }
    if (representation instanceof ImplicitMetric im && im.lastSolve() != null && needMetric) {
      line.put("cg_iterations", im.lastSolve().iterations());
      line.put("cg_relative_residual", im.lastSolve().relativeResidual());
      line.put("gv_pass_seconds_mean", im.details().get("gv_pass_seconds_mean"));
    }
    line.put("seconds", (System.nanoTime() - stepStart) / 1e9);
    double damping = optimizer.damping();
    LOG.info("step {}/{}  loss {}  |g| {}  |δ| {}{}  ({} s)", t, config.steps(), Numbers.sig(l, 7),
        Numbers.sig(Math.sqrt(gradNorm), 3), Numbers.sig(Math.sqrt(stepNorm), 3),
        Double.isNaN(damping) ? "" : "  λ " + Numbers.sig(damping, 2), Numbers.sig((System.nanoTime() - stepStart) / 1e9, 3));
    return line;
  }

  /**
   * {@code test_loss} (the mean loss, without the {@code {l2}} term) and {@code test_accuracy} (when the
   * model has one) at θ on the held-out examples, when there are any: one pass over them.
   */
  private void putTest(Map<String, Object> line, double[] at) {
    if (test == null) return;
    TrainingPass.Evaluation e = TrainingPass.evaluate(test, lossGradient, at);
    line.put("test_loss", e.loss());
    if (!Double.isNaN(e.accuracy())) line.put("test_accuracy", e.accuracy());
  }

  /** Writes the object-store commit marker of the finished folder ({@link Publication}). */
  private static void commit(Location out) {
    try {
      Publication.commit(out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot commit " + out + ": " + e.getMessage(), e);
    }
  }

  /** The final loss on all the data, {@code params.npy}, {@code summary.json} and {@code manifest.json}. */
  void finish(RunContext ctx, Manifest manifest, double loadSeconds, double trainSeconds, int steps) {
    double finalLoss = TrainingPass.loss(data, lossGradient, theta, RowSampler.all(), 0) + penalty.value(theta);
    Npy.writeVector(out.resolve("params.npy"), theta);
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("command", "train");
    summary.put("optimizer", config.optimizer());
    summary.put("loss_kind", plan.loss().cliName());
    summary.put("metric", plan.usesMetric() ? plan.kind().cliName() : null);
    summary.put("representation", plan.usesMetric() ? plan.representation(config).cliName() : null);
    summary.put("model", model.kind());
    summary.put("parameter_layout", model.parameterLayout());
    summary.put("n_params", model.numParams());
    summary.put("examples", data.examples());
    summary.put("partitions", data.partitions());
    summary.put("steps", steps);
    summary.put("final_loss", finalLoss);
    putTest(summary, theta);
    summary.put("passes", totalPasses + 1);
    summary.putAll(ctx.numericLibraries()); // blas, lapack, native_libraries
    summary.put("load_seconds", loadSeconds);
    summary.put("train_seconds", trainSeconds);
    summary.put("driver_heap_max_bytes", Runtime.getRuntime().maxMemory());
    summary.put("driver_heap_peak_bytes", TrainJob.peakHeapBytes());
    Json.writeJson(out.resolve("summary.json"), summary);
    manifest.finish(ctx.sparkInfo(), ctx.numericLibraries()).write(out);
    if (!out.atomicRename()) commit(out);
    // Step lines show the loss before each step's update (on the step's batch); this one is after the last update.
    LOG.info("Done: final loss {} (at the parameters after step {}, on all {} examples; the step lines show the loss"
        + " before each step's update); wrote {}", Numbers.sig(finalLoss, 7), steps, data.examples(), out);
  }

  /**
   * The step's metric in a non-dense representation, over the step's batch and metric samples: one
   * data pass (none for implicit, whose products are passes of their own, counted as they happen).
   */
  private MetricRepresentation buildRepresentation(int step) {
    RepresentationKind kind = plan.representation(config);
    try {
      return Representations.build(kind, stepBlocks(step), factorRows, theta.clone(),
          config.representationOptions().withTileSize(TrainJob.BLOCKED_TILE_SIZE));
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("{representation} " + kind + ": " + e.getMessage());
    }
  }

  /** The examples of step {@code step}'s metric: its batch sample, then its metric sample. */
  private BlockData stepBlocks(int step) {
    BlockData blocks = new SparkBlockData(data, budget);
    if (config.batchFraction() < 1) blocks = new SampledBlockData(blocks, batch, step);
    if (config.metricFraction() < 1) blocks = new SampledBlockData(blocks, metricSample, step);
    return blocks;
  }

  private static long implicitPasses(MetricRepresentation r) {
    return r instanceof ImplicitMetric im ? (Long) im.details().get("data_passes") : 0L;
  }
}
