package io.pullback.job;

import io.pullback.data.RowSampler;
import io.pullback.distributed.LoadedData;
import io.pullback.distributed.TrainingPass;
import io.pullback.io.Json;
import io.pullback.io.Manifest;
import io.pullback.io.Npy;
import io.pullback.io.OutputDirectory;
import io.pullback.linalg.Blas;
import io.pullback.loss.Loss;
import io.pullback.loss.LossGradient;
import io.pullback.metric.BoundFactorRows;
import io.pullback.metric.FactorRows;
import io.pullback.metric.MetricKind;
import io.pullback.model.Model;
import io.pullback.optim.Checkpoint;
import io.pullback.optim.CheckpointData;
import io.pullback.linalg.DenseMetricSolver;
import io.pullback.linalg.MetricSolver;
import io.pullback.distributed.SparkBlockData;
import io.pullback.distributed.SparkRepresentations;
import io.pullback.metric.aggregate.BlockData;
import io.pullback.metric.aggregate.SampledBlockData;
import io.pullback.metric.representation.ImplicitMetric;
import io.pullback.metric.representation.MetricRepresentation;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.optim.Optimizer;
import io.pullback.optim.OptimizerConfig;
import io.pullback.optim.Optimizers;
import io.pullback.optim.StepInput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pullback.PullbackException;
/**
 * The {@code train} driver loop. Each step t:
 * <ol>
 *   <li>one Spark pass ({@link TrainingPass}) gives {@code L(θ_t)}, {@code ∇L(θ_t)} and, when the
 *       optimiser asks for it, the dense metric G — all on the step's seeded batch sample;</li>
 *   <li>the optimiser computes {@code θ_{t+1}} on the driver (ngd: a Cholesky solve of
 *       {@code (G + λI) δ = ∇L});</li>
 *   <li>with the Levenberg–Marquardt schedule, the loss at {@code θ_{t+1}} is measured (one forward
 *       pass); a step that raises the loss is rejected and re-solved with a larger λ;</li>
 *   <li>one line goes to {@code history.jsonl}, and every {@code --checkpoint-every} steps a
 *       checkpoint is written atomically.</li>
 * </ol>
 *
 * <p>Output folder: {@code --out} must not exist or be empty (it is created); with {@code --resume} it
 * must hold a checkpoint, and the run continues from it to {@code --steps}, rewriting
 * {@code history.jsonl} up to the checkpoint's step first. Because every reduction is ordered and
 * every sample is a function of (seed, example, step), a resumed run gives the same θ and history
 * (all fields but the wall-clock {@code seconds}) as an uninterrupted one. A failure before the first
 * checkpoint removes the folder it created; after that the folder is kept for {@code --resume}.
 * Every file is a fixed name inside {@code --out}, written atomically (history lines are appended);
 * {@code --resume} first refuses a folder holding a symbolic link that points outside it
 * ({@link OutputDirectory#requireNoLinkOutside}).
 */
