package io.pullback.job;

import io.pullback.PullbackException;
import io.pullback.data.SyntheticSpec;
import io.pullback.distributed.InputFiles;
import io.pullback.io.Location;
import io.pullback.loss.L2Penalty;
import io.pullback.model.Model;
import io.pullback.optim.Checkpoint;
import io.pullback.optim.CheckpointData;
import io.pullback.optim.OptimizerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Everything that determines the numbers of a training run, as text: the checkpoint records it
 * ({@link CheckpointData#settings()}) and a resume ({@code train --resume}, a resumed
 * {@code run --run-id}) must repeat it, so that one history never mixes two experiments.
 *
 * <p>It holds, keyed by the library names of the parameters ({@code learningRate}, {@code seed}, …):
 * <ul>
 *   <li>the input: {@code data} as written and, for files, their identity {@code data.files} — each
 *       file's path and size with its SHA-256 when the files total at most
 *       {@value #HASH_LIMIT_BYTES} bytes, else its modification time (a synthetic spec is its own
 *       identity) — and every input and model option ({@code format}, {@code model}, {@code hidden},
 *       {@code activation}, {@code seed}, {@code partitions}, {@code blockRows}, {@code params},
 *       {@code init}, …);</li>
 *   <li>the loss, {@code l2}, {@code batchFraction}; with ngd the metric kind (as resolved),
 *       {@code samples}, {@code metricFraction}, the representation and its options;</li>
 *   <li>the optimiser's name and every value of its configuration record as resolved (a default
 *       learning rate is its value, so writing the default out is no change).</li>
 * </ul>
 * Not in it, hence free to change on resume: {@code steps} (to extend a run), {@code checkpointEvery},
 * {@code out}, {@code resume}, the master and every Spark or driver setting.
 *
 * <p>Cost: resolving the input files (one listing) and, under the limit, reading them once to hash.
 */
public record RunFingerprint(Map<String, String> settings) {
  /** Inputs up to this many bytes in total are identified by content (SHA-256); larger ones by size and modification time. */
  public static final long HASH_LIMIT_BYTES = 64L << 20;

  /** Optimiser-record components that repeat what {@code optimizer} or {@code l2} already say. */
  private static final Set<String> IMPLIED = Set.of("decoupled", "variant", "l2");

