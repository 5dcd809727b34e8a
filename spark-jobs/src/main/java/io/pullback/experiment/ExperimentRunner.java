package io.pullback.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ludovic.netlib.lapack.LAPACK;
import io.pullback.PullbackException;
import io.pullback.cli.EstimateCommand;
import io.pullback.cli.TrainCommand;
import io.pullback.data.ExampleBlock;
import io.pullback.distributed.LoadedData;
import io.pullback.experiment.Experiment.Arm;
import io.pullback.io.AtomicFiles;
import io.pullback.io.Json;
import io.pullback.io.Manifest;
import io.pullback.io.Npy;
import io.pullback.io.Location;
import io.pullback.io.OutputDirectory;
import io.pullback.io.Publication;
import io.pullback.io.RunLock;
import io.pullback.job.EstimateConfig;
import io.pullback.job.EstimateJob;
import io.pullback.job.InputConfig;
import io.pullback.job.RunContext;
import io.pullback.job.StepListener;
import io.pullback.job.TrainConfig;
import io.pullback.job.TrainJob;
import io.pullback.linalg.Blas;
import io.pullback.model.Model;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an {@link Experiment}: every arm as a {@code train} run in {@code OUT/arms/NAME/}, the optional
 * reference and spectrum, then {@code results.json}, PNG plots, {@code report.md},
 * {@code report.html} and one {@code manifest.json}.
 *
 * <p>With {@code --run-id ID} a run is idempotent: {@code OUT/run.json} records its state; re-running a
 * finished run does nothing and says so; re-running an interrupted one skips finished arms and resumes
 * unfinished ones from their checkpoints (arms checkpoint every {@code max(1, steps/10)} steps unless
 * they set {@code checkpoint-every}).
 *
 * <p>Every path is a fixed name or a validated name (experiment, arm, run id: letters, digits,
 * {@code . _ -}, joined with {@link OutputDirectory#resolveInside}) inside the run folder; a run
 * folder being resumed is first refused if it holds a symbolic link pointing outside it.
 */
public final class ExperimentRunner {
  private static final Logger LOG = LoggerFactory.getLogger(ExperimentRunner.class);

  /** What to run. {@code out} null: {@code runs/NAME} (plus {@code /ID} with a run id). */
  public record Options(String experimentFile, List<String> overrides, String out, String runId) {}

  /** Progress of the arms, for displays. */
  public interface Progress {
    void armStarted(int index, int arms, String arm, int steps);

    void step(String arm, int step, int steps, double loss, double seconds);

    void armDone(String arm);
  }

  private ExperimentRunner() {}

  /** Runs the experiment; returns the output folder. */
  public static Location run(SparkSession spark, Options options, Progress progress) {
    org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
    Location experimentFile = Location.of(Location.spelling(options.experimentFile()), conf, "experiment");
    Experiment exp = Experiment.read(experimentFile, options.overrides());
    if (options.runId() != null && !Experiment.SAFE_NAME.matcher(options.runId()).matches()) {
      throw PullbackException.usage("--run-id must be a simple name (letters, digits, . _ -, starting with a letter or digit; it names"
          + " the folder runs/NAME/ID), got '" + options.runId() + "'");
    }
    Location out = (options.out() != null ? Location.of(Location.spelling(options.out()), conf, "out")
        : Location.local(defaultOut(exp.name(), options.runId()))).absolute();
    Location runFile = out.resolve("run.json");
    if (options.runId() != null && out.exists()) {
      OutputDirectory.requireNoLinkOutside(out); // before reading or writing anything in a run folder being resumed
    }
    if (options.runId() != null && runFile.exists()) {
      JsonNode state = Json.readTree(runFile);
      if (!options.runId().equals(state.path("run_id").asText())) {
        throw PullbackException.usage("--out " + out + " holds run '" + state.path("run_id").asText() + "', not '" + options.runId() + "'");
      }
      requireSameArms(conf, exp, out, experimentFile, options.runId());
      if ("finished".equals(state.path("status").asText())) {
        LOG.info("Run {} of {} already finished in {}: nothing to do", options.runId(), exp.name(), out);
        return out;
      }
      LOG.info("Run {} of {} was interrupted: resuming in {}", options.runId(), exp.name(), out);
    } else {
      OutputDirectory.requireAbsentOrEmpty(out, "choose a new --out, remove it, or pass --run-id of the run it holds");
    }
    boolean resuming = options.runId() != null && runFile.exists();
    checkConfigurations(exp, out, experimentFile);
    boolean existed = out.exists();
    // One writer per run folder (a second run of the same --run-id is refused naming the holder).
    RunLock lock = RunLock.acquire(out, "run " + experimentFile + (options.runId() == null ? "" : " --run-id " + options.runId()),
        RunContext.of(spark).attempt());
    try {
      return runIn(spark, options, experimentFile, progress, exp, out);
    } catch (Throwable e) { // also the checked SparkException of a job cancelled by a signal
      // All or nothing, like estimate: a failed run leaves --out as it was, unless it is a --run-id run that has
      // progress to resume (a finished or checkpointed arm).
      if (options.runId() != null && io.pullback.job.Interruption.requested() != null && hasProgress(out)) {
        io.pullback.job.Interruption.keep(lastCheckpointStep(out), "--run-id " + options.runId());
      } else if (!resuming && !(options.runId() != null && hasProgress(out))) {
        LOG.info("Run failed: removing what it wrote in {}", out);
        if (existed) {
          clear(out);
        } else {
          out.deleteRecursively();
        }
      }
      throw e;
    } finally {
      lock.close();
    }
  }

  /**
   * Every configuration the run will use (each arm's train options, the reference, the spectrum),
   * parsed and checked before anything is written: a bad option fails with nothing left behind.
   */
  static void checkConfigurations(Experiment exp, Location out, Location file) {
    for (Arm arm : exp.arms()) {
      Map<String, Object> opts = exp.optionsOf(arm);
      TrainConfig config = TrainCommand.configFrom(opts, out.toString(), "arm '" + arm.name() + "' of " + file);
      if (!MllibArm.isMllib(opts)) TrainJob.check(config);
    }
    if (exp.reference().equals("least-squares")) {
      TrainJob.check(TrainCommand.configFrom(referenceOptions(exp), out.toString(), "the least-squares reference of " + exp.name()));
    }
    if (exp.analyses().contains("spectrum")) {
      for (Arm arm : exp.arms()) EstimateCommand.configFrom(spectrumOptions(exp, arm), out.toString(), "the spectrum of arm '" + arm.name() + "' of " + exp.name());
    }
  }

  /**
   * Refuses to continue run {@code runId} in {@code out} when an arm that checkpointed was run with
   * other settings than the experiment and {@code --set} options give now (see
   * {@link io.pullback.job.RunFingerprint}): every arm is checked, before anything is read or written
   * beyond the checkpoints. Only {@code steps}, {@code checkpoint-every} and Spark settings may change.
   */
  static void requireSameArms(org.apache.hadoop.conf.Configuration conf, Experiment exp, Location out, Location file, String runId) {
    for (Arm arm : exp.arms()) {
      Map<String, Object> opts = exp.optionsOf(arm);
      if (MllibArm.isMllib(opts)) continue;
      Location armDir = OutputDirectory.resolveInside(out.resolve("arms"), arm.name(), "arm name");
      if (!armDir.resolve("checkpoint").resolve(io.pullback.optim.Checkpoint.FILE_NAME).exists()) continue;
      TrainConfig config = TrainCommand.configFrom(opts, armDir.toString(), "arm '" + arm.name() + "' of " + file);
      TrainJob.requireSameRun(io.pullback.job.RunFingerprint.of(config, conf), armDir.resolve("checkpoint"),
          "run --run-id " + runId + ": arm '" + arm.name() + "' of " + file,
          "Run it with the original experiment file and --set options (only steps and checkpoint-every may change), or choose a new --run-id");
    }
  }

  /** Whether a --run-id run has something to resume: an arm that finished or wrote a checkpoint. */
  private static boolean hasProgress(Location out) {
    try {
      Location arms = out.resolve("arms");
      if (!arms.isDirectory()) return false;
      return arms.list().stream().anyMatch(a -> a.resolve("summary.json").exists() || a.resolve("checkpoint").isDirectory());
    } catch (UncheckedIOException e) {
      return true; // when in doubt, keep
    }
  }

  /** The step of the checkpoint of an unfinished arm in {@code out} (the one interrupted; 0 when none: only finished arms). */
  private static long lastCheckpointStep(Location out) {
    long step = 0;
    try {
      for (Location arm : out.resolve("arms").list()) {
        Location cp = arm.resolve("checkpoint");
        if (cp.isDirectory() && !arm.resolve("summary.json").exists()) step = Math.max(step, io.pullback.optim.Checkpoint.read(cp).step());
      }
    } catch (RuntimeException e) {
      LOG.warn("cannot read the checkpoints of {}: {}", out, e.getMessage());
    }
    return step;
  }

  /** Deletes what is inside a folder, keeping the folder. */
  private static void clear(Location folder) {
    folder.list().forEach(Location::deleteRecursively);
  }

  private static Location runIn(SparkSession spark, Options options, Location experimentFile, Progress progress, Experiment exp, Location out) {
    Location runFile = out.resolve("run.json");
    if (!out.atomicRename()) out.resolve(Publication.MARKER).deleteRecursively(); // resumed: not a result until it finishes again
    Manifest manifest = Manifest.start("run", Map.of("experiment", experimentFile.toString(), "overrides",
        options.overrides() == null ? List.of() : options.overrides(), "run_id", String.valueOf(options.runId()), "out", out.toString()));
    try {
      out.resolve("arms").mkdirs();
    } catch (UncheckedIOException e) {
      throw PullbackException.usage("--out " + out + ": " + e.getCause().getMessage());
    }
    writeState(runFile, options.runId(), exp, "running");
    AtomicFiles.writeString(out.resolve("experiment.yaml"), readText(experimentFile));

    Double lStar = exp.reference().equals("least-squares") ? reference(spark, exp, out) : null;
    List<Spectrum> spectra = exp.analyses().contains("spectrum") ? spectra(spark, exp, out) : List.of();
    Map<String, Object> ntk = exp.analyses().contains("ntk-duality") ? NtkDuality.run(spark, exp, out) : null;

    List<Map<String, Object>> results = new ArrayList<>();
    for (int i = 0; i < exp.arms().size(); i++) {
      Arm arm = exp.arms().get(i);
      Location armDir = OutputDirectory.resolveInside(out.resolve("arms"), arm.name(), "arm name");
      Map<String, Object> opts = exp.optionsOf(arm);
      String context = "arm '" + arm.name() + "' of " + experimentFile;
      if (!armDir.resolve("summary.json").exists()) {
        if (MllibArm.isMllib(opts)) {
          armDir.deleteRecursively();
          TrainConfig config = TrainCommand.configFrom(opts, armDir.toString(), context);
          progress.armStarted(i + 1, exp.arms().size(), arm.name(), config.steps());
          MllibArm.run(spark, config, armDir);
          progress.armDone(arm.name());
          results.add(Results.arm(arm, opts, armDir, lStar));
          continue;
        }
        int steps = TrainCommand.configFrom(opts, armDir.toString(), context).steps();
        opts.putIfAbsent("checkpoint-every", Math.max(1, steps / 10));
        if (armDir.resolve("checkpoint").isDirectory()) {
          opts.put("resume", true);
        } else {
          armDir.deleteRecursively();
        }
        TrainConfig config = TrainCommand.configFrom(opts, armDir.toString(), context);
        progress.armStarted(i + 1, exp.arms().size(), arm.name(), config.steps());
        StepListener listener = (step, total, loss, seconds) -> progress.step(arm.name(), step, total, loss, seconds);
        TrainJob.run(RunContext.of(spark), config, listener);
        progress.armDone(arm.name());
      } else {
        LOG.info("Arm {} already finished: kept", arm.name());
      }
      results.add(Results.arm(arm, opts, armDir, lStar));
    }
    Map<String, Object> comparisons = new LinkedHashMap<>();
    for (List<String> pair : exp.samePredictions()) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("max_prediction_gap", predictionGap(spark, exp, out, pair));
      c.put("max_loss_gap_over_steps", lossGap(results, pair));
      comparisons.put(pair.get(0) + " vs " + pair.get(1), c);
    }
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("experiment", exp.name());
    all.put("description", exp.description());
    all.put("run_id", options.runId());
    all.put("optimal_loss", lStar);
    all.put("arms", results);
    all.put("prediction_gaps", comparisons);
    if (!spectra.isEmpty()) all.put("spectrum", Arrays.stream(spectra.get(0).eigenvalues()).boxed().toList());
    if (spectra.size() > 1) all.put("spectra", spectra.stream().map(Spectrum::toMap).toList());
    if (ntk != null) all.put("ntk_duality", ntk);
    if (!exp.groups().isEmpty()) all.put("groups", TimeToTarget.groups(exp, results));
    Map<String, Object> ttt = TimeToTarget.of(exp, results, TimeToTarget.groups(exp, results));
    if (ttt != null) all.put("time_to_target", ttt);
    Json.writeJson(out.resolve("results.json"), all);
    Report.write(out, all);
    RunContext ctx = RunContext.of(spark);
    manifest.inputs(ctx.hadoopConf(), List.of(experimentFile.absolute().toString()));
    manifest.finish(ctx.sparkInfo(), ctx.numericLibraries()).write(out);
    writeState(runFile, options.runId(), exp, "finished");
    if (!out.atomicRename()) commit(out);
    LOG.info("Report: {}", out.resolve("report.md"));
    return out;
  }

  /** {@code runs/NAME}, or {@code runs/NAME/ID} with a run id; names that would leave {@code runs/} are refused. */
  static Path defaultOut(String name, String runId) {
    Path experiment = OutputDirectory.resolveInside(Path.of("runs"), name, "experiment name");
    return runId == null ? experiment : OutputDirectory.resolveInside(experiment, runId, "--run-id");
  }

  private static void writeState(Location file, String runId, Experiment exp, String status) {
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("run_id", runId);
    state.put("experiment", exp.name());
    state.put("status", status);
    state.put("updated", Instant.now().toString());
    Json.writeJson(file, state);
  }

  /** L* for models linear in θ with squared loss: one exact Gauss–Newton step (ngd, η = ½, λ = 0) from the shared start. */
  private static double reference(SparkSession spark, Experiment exp, Location out) {
    Location dir = out.resolve("reference");
    if (!dir.resolve("summary.json").exists()) {
      dir.deleteRecursively();
      TrainJob.run(RunContext.of(spark), TrainCommand.configFrom(referenceOptions(exp), dir.toString(), "the least-squares reference of " + exp.name()));
    }
    return Json.readTree(dir.resolve("summary.json")).path("final_loss").asDouble();
  }

  /** The reference's train options: the shared ones, as one exact Gauss–Newton step. */
  private static Map<String, Object> referenceOptions(Experiment exp) {
    Map<String, Object> opts = new LinkedHashMap<>(exp.train());
    opts.put("optimizer", "ngd");
    opts.put("lr", 0.5);
    opts.put("damping", 0);
    opts.put("damping-schedule", "fixed");
    opts.put("metric", "function");
    opts.put("steps", 1);
    opts.remove("checkpoint-every");
    opts.remove("batch-fraction");
    return opts;
  }

  /** Options of an arm that change how the metric is stored or solved, not the metric itself. */
  private static final java.util.Set<String> STORAGE_OPTIONS =
      java.util.Set.of("representation", "dense-limit", "tile-size", "rank", "cg-tol", "cg-max-iter", "max-dual-rows");

  /**
   * The estimate options of the metric an arm descends on at its start: the shared train options and
   * the arm's own that estimate has (its basis, model, seed, metric kind, …), not how it is stored.
   * With no arm ({@code null}): the shared ones.
   */
  static Map<String, Object> spectrumOptions(Experiment exp, Arm arm) {
    Map<String, Object> opts = new LinkedHashMap<>();
    java.util.function.BiConsumer<String, Object> take = (k, v) -> {
      if (EstimateCommand.hasOption(k) && !STORAGE_OPTIONS.contains(k)) opts.put(k, v);
    };
    exp.train().forEach(take);
    if (arm != null) arm.options().forEach(take);
    opts.putIfAbsent("metric", "function");
    return opts;
  }

  /**
   * One metric spectrum at the start: the arms that share it, a label naming what tells it apart from
   * the others ({@code basis=monomial}; {@code G} when there is one) and its eigenvalues, largest first.
   */
  record Spectrum(String label, List<String> arms, double[] eigenvalues) {
    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("label", label);
      m.put("arms", arms);
      m.put("eigenvalues", Arrays.stream(eigenvalues).boxed().toList());
      double min = eigenvalues[eigenvalues.length - 1];
      m.put("condition_number", min > 0 ? eigenvalues[0] / min : null);
      return m;
    }
  }

  /**
   * The metric spectrum of each distinct metric the arms descend on (seed-basis: the monomial and the
   * Legendre basis) at the shared start: one estimate per distinct set of {@link #spectrumOptions}, in
   * {@code OUT/spectrum/} when all arms share one, else {@code OUT/spectrum-FIRSTARM/}.
   */
  private static List<Spectrum> spectra(SparkSession spark, Experiment exp, Location out) {
    Map<Map<String, Object>, List<String>> groups = new LinkedHashMap<>();
    for (Arm arm : exp.arms()) {
      if (MllibArm.isMllib(exp.optionsOf(arm))) continue;
      groups.computeIfAbsent(spectrumOptions(exp, arm), k -> new ArrayList<>()).add(arm.name());
    }
    if (groups.isEmpty()) groups.put(spectrumOptions(exp, null), List.of());
    List<Spectrum> spectra = new ArrayList<>();
    for (Map.Entry<Map<String, Object>, List<String>> g : groups.entrySet()) {
      boolean one = groups.size() == 1;
      Location dir = one ? out.resolve("spectrum") : OutputDirectory.resolveInside(out, "spectrum-" + g.getValue().get(0), "arm name");
      String label = one ? "G" : differingOptions(g.getKey(), groups.keySet());
      spectra.add(new Spectrum(label, g.getValue(), spectrum(spark, exp, g.getKey(), dir)));
    }
    return spectra;
  }

  /** {@code key=value} for each option whose value is not the same in all groups, e.g. {@code basis=monomial}. */
  static String differingOptions(Map<String, Object> options, java.util.Collection<Map<String, Object>> all) {
    java.util.Set<String> keys = new java.util.TreeSet<>();
    for (Map<String, Object> o : all) keys.addAll(o.keySet());
    List<String> parts = new ArrayList<>();
    for (String k : keys) {
      Object v = options.get(k);
      if (all.stream().anyMatch(o -> !java.util.Objects.equals(o.get(k), v))) parts.add(k + "=" + (v == null ? "(default)" : v));
    }
    return parts.isEmpty() ? "G" : String.join(", ", parts);
  }

  /** Eigenvalues (descending) of the metric the options describe, estimated (once) in {@code dir}. */
  private static double[] spectrum(SparkSession spark, Experiment exp, Map<String, Object> options, Location dir) {
    if (!Publication.isCommitted(dir) || !dir.resolve("metric.npy").exists()) {
      dir.deleteRecursively();
      EstimateConfig config = EstimateCommand.configFrom(new LinkedHashMap<>(options), dir.toString(), "the spectrum of " + exp.name());
      EstimateJob.run(RunContext.of(spark), config);
    }
    Npy.Array g = Npy.readMatrix(dir.resolve("metric.npy"));
    return eigenvaluesDescending(g.data(), g.rows());
  }

  /** Eigenvalues of a symmetric matrix (LAPACK dsyev), largest first. */
  static double[] eigenvaluesDescending(double[] symmetric, int n) {
    double[] a = symmetric.clone();
    double[] w = new double[n];
    double[] query = new double[1];
    org.netlib.util.intW info = new org.netlib.util.intW(0);
    LAPACK lapack = Blas.lapack();
    lapack.dsyev("N", "U", n, a, n, w, query, -1, info);
    double[] work = new double[Math.max(1, (int) query[0])];
    lapack.dsyev("N", "U", n, a, n, w, work, work.length, info);
    if (info.val != 0) throw new IllegalStateException("dsyev failed with info = " + info.val);
    double[] desc = new double[n];
    for (int i = 0; i < n; i++) desc[i] = w[n - 1 - i];
    return desc;
  }

  /** max over the data of |f_A(x) − f_B(x)| at the two arms' final parameters. */
  private static double predictionGap(SparkSession spark, Experiment exp, Location out, List<String> pair) {
    Arm a = exp.arms().stream().filter(x -> x.name().equals(pair.get(0))).findFirst().orElseThrow();
    Arm b = exp.arms().stream().filter(x -> x.name().equals(pair.get(1))).findFirst().orElseThrow();
    InputConfig ia = TrainCommand.configFrom(exp.optionsOf(a), out.toString(), "arm " + a.name()).input();
    InputConfig ib = TrainCommand.configFrom(exp.optionsOf(b), out.toString(), "arm " + b.name()).input();
    LoadedData data = ia.load(spark, 1);
    try {
      Model ma = ia.model(data.dim());
      Model mb = ib.model(data.dim());
      double[] ta = Npy.readVector(OutputDirectory.resolveInside(out.resolve("arms"), a.name(), "arm name").resolve("params.npy"));
      double[] tb = Npy.readVector(OutputDirectory.resolveInside(out.resolve("arms"), b.name(), "arm name").resolve("params.npy"));
      List<Double> gaps = data.blocks().mapPartitions((Iterator<ExampleBlock> it) -> {
        double max = 0;
        while (it.hasNext()) {
          ExampleBlock block = it.next();
          double[] fa = new double[block.rows() * ma.outputDim()];
          double[] fb = new double[block.rows() * mb.outputDim()];
          ma.forward(ta, block, fa);
          mb.forward(tb, block, fb);
          for (int i = 0; i < fa.length; i++) max = Math.max(max, Math.abs(fa[i] - fb[i]));
        }
        return List.of(max).iterator();
      }).collect();
      return gaps.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    } finally {
      data.release();
    }
  }

  /** max over steps of |L_A(t) − L_B(t)|: equal losses at every step, a necessary sign of equal predictions. */
  @SuppressWarnings("unchecked")
  private static double lossGap(List<Map<String, Object>> results, List<String> pair) {
    List<Double> a = null;
    List<Double> b = null;
    for (Map<String, Object> r : results) {
      if (r.get("name").equals(pair.get(0))) a = (List<Double>) r.get("loss");
      if (r.get("name").equals(pair.get(1))) b = (List<Double>) r.get("loss");
    }
    double gap = 0;
    for (int t = 0; t < Math.min(a.size(), b.size()); t++) gap = Math.max(gap, Math.abs(a.get(t) - b.get(t)));
    return gap;
  }

  private static String readText(Location file) {
    try {
      return file.readString();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Writes the object-store commit marker of a finished run folder ({@link Publication}). */
  private static void commit(Location out) {
    try {
      Publication.commit(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot commit " + out + ": " + e.getMessage(), e);
    }
  }
}