public final class TrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);
  static final String CHECKPOINT = "checkpoint";
  static final String HISTORY = "history.jsonl";
  /** Most re-solves of one LM step before giving up. */
  static final int MAX_REJECTIONS = 30;

  private TrainJob() {}

  public static void run(SparkSession spark, TrainConfig config) {
    run(spark, config, StepListener.NONE);
  }

  /** As {@link #run(SparkSession, TrainConfig)}, telling {@code listener} about every step. */
  public static void run(SparkSession spark, TrainConfig config, StepListener listener) {
    Path out = config.out().toAbsolutePath().normalize();
    boolean created = prepareOut(config, out);
    boolean keep = config.resume();
    try {
      keep |= train(spark, config, out, listener);
    } catch (RuntimeException e) {
      if (created && !keep && !Files.exists(out.resolve(CHECKPOINT))) OutputDirectory.deleteRecursively(out);
      throw e;
    }
  }

  /** Returns whether the folder was created here. */
  private static boolean prepareOut(TrainConfig config, Path out) {
    if (config.resume()) {
      // A link such as checkpoint -> /elsewhere would make the fixed names below write outside --out.
      OutputDirectory.requireNoLinkOutside(out);
      if (!Files.isDirectory(out.resolve(CHECKPOINT))) {
        throw PullbackException.usage("--resume: no checkpoint in " + config.out() + " (expected " + out.resolve(CHECKPOINT)
            + "); run without --resume, with --checkpoint-every k");
      }
      return false;
    }
    OutputDirectory.requireAbsentOrEmpty(config.out(), "choose a new --out, remove it, or add --resume");
    if (Files.exists(out)) return false;
    try {
      Files.createDirectories(out);
      return true;
    } catch (IOException e) {
      throw PullbackException.usage("--out " + config.out() + ": " + e.getMessage());
    }
  }

  /**
   * The checks of {@code train} that need no Spark and no data (model, loss, optimiser and its
   * settings), so that a caller running several trainings (an experiment) can refuse a bad one
   * before writing anything.
   */
  public static void check(TrainConfig config) {
    Model probe = config.input().model(1);
    Loss loss = Loss.parse(config.loss(), probe);
    MetricKind kind = config.metric() != null ? config.metric() : loss == Loss.MSE ? MetricKind.FUNCTION : MetricKind.FISHER;
    Optimizers.create(optimizerConfig(config, loss, kind));
  }

  private static boolean train(SparkSession spark, TrainConfig config, Path out, StepListener listener) {
    InputConfig input = config.input();
    Manifest manifest = Manifest.start("train", config.toMap());
    Model probe = input.model(1);
    Loss loss = Loss.parse(config.loss(), probe);
    MetricKind kind = config.metric() != null ? config.metric() : loss == Loss.MSE ? MetricKind.FUNCTION : MetricKind.FISHER;
    OptimizerConfig optConfig = optimizerConfig(config, loss, kind);
    Optimizer optimizer = Optimizers.create(optConfig);
    boolean usesMetric = config.optimizer().equals("ngd");

    long t0 = System.nanoTime();
    int rowsPerExample = usesMetric ? new FactorRows(probe, kind, config.samples(), input.seed()).rowsPerExample() : 1;
    LoadedData data = input.load(spark, rowsPerExample);
    try {
      manifest.inputs(spark, data.inputPaths());
      Model model = input.model(data.dim());
      LossGradient lossGradient = new LossGradient(model, loss);
      FactorRows factorRows = usesMetric ? new FactorRows(model, kind, config.samples(), input.seed()) : null;
      RowSampler batch = config.batchFraction() >= 1 ? RowSampler.all() : new RowSampler(config.batchFraction(), input.seed(), 1);
      RowSampler metricSample = config.metricFraction() >= 1 ? RowSampler.all() : new RowSampler(config.metricFraction(), input.seed(), 2);
      long budget = EstimateJob.reduceBudget(spark);

      double[] theta;
      int first;
      Path history = out.resolve(HISTORY);
      if (config.resume()) {
        CheckpointData cp = Checkpoint.read(out.resolve(CHECKPOINT));
        if (cp.theta().length != model.numParams()) {
          throw PullbackException.data("checkpoint in " + out.resolve(CHECKPOINT) + " has " + cp.theta().length
              + " parameters but the model has N = " + model.numParams() + "; resume with the options of the original run");
        }
        theta = cp.theta();
        optimizer.restore(cp.optimizer());
        first = (int) cp.step() + 1;
        truncateHistory(history, (int) cp.step());
        LOG.info("Resuming {} from step {} of {}", out, cp.step(), config.steps());
      } else {
        theta = input.initialParams(model);
        first = 1;
      }
      double loadSeconds = (System.nanoTime() - t0) / 1e9;
      LOG.info("Training {} (N = {}) with {} on {} examples ({} partitions), loss {}, {} steps",
          model.kind(), model.numParams(), config.optimizer(), data.examples(), data.partitions(), loss, config.steps());

      long totalPasses = 0;
      boolean dense = config.representation().equals("dense");
      MetricRepresentation representation = null;
      long trainStart = System.nanoTime();
      for (int t = first; t <= config.steps(); t++) {
        long stepStart = System.nanoTime();
        boolean needMetric = usesMetric && optimizer.needsMetric(t);
        boolean denseInPass = needMetric && dense;
        TrainingPass.Result pass = TrainingPass.run(data, lossGradient, theta,
            denseInPass ? new BoundFactorRows(factorRows, theta) : null, batch, metricSample, t, budget);
        int passes = 1;
        MetricSolver metric = null;
        if (denseInPass) {
          metric = new DenseMetricSolver(pass.metric(), model.numParams(), config.jitter());
        } else if (needMetric) {
          if (representation != null) representation.release();
          representation = buildRepresentation(config, data, budget, factorRows, theta, batch, metricSample, t);
          metric = representation;
          passes += representation.kind() == RepresentationKind.IMPLICIT ? 0
              : representation instanceof io.pullback.metric.representation.BlockedTilesMetric bt ? bt.estimatePasses() : 1;
        }
        double l = pass.loss() + penalty(config.l2(), theta);
        double[] g = pass.gradient();
        if (config.l2() > 0) for (int i = 0; i < g.length; i++) g[i] += 2 * config.l2() * theta[i];
        if (!Double.isFinite(l)) {
          throw PullbackException.data("step " + t + ": the loss is " + l + "; lower --lr or raise --damping");
        }
        StepInput in = new StepInput(t, theta, l, g, metric);
        long passesBefore = implicitPasses(representation);
        double[] next = optimizer.step(in);
        if (optConfig.dampingSchedule() == OptimizerConfig.DampingSchedule.LEVENBERG_MARQUARDT && usesMetric) {
          int rejections = 0;
          while (true) {
            double newLoss = TrainingPass.loss(data, lossGradient, next, batch, t) + penalty(config.l2(), next);
            passes++;
            if (!optimizer.rejectLastStep(newLoss)) break;
            if (++rejections > MAX_REJECTIONS) {
              throw PullbackException.data("step " + t + ": no damping up to λ = " + optimizer.damping() + " reduced the loss");
            }
            LOG.info("step {}: rejected (loss {} → {}), damping raised to {}", t, l, newLoss, optimizer.damping());
            next = optimizer.step(in);
          }
        }
        passes += (int) (implicitPasses(representation) - passesBefore);
        totalPasses += passes;
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
        line.put("metric", needMetric);
        line.put("passes", passes);
        if (representation instanceof io.pullback.metric.representation.BlockedTilesMetric bt && bt.lastSolve() != null && needMetric) {
          line.put("cg_iterations", bt.lastSolve().iterations());
          line.put("cg_relative_residual", bt.lastSolve().relativeResidual());
        }
        if (representation instanceof ImplicitMetric im && im.lastSolve() != null && needMetric) {
          line.put("cg_iterations", im.lastSolve().iterations());
          line.put("cg_relative_residual", im.lastSolve().relativeResidual());
          line.put("gv_pass_seconds_mean", im.details().get("gv_pass_seconds_mean"));
        }
        line.put("seconds", (System.nanoTime() - stepStart) / 1e9);
        Json.appendJsonLine(history, line);
        LOG.info("step {}/{}  loss {}  |g| {}  |δ| {}  λ {}  ({} s)", t, config.steps(), String.format("%.6e", l),
            String.format("%.3e", Math.sqrt(gradNorm)), String.format("%.3e", Math.sqrt(stepNorm)), optimizer.damping(),
            String.format("%.2f", (System.nanoTime() - stepStart) / 1e9));
        theta = next;
        listener.stepDone(t, config.steps(), l, (System.nanoTime() - stepStart) / 1e9);
        if (config.checkpointEvery() > 0 && (t % config.checkpointEvery() == 0 || t == config.steps())) {
          Checkpoint.write(out.resolve(CHECKPOINT), new CheckpointData(t, theta, optimizer.state(), input.seed(), t, optimizer.damping()));
        }
      }
      double trainSeconds = (System.nanoTime() - trainStart) / 1e9;
      double finalLoss = TrainingPass.loss(data, lossGradient, theta, RowSampler.all(), 0) + penalty(config.l2(), theta);
      Npy.writeVector(out.resolve("params.npy"), theta);
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("command", "train");
      summary.put("optimizer", config.optimizer());
      summary.put("loss_kind", loss.cliName());
      summary.put("metric", usesMetric ? kind.cliName() : null);
      summary.put("representation", usesMetric ? config.representation() : null);
      summary.put("model", model.kind());
      summary.put("parameter_layout", model.parameterLayout());
      summary.put("n_params", model.numParams());
      summary.put("examples", data.examples());
      summary.put("partitions", data.partitions());
      summary.put("steps", config.steps());
      summary.put("final_loss", finalLoss);
      summary.put("passes", totalPasses + 1);
      summary.putAll(Blas.report()); // blas, lapack, native_libraries
      summary.put("load_seconds", loadSeconds);
      summary.put("train_seconds", trainSeconds);
      summary.put("driver_heap_max_bytes", Runtime.getRuntime().maxMemory());
      summary.put("driver_heap_peak_bytes", peakHeapBytes());
      Json.writeJson(out.resolve("summary.json"), summary);
      manifest.finish(spark, Blas.report()).write(out);
      LOG.info("Done: final loss {} after {} steps; wrote {}", finalLoss, config.steps(), out);
      return true;
    } finally {
      data.release();
    }
  }

  /** Tile side of {@code --representation blocked} in train (the estimate default). */
  public static final int BLOCKED_TILE_SIZE = 1024;

  /**
   * The step's metric in a non-dense representation, over the step's batch and metric samples: one
   * data pass (none for implicit, whose products are passes of their own, counted as they happen).
   */
  private static MetricRepresentation buildRepresentation(TrainConfig config, LoadedData data, long budget,
                                                          FactorRows rows, double[] theta, RowSampler batch,
                                                          RowSampler metricSample, int step) {
    BlockData blocks = new SparkBlockData(data, budget);
    if (config.batchFraction() < 1) blocks = new SampledBlockData(blocks, batch, step);
    if (config.metricFraction() < 1) blocks = new SampledBlockData(blocks, metricSample, step);
    try {
      return SparkRepresentations.build(RepresentationKind.parse(config.representation()), data, blocks, rows, theta.clone(),
          config.representationOptions(), BLOCKED_TILE_SIZE);
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("--representation " + config.representation() + ": " + e.getMessage());
    }
  }

  /** Sum of the peak usages of the JVM's heap pools since start (an upper bound of the peak heap). */
  static long peakHeapBytes() {
    long peak = 0;
    for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == java.lang.management.MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
    }
    return peak;
  }

  private static long implicitPasses(MetricRepresentation r) {
    return r instanceof ImplicitMetric im ? (Long) im.details().get("data_passes") : 0L;
  }

  static OptimizerConfig optimizerConfig(TrainConfig c, Loss loss, MetricKind kind) {
    OptimizerConfig o;
    try {
      o = OptimizerConfig.defaults(c.optimizer());
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("--optimizer: " + e.getMessage());
    }
    // Squared loss without ½ has Gauss–Newton curvature 2G for the function metric.
    double curvature = c.curvatureScale() != null ? c.curvatureScale() : loss == Loss.MSE && kind == MetricKind.FUNCTION ? 2.0 : 1.0;
    if (c.lr() != null) {
      o = o.withLearningRate(c.lr());
    } else if (c.optimizer().equals("ngd")) {
      o = o.withLearningRate(1.0 / curvature); // the Gauss–Newton step: η = ½ for mse, 1 for cross-entropy
    }
    o = o.withDamping(c.damping(), OptimizerConfig.DampingSchedule.parse(c.dampingSchedule()))
        .withRefreshEvery(c.refreshEvery())
        .withCurvatureScale(curvature)
        .withWeightDecay(c.weightDecay())
        .withMomentum(c.momentum())
        .withAdam(c.beta1(), c.beta2(), c.eps())
        .withInduced(c.xi(), c.inducedBeta(), c.inducedMomentum(), c.betaRms(), c.inducedEpsilon())
        .withAllowJitter(c.jitter());
    return o;
  }

  private static double penalty(double l2, double[] theta) {
    if (l2 == 0) return 0;
    double s = 0;
    for (double v : theta) s += v * v;
    return l2 * s;
  }

  /** Keeps the history lines of steps ≤ {@code lastStep} (atomically). */
  static void truncateHistory(Path history, int lastStep) {
    if (!Files.exists(history)) return;
    try {
      List<String> kept = new ArrayList<>();
      for (String line : Files.readAllLines(history, StandardCharsets.UTF_8)) {
        if (line.isBlank()) continue;
        if (Json.mapper().readTree(line).path("step").asInt(Integer.MAX_VALUE) <= lastStep) kept.add(line);
      }
      io.pullback.io.AtomicFiles.writeString(history, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rewrite " + history + ": " + e.getMessage(), e);
    }
  }
}