  public RunFingerprint {
    settings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(settings));
  }

  /** The fingerprint of {@code config}, its input files resolved with {@code conf}. */
  public static RunFingerprint of(TrainConfig config, Configuration conf) {
    return of(config, conf, true);
  }

  /**
   * As {@link #of(TrainConfig, Configuration)}; without {@code withFiles} (a training on a Dataset,
   * spark.ml's {@code fit}, whose rows have no files) the data's identity is not recorded.
   */
  public static RunFingerprint of(TrainConfig config, Configuration conf, boolean withFiles) {
    TrainingLoop.Plan plan = TrainingLoop.Plan.of(config);
    Map<String, String> s = new LinkedHashMap<>();
    InputConfig input = config.input();
    s.put("data", input.data());
    if (withFiles && !input.data().startsWith(SyntheticSpec.PREFIX)) s.put("data.files", fileIdentity(conf, input));
    Map<String, Object> inputMap = input.toMap();
    put(s, "format", inputMap.get("format"));
    put(s, "labelColumns", input.labelColumns());
    put(s, "weightColumn", input.weightColumn());
    put(s, "numFeatures", input.numFeatures());
    if (input.labels() != null) put(s, "labels", input.labels());
    if (input.targetInputs()) put(s, "target", "inputs");
    put(s, "model", input.model());
    put(s, "classes", inputMap.get("classes"));
    put(s, "outputs", inputMap.get("outputs"));
    put(s, "basis", inputMap.get("basis"));
    put(s, "degree", inputMap.get("degree"));
    put(s, "hidden", inputMap.get("hidden"));
    put(s, "activation", input.activation());
    put(s, "likelihood", input.likelihood());
    put(s, "params", input.params());
    put(s, "init", input.init());
    put(s, "seed", input.seed());
    put(s, "partitions", input.partitions());
    put(s, "blockRows", input.blockRows());
    put(s, "loss", plan.loss().cliName());
    put(s, "l2", config.l2());
    put(s, "batchFraction", config.batchFraction());
    if (plan.usesMetric()) {
      put(s, "metric", plan.kind().cliName());
      put(s, "samples", config.samples());
      put(s, "metricFraction", config.metricFraction());
      put(s, "representation", config.representation().cliName());
      put(s, "rank", config.representationOptions().rank());
      put(s, "cgTol", config.representationOptions().cgTol());
      put(s, "cgMaxIter", config.representationOptions().cgMaxIter());
      put(s, "maxDualRows", config.representationOptions().maxDualRows());
    }
    put(s, "optimizer", config.optimizer());
    Model probe = input.model(1);
    OptimizerConfig opt = TrainJob.optimizerConfig(config, plan.loss(), plan.kind(), L2Penalty.onWeights(config.l2(), probe));
    for (RecordComponent c : opt.getClass().getRecordComponents()) {
      if (IMPLIED.contains(c.getName())) continue;
      try {
        put(s, c.getName(), c.getAccessor().invoke(opt));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read " + c.getName() + " of " + opt, e);
      }
    }
    return new RunFingerprint(s);
  }

  private static void put(Map<String, String> s, String key, Object value) {
    s.putIfAbsent(key, value == null ? "(not set)" : value instanceof Enum<?> e ? e.name().toLowerCase(java.util.Locale.ROOT) : value.toString());
  }

  /**
   * Refuses (exit 2) a resume whose settings differ from those recorded in the checkpoint of
   * {@code folder}, listing every differing setting as {@code {name} old → new}; a checkpoint that
   * records none (older builds) is accepted, and the method returns false so the caller can warn.
   *
   * @param what what is resumed, for the message ("train --resume of runs/x", "arm 'ngd'")
   * @param advice what the user can do instead (may name parameters as {@code {name}})
   * @return whether the checkpoint recorded settings
   */
  public boolean requireSameAs(Location checkpointDir, String what, String advice) {
    CheckpointData cp = Checkpoint.read(checkpointDir);
    if (cp.settings().isEmpty()) return false;
    List<String> diffs = differences(cp.settings());
    if (!diffs.isEmpty()) {
      throw PullbackException.usage(what + " would mix two runs: its checkpoint (" + checkpointDir.resolve(Checkpoint.FILE_NAME)
          + ", step " + cp.step() + ") was made with other settings: " + String.join("; ", diffs) + ". " + advice);
    }
    return true;
  }

  /** The settings that differ from {@code recorded}, each as {@code {name} old → new}, in recorded order then new ones. */
  public List<String> differences(Map<String, String> recorded) {
    Set<String> keys = new LinkedHashSet<>(recorded.keySet());
    keys.addAll(settings.keySet());
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      String before = recorded.getOrDefault(k, "(not recorded)");
      String now = settings.getOrDefault(k, "(not set)");
      if (!Objects.equals(before, now)) out.add(shown(k) + " " + before + " → " + now);
    }
    return out;
  }

  /** A setting as a message names it: {@code {learningRate}}, {@code data.files} as "{data} files". */
  private static String shown(String key) {
    int dot = key.indexOf('.');
    return dot < 0 ? "{" + key + "}" : "{" + key.substring(0, dot) + "} " + key.substring(dot + 1);
  }

  /** The input files as {@code path bytes sha256:…} (or {@code modified:…} past the hash limit), comma-separated. */
  private static String fileIdentity(Configuration conf, InputConfig input) {
    List<Path> files = InputFiles.resolve(conf, input.data(), input.format()).files();
    try {
      List<FileStatus> statuses = new ArrayList<>();
      long total = 0;
      for (Path p : files) {
        FileStatus st = p.getFileSystem(conf).getFileStatus(p);
        statuses.add(st);
        total += st.getLen();
      }
      List<String> parts = new ArrayList<>();
      for (FileStatus st : statuses) {
        String id = total <= HASH_LIMIT_BYTES ? "sha256:" + sha256(st.getPath().getFileSystem(conf), st.getPath())
            : "modified:" + Instant.ofEpochMilli(st.getModificationTime());
        parts.add(st.getPath() + " " + st.getLen() + " bytes " + id);
      }
      return String.join(", ", parts);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot describe the input files of " + input.data() + ": " + e.getMessage(), e);
    }
  }

  private static String sha256(FileSystem fs, Path p) throws IOException {
    try (InputStream in = fs.open(p)) {
      return io.pullback.io.Manifest.sha256(in);
    }
  }
}
