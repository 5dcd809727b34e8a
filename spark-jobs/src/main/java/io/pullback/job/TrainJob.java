package io.pullback.job;

import io.pullback.PullbackException;
import io.pullback.distributed.LoadedData;
import io.pullback.distributed.TrainingPass;
import io.pullback.io.Json;
import io.pullback.io.Manifest;
import io.pullback.io.Location;
import io.pullback.io.OutputDirectory;
import io.pullback.io.Publication;
import io.pullback.io.RunLock;
import io.pullback.loss.Loss;
import io.pullback.metric.MetricKind;
import io.pullback.model.Model;
import io.pullback.loss.L2Penalty;
import io.pullback.optim.AdamConfig;
import io.pullback.optim.GradientDescentConfig;
import io.pullback.optim.InducedConfig;
import io.pullback.optim.KfacConfig;
import io.pullback.optim.MomentumConfig;
import io.pullback.optim.NaturalGradientConfig;
import io.pullback.optim.NaturalGradientConfig.DampingSchedule;
import io.pullback.optim.OptimizerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * checkpoint leaves {@code --out} as it was (removed with the parents it created, or emptied); after
 * that the folder is kept for {@code --resume} (a diverged step says how to go on, {@link #undoOrKeep}).
 * Every file is a fixed name inside {@code --out}, written atomically (history lines are appended);
 * {@code --resume} first refuses a folder holding a symbolic link that points outside it
 * ({@link OutputDirectory#requireNoLinkOutside}) and a checkpoint made with other settings
 * ({@link RunFingerprint}). While it writes, the folder is locked ({@link RunLock}): a second
 * {@code train} into it is refused.
 */
public final class TrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);
  static final String CHECKPOINT = "checkpoint";
  static final String HISTORY = "history.jsonl";

  private TrainJob() {}

  public static void run(RunContext ctx, TrainConfig config) {
    run(ctx, config, StepListener.NONE);
  }

  /** As {@link #run(SparkSession, TrainConfig)}, telling {@code listener} about every step. */
  public static void run(RunContext ctx, TrainConfig config, StepListener listener) {
    inFolder(ctx, config, listener, null, 0);
  }

  /**
   * The same training as {@link #run}, on the rows of a Dataset instead of {@code {data}} (the
   * spark.ml front end's {@code fit}): columns {@code features} (a vector), the label column(s) and
   * the optional weight column of {@code config.input()}, validated and packed as Parquet input.
   * It writes {@code config.out()} as {@code train} does and stops early, after step t, when the
   * relative decrease of the step loss {@code (L_{t−1} − L_t)/|L_{t−1}|} falls below {@code tol}
   * (0: never; the θ is then that of {@code train --steps t}).
   *
   * @return θ after the last step
   */
  public static double[] fit(RunContext ctx, TrainConfig config, Dataset<Row> rows, double tol, StepListener listener) {
    if (!(tol >= 0) || Double.isInfinite(tol)) throw PullbackException.usage("{tol} must be finite and >= 0, got " + tol);
    return inFolder(ctx, config, listener, rows, tol);
  }

  /**
   * {@link #train} in {@code config.out()}: checked (with {@code resume}: against the checkpoint's
   * settings, {@link RunFingerprint}), locked while it writes ({@link RunLock}), and removed again
   * when this created it and fails before the first checkpoint.
   */
  private static double[] inFolder(RunContext ctx, TrainConfig asked, StepListener listener, Dataset<Row> rows, double tol) {
    Location given = Location.of(asked.out(), ctx.hadoopConf(), "out");
    Location out = given.absolute();
    RunLock.Attempt attempt = ctx.attempt();
    TrainConfig config = retried(asked, attempt, out);
    RunFingerprint fingerprint = config.resume() ? RunFingerprint.of(config, ctx.hadoopConf(), rows == null) : null;
    Location created = prepareOut(config, given, out, fingerprint);
    // One writer per folder; a refused second writer leaves the folder (in use by the holder) alone.
    RunLock lock = RunLock.acquire(out, config.resume() ? "train, resumed" : "train", attempt);
    try {
      // Resumed, the folder is rewritten: on an object store it stops being a published result until the end.
      if (config.resume() && !out.atomicRename()) out.resolve(Publication.MARKER).deleteRecursively();
      return train(ctx, config, out, fingerprint, listener, rows, tol);
    } catch (PullbackException e) {
      throw undoOrKeep(config, out, created, e);
    } catch (Throwable e) { // also the checked SparkException of a job cancelled by a signal
      undoOrKeep(config, out, created, null);
      throw e;
    } finally {
      lock.close();
    }
  }

  /**
   * After a failure: without a checkpoint (and not resumed) {@code out} is made as it was before the
   * command — removed with the parents this command created ({@code created}), or emptied when it
   * existed (empty) before. With a checkpoint it is kept: an interrupted command records it for its
   * message ({@link Interruption#keep}) and cuts the history back to it; a data failure ({@code e},
   * exit 3: a loss or update that is not finite) is returned with how to go on. Clean-up failures
   * are logged and never hide the failure.
   *
   * @return {@code e}, or {@code e} with the advice to resume (null when {@code e} is)
   */
  private static PullbackException undoOrKeep(TrainConfig config, Location out, Location created, PullbackException e) {
    try {
      Location checkpoint = out.resolve(CHECKPOINT);
      if (checkpoint.exists()) {
        long step = io.pullback.optim.Checkpoint.read(checkpoint).step();
        if (Interruption.requested() != null) {
          truncateHistory(out.resolve(HISTORY), (int) step);
          Interruption.keep(step, "{resume}");
        } else if (e != null && e.exitCode() == PullbackException.DATA) {
          return kept(e, out, step, config);
        }
      } else if (!config.resume()) {
        if (created != null) created.deleteRecursively();
        else if (out.isDirectory()) out.list().forEach(Location::deleteRecursively);
      }
    } catch (RuntimeException cleanUp) {
      LOG.warn("cannot clean up {} after the failure: {}", out, cleanUp.getMessage());
    }
    return e;
  }

  /**
   * {@code e} (a diverged step) with the kept checkpoint of {@code step} and the two ways on: the same
   * settings ({@code {resume}}), or other ones from the last finite θ ({@code {params}}, when the loop
   * kept one: {@link TrainingLoop#LAST_FINITE}).
   */
  private static PullbackException kept(PullbackException e, Location out, long step, TrainConfig config) {
    Location params = out.resolve(TrainingLoop.LAST_FINITE);
    return new PullbackException(PullbackException.DATA, e.template() + ". The checkpoint of step " + step + " is kept in "
        + config.out() + ": {resume} continues it with the same settings (only {steps}, {checkpointEvery} and Spark or driver"
        + " settings may change)" + (params.exists() ? "; to go on with other settings, train into a new {out} from the last"
        + " parameters with a finite loss with {params} " + params : ""), e);
  }

  /**
   * What a later attempt of a cluster application ({@code attempt} 2 or more: YARN restarted a lost
   * application master with the same arguments) does with the {@code {out}} its predecessor left:
   * when it holds a checkpoint, the run continues from it exactly as with {@code {resume}} (the same
   * settings check, {@link RunFingerprint}: a checkpoint of other settings is refused); when it holds
   * none but its lock names an earlier attempt of this application (lost before the first
   * checkpoint), that attempt's partial files are removed and the run starts again. Otherwise (a
   * first attempt, no attempt at all, {@code {resume}} given) {@code config} is returned unchanged.
   * Limit: a retried attempt cannot tell a checkpoint of its predecessor from one of an earlier run
   * with identical settings in the same folder (which its first attempt refused); it continues
   * either, and both give the same numbers.
   */
  static TrainConfig retried(TrainConfig config, RunLock.Attempt attempt, Location out) {
    if (config.resume() || attempt == null || attempt.number() < 2 || !out.exists()) return config;
    if (out.resolve(CHECKPOINT).isDirectory()) {
      LOG.warn("Attempt {} of {}: {} holds a checkpoint of an earlier attempt; continuing the run from it", attempt.number(),
          attempt.application(), out);
      return config.resumed();
    }
    if (RunLock.heldByEarlierAttempt(out, attempt)) {
      LOG.warn("Attempt {} of {}: the earlier attempt ended before its first checkpoint; removing what it wrote in {} and starting again",
          attempt.number(), attempt.application(), out);
      out.deleteRecursively();
    }
    return config;
  }

  /**
   * Returns the topmost folder created here for {@code out} ({@code out} or its first missing
   * ancestor), or null when it existed. With {@code resume}, refuses (before anything is
   * written) a checkpoint made with other settings than {@code fingerprint}'s ({@link RunFingerprint}).
   */
  private static Location prepareOut(TrainConfig config, Location given, Location out, RunFingerprint fingerprint) {
    if (config.resume()) {
      // A link such as checkpoint -> /elsewhere would make the fixed names below write outside --out.
      OutputDirectory.requireNoLinkOutside(out);
      if (!out.resolve(CHECKPOINT).isDirectory()) {
        throw PullbackException.usage("{resume}: no checkpoint in " + config.out() + " (expected " + out.resolve(CHECKPOINT)
            + "); run without {resume}, with {checkpointEvery} k");
      }
      requireSameRun(fingerprint, out.resolve(CHECKPOINT), "{resume} of " + config.out(),
          "Resume with the original settings (only {steps}, {checkpointEvery} and Spark or driver settings may change), or train into a new {out}");
      return null;
    }
    OutputDirectory.requireAbsentOrEmpty(given, "choose a new {out}, remove it, or add {resume}");
    if (out.exists()) return null;
    Location top = out;
    while (top.parent() != null && !top.parent().exists()) top = top.parent();
    try {
      out.mkdirs();
      return top;
    } catch (UncheckedIOException e) {
      throw PullbackException.usage("{out} " + config.out() + ": " + e.getCause().getMessage());
    }
  }

  /**
   * Refuses to continue the checkpoint in {@code checkpointDir} with settings other than the ones it
   * records (usage error listing each, old → new, see {@link RunFingerprint#requireSameAs}); a
   * checkpoint of an older build, which records none, is continued with one WARN line.
   */
  public static void requireSameRun(RunFingerprint fingerprint, Location checkpointDir, String what, String advice) {
    if (!fingerprint.requireSameAs(checkpointDir, what, advice)) {
      LOG.warn("{} records no settings (written by an older Pullback): resuming without checking that they are the original ones",
          checkpointDir.resolve(io.pullback.optim.Checkpoint.FILE_NAME));
    }
  }

  /**
   * The checks of {@code train} that need no Spark and no data (model, loss, optimiser and its
   * settings), so that a caller running several trainings (an experiment) can refuse a bad one
   * before writing anything.
   */
  public static void check(TrainConfig config) {
    TrainingLoop.Plan.of(config);
  }

  /** Loads {@code rows} (or, when null, {@code {data}}), trains up to {@code {steps}} or until {@code tol}; returns θ. */
  private static double[] train(RunContext ctx, TrainConfig config, Location out, RunFingerprint resumed, StepListener listener,
                                Dataset<Row> rows, double tol) {
    Manifest manifest = Manifest.start("train", config.toMap());
    TrainingLoop.Plan plan = TrainingLoop.Plan.of(config);
    long t0 = System.nanoTime();
    InputConfig input = config.input();
    Integer knownDim = rows != null ? null : input.knownDimension(ctx.hadoopConf());
    RunFingerprint fingerprint = resumed != null ? resumed : RunFingerprint.of(config, ctx.hadoopConf(), rows == null);
    if (knownDim != null) planMemory(ctx, config, plan, knownDim);
    LoadedData data = rows != null ? input.load(rows, plan.rowsPerExample(config)) : input.load(ctx.spark(), plan.rowsPerExample(config));
    LoadedData test = null;
    try {
      if (knownDim == null) planMemory(ctx, config, plan, data.dim());
      double perStep = config.batchFraction() * Math.min(1.0, config.metricFraction()) * data.examples();
      if (config.batchFraction() < 1 && config.batchFraction() * data.examples() < 1) {
        throw PullbackException.usage("{batchFraction} " + config.batchFraction() + " of " + data.examples() + " examples selects "
            + String.format(java.util.Locale.ROOT, "%.3g", config.batchFraction() * data.examples())
            + " per step on average (less than one); raise it to at least " + Math.min(1.0, 1.0 / data.examples()));
      }
      if (config.metricFraction() < 1 && perStep < 1) {
        throw PullbackException.usage("{metricFraction} " + config.metricFraction() + " of the " + data.examples()
            + " examples selects less than one per step on average; raise it");
      }
      manifest.inputs(ctx.hadoopConf(), data.inputPaths());
      test = config.testData() == null ? null : testData(ctx, config, data.dim());
      TrainingLoop loop = new TrainingLoop(config, out, ctx.hadoopConf(), plan, data, ctx.reduceBudgetBytes(), fingerprint, listener, test);
      int first = loop.start();
      double loadSeconds = (System.nanoTime() - t0) / 1e9;
      LOG.info("Training {} (N = {}) with {} on {} examples ({} partitions), loss {}, {} steps", loop.model().kind(),
          loop.model().numParams(), config.optimizer(), data.examples(), data.partitions(), plan.loss(), config.steps());
      long trainStart = System.nanoTime();
      int last = first - 1;
      // Resumed: the stopping rule continues from the checkpoint's steps, as if never interrupted.
      double[] done = first > 1 && tol > 0 ? lossesOf(out.resolve(HISTORY), first - 2, first - 1) : new double[] {Double.NaN, Double.NaN};
      double previous = done[1];
      boolean stopped = relativeDecrease(done[0], done[1]) < tol;
      for (int t = first; !stopped && t <= config.steps(); t++) {
        Interruption.check(); // a signal between steps (a running step's Spark job is cancelled by the handler)
        double loss = loop.step(t);
        last = t;
        if (tol > 0 && relativeDecrease(previous, loss) < tol) break;
        previous = loss;
      }
      loop.finish(ctx, manifest, loadSeconds, (System.nanoTime() - trainStart) / 1e9, last);
      return loop.theta();
    } finally {
      data.release();
      if (test != null) test.release();
    }
  }

  /** {@code {testData}} loaded with the training options; its dimension must be the training data's {@code dim}. */
  private static LoadedData testData(RunContext ctx, TrainConfig config, int dim) {
    LoadedData test = config.input().withData(config.testData(), config.testLabels()).load(ctx.spark(), 1);
    if (test.dim() != dim) {
      test.release();
      throw PullbackException.data("{testData} " + config.testData() + " has " + test.dim() + " features, the training data " + dim);
    }
    return test;
  }

  /** {@code (previous − loss)/|previous|} (NaN when either is NaN: no stop). */
  private static double relativeDecrease(double previous, double loss) {
    return (previous - loss) / Math.max(Math.abs(previous), Double.MIN_NORMAL);
  }

  /** The history's losses of {@code steps} (NaN for a step it lacks). */
  private static double[] lossesOf(Location history, int... steps) {
    double[] losses = new double[steps.length];
    java.util.Arrays.fill(losses, Double.NaN);
    try {
      for (String line : history.exists() ? history.readString().split("\n") : new String[0]) {
        com.fasterxml.jackson.databind.JsonNode node = historyLine(line);
        if (node == null) continue;
        for (int i = 0; i < steps.length; i++) if (node.path("step").asInt() == steps[i]) losses[i] = node.path("loss").asDouble(Double.NaN);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + history + ": " + e.getMessage(), e);
    }
    return losses;
  }

  /** Whether {@code out} holds a checkpoint that {@code resume} would continue (a fit's {@code checkpointDir}). */
  public static boolean hasCheckpoint(org.apache.hadoop.conf.Configuration conf, String out) {
    return Location.of(out, conf, "out").resolve(CHECKPOINT).isDirectory();
  }

  /** {@code {params}} against N and, for ngd, the representation against the memory plan (before the load when D is known). */
  private static void planMemory(RunContext ctx, TrainConfig config, TrainingLoop.Plan plan, int dim) {
    InputConfig input = config.input();
    input.checkParams(dim, ctx.hadoopConf());
    if (!plan.usesMetric()) return;
    Preflight.plan(ctx, input, input.model(dim), plan.rowsPerExample(config), dim, plan.representation(config), Integer.MAX_VALUE,
        io.pullback.metric.representation.MemoryPlan.Purpose.PRODUCTS, config.representationOptions().withTileSize(BLOCKED_TILE_SIZE));
  }

  /** Tile side of {@code --representation blocked} in train (the estimate default). */
  public static final int BLOCKED_TILE_SIZE = 1024;

  /** Sum of the peak usages of the JVM's heap pools since start (an upper bound of the peak heap). */
  static long peakHeapBytes() {
    long peak = 0;
    for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == java.lang.management.MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
    }
    return peak;
  }

  /**
   * The configuration of {@code c.optimizer()}, with {@code l2} as the loss's L2 term. The settings
   * of every optimiser are checked, used or not (a bad {@code --momentum} is refused with ngd as well),
   * by building each record, in the order the flags are listed.
   */
  static OptimizerConfig optimizerConfig(TrainConfig c, Loss loss, MetricKind kind, L2Penalty l2) {
    String name = OptimizerConfig.parseName(c.optimizer());
    // Squared loss without ½ has Gauss–Newton curvature 2G for the function metric.
    // kfac's quadratic model always uses the exact curvature of the loss (function metric for mse), so mse means 2.
    double curvature = c.curvatureScale() != null ? c.curvatureScale()
        : loss == Loss.MSE && (kind == MetricKind.FUNCTION || name.equals("kfac")) ? 2.0 : 1.0;
    double lr = c.lr() != null ? c.lr()
        : name.equals("ngd") ? 1.0 / curvature // the Gauss–Newton step: η = ½ for mse, 1 for cross-entropy
        : OptimizerConfig.defaults(name).learningRate();
    GradientDescentConfig gd = new GradientDescentConfig(lr);
    NaturalGradientConfig ngd = new NaturalGradientConfig(lr, c.damping(), DampingSchedule.parse(c.dampingSchedule()),
        c.refreshEvery(), curvature, c.jitter(), l2);
    OptimizerConfig.checkWeightDecay(name, c.weightDecay());
    MomentumConfig momentum = new MomentumConfig(lr, c.momentum(), c.nesterov());
    boolean adamw = name.equals("adamw");
    AdamConfig adam = new AdamConfig(adamw, lr, c.beta1(), c.beta2(), c.eps(), adamw ? c.weightDecay() : 0.0);
    if (name.equals("kfac") && c.lr() != null) {
      throw PullbackException.usage("{learningRate}: kfac chooses its learning rate (and momentum) each step from the quadratic model;"
          + " remove {learningRate} " + c.lr());
    }
    // kfac's own settings are checked whatever the optimiser; its damping (> 0) only when it is kfac's (ngd allows 0).
    KfacConfig kfac = new KfacConfig(name.equals("kfac") ? c.damping() : 1.0, c.kfacDecay(), c.inverseEvery(), c.dampingEvery(),
        curvature);
    InducedConfig induced = new InducedConfig(name.startsWith("induced") ? InducedConfig.Variant.parse(name)
        : InducedConfig.Variant.INDUCED, lr, c.xi(), c.inducedBeta(), c.inducedMomentum(), c.betaRms(), c.inducedEpsilon(),
        c.weightDecay());
    return switch (name) {
      case "ngd" -> ngd;
      case "gd" -> gd;
      case "momentum" -> momentum;
      case "adam", "adamw" -> adam;
      case "kfac" -> kfac;
      default -> induced;
    };
  }

  /** A history line as JSON, or null when it is not a JSON object with an integer {@code step}. */
  private static com.fasterxml.jackson.databind.JsonNode historyLine(String line) {
    try {
      com.fasterxml.jackson.databind.JsonNode node = Json.mapper().readTree(line);
      return node != null && node.isObject() && node.path("step").isIntegralNumber() ? node : null;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Keeps the history lines of steps ≤ {@code lastStep} (atomically). The checkpoint is the truth: a
   * torn last line (a JVM killed while appending it) is dropped with one WARN line; an unreadable
   * line before the last is a data error (exit 3) naming the file and line.
   */
  static void truncateHistory(Location history, int lastStep) {
    if (!history.exists()) return;
    try {
      List<String> kept = new ArrayList<>();
      String[] lines = history.readString().split("\n");
      int last = lines.length - 1;
      while (last >= 0 && lines[last].isBlank()) last--;
      for (int i = 0; i <= last; i++) {
        String line = lines[i];
        if (line.isBlank()) continue;
        com.fasterxml.jackson.databind.JsonNode node = historyLine(line);
        if (node == null && i == last) {
          LOG.warn("{}: its last line (line {}) is incomplete, as after an interrupted write; dropped (the checkpoint is the truth)",
              history, i + 1);
          continue;
        }
        if (node == null) {
          throw PullbackException.data(history + " line " + (i + 1) + " is not a history record (a JSON object with a step);"
              + " the file is damaged: remove the line, or train into a new {out}");
        }
        if (node.path("step").asInt(Integer.MAX_VALUE) <= lastStep) kept.add(line);
      }
      io.pullback.io.AtomicFiles.writeString(history, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rewrite " + history + ": " + e.getMessage(), e);
    }
  }
}
