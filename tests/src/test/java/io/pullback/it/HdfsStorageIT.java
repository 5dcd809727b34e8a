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
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands with {@code --out hdfs://…} (and inputs on HDFS) against a real namenode and datanode
 * ({@code MiniDFSCluster}, one per class, 127.0.0.1): every result file is bit-identical to the same
 * command with a local {@code --out} — the reference is the local run, an independent code path
 * (java.nio-era local folders, unchanged by the golden test) — and the refusals and failures leave
 * HDFS unchanged.
 */
class HdfsStorageIT extends CliHarness {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String SYNTHETIC = "synthetic:gaussian?rows=150&features=3&seed=5&outputs=2";
  static final String[] MLP = {"--model", "mlp", "--hidden", "4", "--outputs", "2", "--metric", "function", "--partitions", "3"};
  static final Path EXPERIMENTS = Path.of("..", "conf", "experiments");

  MiniDFSCluster cluster;
  FileSystem hdfs;
  String root;

  @TempDir
  Path dir;

  @BeforeAll
  void startHdfs() throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, Path.of("target", "minidfs-" + getClass().getSimpleName()).toAbsolutePath().toString());
    conf.setInt("dfs.replication", 1);
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    hdfs = cluster.getFileSystem();
    root = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
    // The cluster has one datanode: files the commands create must ask for one replica, or an append
    // (history.jsonl) finds its pipeline short of the default three and fails.
    spark.sparkContext().hadoopConfiguration().setInt("dfs.replication", 1);
  }

  @AfterAll
  void stopHdfs() {
    if (cluster != null) cluster.shutdown();
  }

  static String[] concat(String[] a, String... b) {
    String[] r = new String[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  /** Every file under an HDFS folder (relative path → bytes). */
  SortedMap<String, byte[]> hdfsFiles(String uri) throws IOException {
    return remoteFiles(hdfs, uri);
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
      if (f.endsWith("_seconds") || f.startsWith("driver_heap") || f.equals("native_libraries")) drop.add(f);
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

  void assertNoSchemeFolderLocally() {
    for (String scheme : List.of("hdfs:", "file:", "s3a:")) {
      assertThat(Path.of(scheme)).as("a local folder named after a scheme").doesNotExist();
      assertThat(Path.of("..", scheme)).doesNotExist();
    }
  }

  @Test
  void denseAndBlockedEstimatesOnHdfsAreBitIdenticalToLocal() throws Exception {
    for (String[] extra : List.of(new String[0], new String[] {"--representation", "blocked", "--tile-size", "7"})) {
      String name = extra.length == 0 ? "dense" : "blocked";
      Path local = dir.resolve(name);
      Run l = pullback(concat(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", local.toString()}, MLP), extra));
      assertThat(l.exitCode()).as(l.err()).isZero();
      String remote = root + "/estimate/" + name;
      Run r = pullback(concat(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", remote}, MLP), extra));
      assertThat(r.exitCode()).as(r.err()).isZero();
      assertSameResult(hdfsFiles(remote), localFiles(local), "summary.json");
      if (name.equals("blocked")) {
        List<Tile> a = MetricTiles.read(spark, Location.of(remote + "/metric", spark.sparkContext().hadoopConfiguration(), "out"));
        List<Tile> b = MetricTiles.read(spark, local.resolve("metric"));
        assertThat(a).hasSameSizeAs(b).isNotEmpty();
        for (int k = 0; k < a.size(); k++) assertThat(a.get(k).values()).isEqualTo(b.get(k).values());
      }
    }
    // nothing staged was left on HDFS beside the outputs
    assertThat(hdfs.listStatus(new org.apache.hadoop.fs.Path(root + "/estimate"))).extracting(s -> s.getPath().getName())
        .containsExactlyInAnyOrder("dense", "blocked");
    assertNoSchemeFolderLocally();
  }

  @Test
  void inputsAndConfigOnHdfsGiveTheLocalResult() throws Exception {
    StringBuilder csv = new StringBuilder("x0,x1,label\n");
    java.util.Random rnd = new java.util.Random(11);
    for (int i = 0; i < 80; i++) csv.append(rnd.nextGaussian()).append(',').append(rnd.nextGaussian()).append(',').append(rnd.nextInt(2)).append('\n');
    Path localCsv = dir.resolve("in.csv");
    Files.writeString(localCsv, csv);
    Path localParams = dir.resolve("theta.npy");
    Npy.writeVector(localParams, new double[] {0.3, -0.2, 0.1});
    Path localConfig = dir.resolve("estimate.yaml");
    Files.writeString(localConfig, "model: logistic\nmetric: fisher\npartitions: 2\n");
    for (Path p : List.of(localCsv, localParams, localConfig)) {
      hdfs.copyFromLocalFile(new org.apache.hadoop.fs.Path(p.toUri()), new org.apache.hadoop.fs.Path(root + "/inputs/" + p.getFileName()));
    }
    Path local = dir.resolve("from-local");
    Run l = pullback("estimate", "--config", localConfig.toString(), "--data", localCsv.toString(), "--params", localParams.toString(),
        "--out", local.toString());
    assertThat(l.exitCode()).as(l.err()).isZero();
    String remote = root + "/from-hdfs";
    Run r = pullback("estimate", "--config", root + "/inputs/estimate.yaml", "--data", root + "/inputs/in.csv",
        "--params", root + "/inputs/theta.npy", "--out", remote);
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertSameResult(hdfsFiles(remote), localFiles(local), null);
    JsonNode manifest = JSON.readTree(hdfsFiles(remote).get("manifest.json"));
    assertThat(manifest.get("inputs").toString()).contains("hdfs://").contains("in.csv");
  }

  @Test
  void trainAndResumeOnHdfsAreBitIdenticalToAnUninterruptedLocalRun() throws Exception {
    String[] train = {"train", "--data", "synthetic:uniform?rows=400&features=3&seed=1&noise=0.05", "--model", "mlp", "--hidden", "4",
        "--optimizer", "ngd", "--damping", "1e-3", "--lr", "0.5", "--checkpoint-every", "1", "--partitions", "2"};
    Path local = dir.resolve("train");
    Run l = pullback(concat(train, "--steps", "4", "--out", local.toString()));
    assertThat(l.exitCode()).as(l.err()).isZero();
    String remote = root + "/train";
    Run first = pullback(concat(train, "--steps", "2", "--out", remote));
    assertThat(first.exitCode()).as(first.err()).isZero();
    Run resumed = pullback(concat(train, "--steps", "4", "--resume", "--out", remote));
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    SortedMap<String, byte[]> h = hdfsFiles(remote);
    SortedMap<String, byte[]> f = localFiles(local);
    assertThat(h.get("params.npy")).isEqualTo(f.get("params.npy"));
    assertThat(historyWithoutSeconds(h.get("history.jsonl"))).hasSize(4).isEqualTo(historyWithoutSeconds(f.get("history.jsonl")));
    assertThat(h.get("checkpoint/checkpoint.json")).isEqualTo(f.get("checkpoint/checkpoint.json"));
    assertThat(shape(h)).isEqualTo(shape(f));
  }

  @Test
  void spectrumAndExportOnHdfsAreBitIdenticalToLocal() throws Exception {
    Path local = dir.resolve("spectrum");
    Run l = pullback(concat(new String[] {"spectrum", "--data", SYNTHETIC, "--out", local.toString()}, MLP));
    assertThat(l.exitCode()).as(l.err()).isZero();
    String remote = root + "/spectrum";
    Run r = pullback(concat(new String[] {"spectrum", "--data", SYNTHETIC, "--out", remote}, MLP));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("wrote " + remote);
    assertSameResult(hdfsFiles(remote), localFiles(local), null);

    Path localBlocked = dir.resolve("blocked");
    String remoteBlocked = root + "/export/blocked";
    for (String out : List.of(localBlocked.toString(), remoteBlocked)) {
      Run e = pullback(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", out, "--representation", "blocked", "--tile-size", "7"}, MLP));
      assertThat(e.exitCode()).as(e.err()).isZero();
      Run x = pullback("export", out, "--to", "npy");
      assertThat(x.exitCode()).as(x.err()).isZero();
      assertThat(x.out().strip()).isEqualTo(out.equals(remoteBlocked) ? remoteBlocked + "/metric.npy" : localBlocked.resolve("metric.npy").toString());
    }
    assertThat(hdfsFiles(remoteBlocked).get("metric.npy")).isEqualTo(Files.readAllBytes(localBlocked.resolve("metric.npy")));
  }

  @Test
  void runWithRunIdOnHdfsIsBitIdenticalToLocalAndIdempotent() throws Exception {
    String experiment = EXPERIMENTS.resolve("seed-basis.yaml").toString();
    Path local = dir.resolve("run");
    Run l = pullback("run", experiment, "--out", local.toString(), "--set", "steps=3", "--run-id", "r1");
    assertThat(l.exitCode()).as(l.err()).isZero();
    String remote = root + "/runs/seed";
    Run r = pullback("run", experiment, "--out", remote, "--set", "steps=3", "--run-id", "r1");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out().strip()).isEqualTo(remote + "/report.md");
    SortedMap<String, byte[]> h = hdfsFiles(remote);
    SortedMap<String, byte[]> f = localFiles(local);
    assertThat(shape(h)).isEqualTo(shape(f));
    for (String name : f.keySet()) {
      if (name.endsWith(".npy")) assertThat(h.get(name)).as(name).isEqualTo(f.get(name));
      if (name.endsWith("history.jsonl")) assertThat(historyWithoutSeconds(h.get(name))).as(name).isEqualTo(historyWithoutSeconds(f.get(name)));
    }
    assertThat(JSON.readTree(h.get("run.json")).get("status").asText()).isEqualTo("finished");
    SortedMap<String, byte[]> before = hdfsFiles(remote);
    Run again = pullback("run", experiment, "--out", remote, "--set", "steps=3", "--run-id", "r1");
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(hdfsFiles(remote).keySet()).isEqualTo(before.keySet());
    assertThat(hdfsFiles(remote).get("results.json")).isEqualTo(before.get("results.json"));
  }

  @Test
  void aNonEmptyOutOnHdfsIsRefusedAndLeftUnchanged() throws Exception {
    org.apache.hadoop.fs.Path keep = new org.apache.hadoop.fs.Path(root + "/taken/keep.txt");
    try (OutputStream o = hdfs.create(keep)) {
      o.write("k".getBytes(StandardCharsets.UTF_8));
    }
    for (String command : List.of("estimate", "train", "spectrum")) {
      Run r = pullback(concat(new String[] {command, "--data", SYNTHETIC, "--out", root + "/taken"}, MLP));
      assertThat(r.exitCode()).as(command + ": " + r.err()).isEqualTo(2);
      assertThat(r.err()).contains("--out " + root + "/taken already exists and is not empty");
    }
    assertThat(hdfsFiles(root + "/taken").keySet()).containsExactly("keep.txt");
    assertThat(hdfs.listStatus(new org.apache.hadoop.fs.Path(root + "/"))).extracting(s -> s.getPath().getName())
        .noneMatch(n -> n.startsWith(".taken"));
  }

  @Test
  void aFailedCommandLeavesNothingOnHdfs() throws Exception {
    String wrongParams = root + "/bad/theta.npy";
    try (OutputStream o = hdfs.create(new org.apache.hadoop.fs.Path(wrongParams))) {
      Path tmp = dir.resolve("wrong.npy");
      Npy.writeVector(tmp, new double[] {1, 2});
      o.write(Files.readAllBytes(tmp));
    }
    for (String command : List.of("estimate", "train")) {
      String out = root + "/failed-" + command;
      Run r = pullback(concat(new String[] {command, "--data", SYNTHETIC, "--params", wrongParams, "--out", out}, MLP));
      assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
      assertThat(r.err()).contains(wrongParams);
      assertThat(hdfs.exists(new org.apache.hadoop.fs.Path(out))).as(out).isFalse();
    }
    assertThat(hdfs.listStatus(new org.apache.hadoop.fs.Path(root + "/"))).extracting(s -> s.getPath().getName())
        .noneMatch(n -> n.contains("staging"));
  }

  @Test
  void fileUrisAreTheLocalFileSystemAndUnknownSchemesAreRefused() throws Exception {
    Path target = dir.resolve("via-uri");
    Run r = pullback(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", target.toUri().toString()}, MLP));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(target.resolve("metric.npy")).isRegularFile();
    // s3a's connector is on this class path (as on bin/pullback's); Google Cloud Storage's is not.
    Run gs = pullback(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", "gs://bucket/x"}, MLP));
    assertThat(gs.exitCode()).as(gs.err()).isEqualTo(2);
    assertThat(gs.err()).contains("--out gs://bucket/x").contains("scheme 'gs'").contains("gcs-connector");
    Run odd = pullback(concat(new String[] {"train", "--data", SYNTHETIC, "--out", "nosuchfs://host/x"}, MLP));
    assertThat(odd.exitCode()).isEqualTo(2);
    assertThat(odd.err()).contains("scheme 'nosuchfs'");
    assertNoSchemeFolderLocally();
  }

  @Test
  void anUnreachableNamenodeFailsFastNamingTheUri() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    String out = "hdfs://127.0.0.1:" + port + "/x";
    for (String command : List.of("estimate", "train")) {
      long t0 = System.nanoTime();
      Run r = pullback(concat(new String[] {command, "--data", SYNTHETIC, "--out", out}, MLP));
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertThat(r.exitCode()).as(r.err()).isIn(2, 3);
      assertThat(r.err()).contains(out).doesNotContain("Exception:\n\tat");
      assertThat(seconds).as("seconds to fail").isLessThan(60);
    }
    assertNoSchemeFolderLocally();
  }
}
