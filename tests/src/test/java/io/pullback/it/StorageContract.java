package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pullback.distributed.BlockedMetricEstimator.Tile;
import io.pullback.distributed.MetricTiles;
import io.pullback.io.Location;
import io.pullback.io.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scenarios every store runs (the contract of {@code --out}, {@code --data}, {@code --params}
 * and {@code --config} on a Hadoop file system other than the local one), each result compared bit
 * for bit with the same command writing to a local folder — the reference, an independent code
 * path. A subclass starts its store once for the class and names it: {@link #root()} (a URI with
 * no trailing slash), {@link #fs()}, and {@link #result(String)} (how a reader takes a folder of
 * that store as a result: on an object store, only through its commit marker).
 */
abstract class StorageContract extends CliHarness {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String SYNTHETIC = "synthetic:gaussian?rows=150&features=3&seed=5&outputs=2";
  static final String[] MLP = {"--model", "mlp", "--hidden", "4", "--outputs", "2", "--metric", "function", "--partitions", "3"};
  static final String[] TRAIN = {"train", "--data", "synthetic:uniform?rows=400&features=3&seed=1&noise=0.05", "--model", "mlp", "--hidden", "4",
      "--optimizer", "ngd", "--damping", "1e-3", "--lr", "0.5", "--checkpoint-every", "1", "--partitions", "2"};
  static final Path EXPERIMENTS = Path.of("..", "conf", "experiments");

  @TempDir
  Path dir;

  /** The store's root URI, e.g. {@code hdfs://127.0.0.1:PORT} or {@code s3a://bucket}. */
  abstract String root();

  /** The store, as the test reads it (independently of the commands). */
  abstract FileSystem fs();

  /** The files of a finished result under {@code uri} (relative path → bytes), checked as that store's readers check them. */
  SortedMap<String, byte[]> result(String uri) throws Exception {
    return remoteFiles(fs(), uri);
  }

  static String[] concat(String[] a, String... b) {
    String[] r = new String[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  /** Every file under a folder of any Hadoop file system (relative path → bytes). */
  static SortedMap<String, byte[]> remoteFiles(FileSystem fs, String uri) throws IOException {
    SortedMap<String, byte[]> out = new TreeMap<>();
    org.apache.hadoop.fs.Path base = fs.makeQualified(new org.apache.hadoop.fs.Path(uri));
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(base, true);
    while (it.hasNext()) {
      LocatedFileStatus st = it.next();
      String rel = st.getPath().toUri().getPath().substring(base.toUri().getPath().length() + 1);
      try (InputStream in = fs.open(st.getPath())) {
        out.put(rel, in.readAllBytes());
      }
    }
    return out;
  }

  /** Deletes a local folder and everything in it (nothing when absent). */
  static void deleteLocal(Path folder) throws IOException {
    if (!Files.exists(folder)) return;
    try (var s = Files.walk(folder)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  /** Every file under a local folder (relative path → bytes). */
  static SortedMap<String, byte[]> localFiles(Path folder) throws IOException {
    SortedMap<String, byte[]> out = new TreeMap<>();
    try (var s = Files.walk(folder)) {
      for (Path p : (Iterable<Path>) s::iterator) if (Files.isRegularFile(p)) out.put(folder.relativize(p).toString(), Files.readAllBytes(p));
    }
    return out;
  }

  /** The names of the files a reader sees (Parquet part files by their extension, no .crc). */
  static List<String> shape(SortedMap<String, byte[]> files) {
    List<String> names = new ArrayList<>();
    for (String k : files.keySet()) {
      if (k.endsWith(".crc")) continue;
      names.add(k.replaceAll("part-[^/]*\\.parquet$", "part.parquet"));
    }
    return names.stream().distinct().sorted().toList();
  }

  /** Asserts the .npy files are byte-identical and the summary's numbers equal (timings aside). */
  static void assertSameResult(SortedMap<String, byte[]> remote, SortedMap<String, byte[]> local, String summaryName) throws IOException {
    assertThat(shape(remote)).isEqualTo(shape(local));
    for (String name : local.keySet()) {
      if (name.endsWith(".npy")) assertThat(remote.get(name)).as(name).isEqualTo(local.get(name));
    }
    if (summaryName != null) assertThat(numbers(remote.get(summaryName))).isEqualTo(numbers(local.get(summaryName)));
  }

  /** A summary without wall-clock and memory fields. */
  static JsonNode numbers(byte[] json) throws IOException {
    ObjectNode n = (ObjectNode) JSON.readTree(json);
    List<String> drop = new ArrayList<>();
    n.fieldNames().forEachRemaining(f -> {
      // timings, memory and where this JVM loaded its BLAS and LAPACK from (a temp folder; the library is the same)
      if (f.endsWith("_seconds") || f.startsWith("driver_heap") || f.equals("native_libraries") || f.equals("blas") || f.equals("lapack")) drop.add(f);
    });
    n.remove(drop);
    return n;
  }

  static List<String> historyWithoutSeconds(byte[] history) throws IOException {
    List<String> lines = new ArrayList<>();
    for (String line : new String(history, StandardCharsets.UTF_8).split("\n")) {
      if (line.isBlank()) continue;
      ObjectNode n = (ObjectNode) JSON.readTree(line);
      n.remove("seconds");
      lines.add(n.toString());
    }
    return lines;
  }

  static void assertNoSchemeFolderLocally() {
    for (String scheme : List.of("hdfs:", "file:", "s3a:")) {
      assertThat(Path.of(scheme)).as("a local folder named after a scheme").doesNotExist();
      assertThat(Path.of("..", scheme)).doesNotExist();
    }
  }

  void write(String uri, byte[] bytes) throws IOException {
    try (OutputStream o = fs().create(new org.apache.hadoop.fs.Path(uri))) {
      o.write(bytes);
    }
  }

  List<String> namesUnder(String uri) throws IOException {
    List<String> names = new ArrayList<>();
    for (var st : fs().listStatus(new org.apache.hadoop.fs.Path(uri))) names.add(st.getPath().getName());
    return names;
  }

  @Test
  void denseAndBlockedEstimatesAreBitIdenticalToLocal() throws Exception {
    for (String[] extra : List.of(new String[0], new String[] {"--representation", "blocked", "--tile-size", "7"})) {
      String name = extra.length == 0 ? "dense" : "blocked";
      Path local = dir.resolve(name);
      Run l = pullback(concat(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", local.toString()}, MLP), extra));
      assertThat(l.exitCode()).as(l.err()).isZero();
      String remote = root() + "/estimate/" + name;
      Run r = pullback(concat(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", remote}, MLP), extra));
      assertThat(r.exitCode()).as(r.err()).isZero();
      assertSameResult(result(remote), localFiles(local), "summary.json");
      if (name.equals("blocked")) {
        List<Tile> a = MetricTiles.read(spark, Location.of(remote + "/metric", spark.sparkContext().hadoopConfiguration(), "out"));
        List<Tile> b = MetricTiles.read(spark, local.resolve("metric"));
        assertThat(a).hasSameSizeAs(b).isNotEmpty();
        for (int k = 0; k < a.size(); k++) assertThat(a.get(k).values()).isEqualTo(b.get(k).values());
      }
    }
    // nothing staged was left on the store beside the outputs
    assertThat(namesUnder(root() + "/estimate")).containsExactlyInAnyOrder("dense", "blocked");
    assertNoSchemeFolderLocally();
  }

  @Test
  void exportOfABlockedEstimateIsBitIdenticalToLocal() throws Exception {
    Path local = dir.resolve("blocked");
    String remote = root() + "/export/blocked";
    for (String out : List.of(local.toString(), remote)) {
      Run e = pullback(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", out, "--representation", "blocked", "--tile-size", "7"}, MLP));
      assertThat(e.exitCode()).as(e.err()).isZero();
      Run x = pullback("export", out, "--to", "npy");
      assertThat(x.exitCode()).as(x.err()).isZero();
      assertThat(x.out().strip()).isEqualTo(out.equals(remote) ? remote + "/metric.npy" : local.resolve("metric.npy").toString());
    }
    SortedMap<String, byte[]> exported = result(remote); // on an object store the marker now lists metric.npy too
    assertThat(exported.get("metric.npy")).isNotNull().isEqualTo(Files.readAllBytes(local.resolve("metric.npy")));
  }

  @Test
  void inputsParamsAndConfigOnTheStoreGiveTheLocalResult() throws Exception {
    StringBuilder csv = new StringBuilder("x0,x1,label\n");
    java.util.Random rnd = new java.util.Random(11);
    for (int i = 0; i < 80; i++) csv.append(rnd.nextGaussian()).append(',').append(rnd.nextGaussian()).append(',').append(rnd.nextInt(2)).append('\n');
    Path localCsv = dir.resolve("in.csv");
    Files.writeString(localCsv, csv);
    Path localParams = dir.resolve("theta.npy");
    Npy.writeVector(localParams, new double[] {0.3, -0.2, 0.1});
    Path localConfig = dir.resolve("estimate.yaml");
    Files.writeString(localConfig, "model: logistic\nmetric: fisher\npartitions: 2\n");
    for (Path p : List.of(localCsv, localParams, localConfig)) write(root() + "/inputs/" + p.getFileName(), Files.readAllBytes(p));
    Path local = dir.resolve("from-local");
    Run l = pullback("estimate", "--config", localConfig.toString(), "--data", localCsv.toString(), "--params", localParams.toString(),
        "--out", local.toString());
    assertThat(l.exitCode()).as(l.err()).isZero();
    String remote = root() + "/from-store";
    Run r = pullback("estimate", "--config", root() + "/inputs/estimate.yaml", "--data", root() + "/inputs/in.csv",
        "--params", root() + "/inputs/theta.npy", "--out", remote);
    assertThat(r.exitCode()).as(r.err()).isZero();
    SortedMap<String, byte[]> files = result(remote);
    assertSameResult(files, localFiles(local), null);
    JsonNode manifest = JSON.readTree(files.get("manifest.json"));
    assertThat(manifest.get("inputs").toString()).contains(root()).contains("in.csv");
  }

  @Test
  void trainAndResumeAreBitIdenticalToAnUninterruptedLocalRun() throws Exception {
    Path local = dir.resolve("train");
    Run l = pullback(concat(TRAIN, "--steps", "4", "--out", local.toString()));
    assertThat(l.exitCode()).as(l.err()).isZero();
    String remote = root() + "/train";
    Run first = pullback(concat(TRAIN, "--steps", "2", "--out", remote));
    assertThat(first.exitCode()).as(first.err()).isZero();
    Run resumed = pullback(concat(TRAIN, "--steps", "4", "--resume", "--out", remote));
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    SortedMap<String, byte[]> h = result(remote);
    SortedMap<String, byte[]> f = localFiles(local);
    assertThat(h.get("params.npy")).isEqualTo(f.get("params.npy"));
    assertThat(historyWithoutSeconds(h.get("history.jsonl"))).hasSize(4).isEqualTo(historyWithoutSeconds(f.get("history.jsonl")));
    assertThat(h.get("checkpoint/checkpoint.json")).isEqualTo(f.get("checkpoint/checkpoint.json"));
    assertThat(shape(h)).isEqualTo(shape(f));
  }

  @Test
  void spectrumIsBitIdenticalToLocal() throws Exception {
    Path local = dir.resolve("spectrum");
    Run l = pullback(concat(new String[] {"spectrum", "--data", SYNTHETIC, "--out", local.toString()}, MLP));
    assertThat(l.exitCode()).as(l.err()).isZero();
    String remote = root() + "/spectrum";
    Run r = pullback(concat(new String[] {"spectrum", "--data", SYNTHETIC, "--out", remote}, MLP));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("wrote " + remote);
    SortedMap<String, byte[]> files = result(remote);
    SortedMap<String, byte[]> reference = localFiles(local);
    assertSameResult(files, reference, null);
    assertThat(numbers(files.get("spectrum.json"))).isEqualTo(numbers(reference.get("spectrum.json")));
  }

  @Test
  void runWithRunIdIsBitIdenticalToLocalAndIdempotent() throws Exception {
    String experiment = EXPERIMENTS.resolve("seed-basis.yaml").toString();
    Path local = dir.resolve("run");
    Run l = pullback("run", experiment, "--out", local.toString(), "--set", "steps=3", "--run-id", "r1");
    assertThat(l.exitCode()).as(l.err()).isZero();
    String remote = root() + "/runs/seed";
    Run r = pullback("run", experiment, "--out", remote, "--set", "steps=3", "--run-id", "r1");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out().strip()).isEqualTo(remote + "/report.md");
    SortedMap<String, byte[]> h = result(remote);
    SortedMap<String, byte[]> f = localFiles(local);
    assertThat(shape(h)).isEqualTo(shape(f));
    for (String name : f.keySet()) {
      if (name.endsWith(".npy")) assertThat(h.get(name)).as(name).isEqualTo(f.get(name));
      if (name.endsWith("history.jsonl")) assertThat(historyWithoutSeconds(h.get(name))).as(name).isEqualTo(historyWithoutSeconds(f.get(name)));
    }
    assertThat(JSON.readTree(h.get("run.json")).get("status").asText()).isEqualTo("finished");
    Run again = pullback("run", experiment, "--out", remote, "--set", "steps=3", "--run-id", "r1");
    assertThat(again.exitCode()).as(again.err()).isZero();
    SortedMap<String, byte[]> after = result(remote);
    assertThat(after.keySet()).isEqualTo(h.keySet());
    assertThat(after.get("results.json")).isEqualTo(h.get("results.json"));
  }

  @Test
  void aNonEmptyOutIsRefusedAndLeftUnchanged() throws Exception {
    write(root() + "/taken/keep.txt", "k".getBytes(StandardCharsets.UTF_8));
    for (String command : List.of("estimate", "train", "spectrum")) {
      Run r = pullback(concat(new String[] {command, "--data", SYNTHETIC, "--out", root() + "/taken"}, MLP));
      assertThat(r.exitCode()).as(command + ": " + r.err()).isEqualTo(2);
      assertThat(r.err()).contains("--out " + root() + "/taken already exists and is not empty");
    }
    assertThat(remoteFiles(fs(), root() + "/taken").keySet()).containsExactly("keep.txt");
    assertThat(namesUnder(root() + "/")).noneMatch(n -> n.startsWith(".taken"));
  }

  @Test
  void aFailedCommandLeavesNothingOnTheStore() throws Exception {
    String wrongParams = root() + "/bad/theta.npy";
    Path tmp = dir.resolve("wrong.npy");
    Npy.writeVector(tmp, new double[] {1, 2});
    write(wrongParams, Files.readAllBytes(tmp));
    for (String command : List.of("estimate", "train")) {
      String out = root() + "/failed-" + command;
      Run r = pullback(concat(new String[] {command, "--data", SYNTHETIC, "--params", wrongParams, "--out", out}, MLP));
      assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
      assertThat(r.err()).contains(wrongParams);
      assertThat(fs().exists(new org.apache.hadoop.fs.Path(out))).as("what the failed command wrote is deleted: " + out).isFalse();
    }
    assertThat(namesUnder(root() + "/")).noneMatch(n -> n.contains("staging"));
  }
}
