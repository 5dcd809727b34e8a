package io.pullback.it;

import static io.pullback.it.HdfsStorageIT.MLP;
import static io.pullback.it.HdfsStorageIT.SYNTHETIC;
import static io.pullback.it.HdfsStorageIT.assertSameResult;
import static io.pullback.it.HdfsStorageIT.concat;
import static io.pullback.it.HdfsStorageIT.historyWithoutSeconds;
import static io.pullback.it.HdfsStorageIT.localFiles;
import static io.pullback.it.HdfsStorageIT.remoteFiles;
import static io.pullback.it.HdfsStorageIT.shape;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullback.distributed.BlockedMetricEstimator.Tile;
import io.pullback.distributed.MetricTiles;
import io.pullback.io.Location;
import io.pullback.io.Npy;
import io.pullback.io.Publication;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands with {@code --out s3a://…} against a real S3 API: s3proxy 2.6.0 (its own fat jar in a
 * child JVM, so its Jetty and jclouds stay off Spark's class path) serving a local folder on
 * 127.0.0.1, reached by S3A (hadoop-aws 3.5.0, path-style). Results are compared bit for bit with
 * the same commands writing locally; the commit marker is checked against the objects' own bytes.
 */
class S3StorageIT extends CliHarness {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String BUCKET = "pullback";

  Process server;
  FileSystem s3;
  String root;

  @TempDir
  Path dir;

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @BeforeAll
  void startS3() throws Exception {
    Path work = Path.of("target", "s3proxy-" + getClass().getSimpleName()).toAbsolutePath();
    HdfsStorageIT.deleteLocal(work);
    Files.createDirectories(work.resolve("data").resolve(BUCKET)); // the filesystem provider: a bucket is a folder
    int port = freePort();
    Path props = work.resolve("s3proxy.conf");
    Files.writeString(props, String.join("\n",
        "s3proxy.endpoint=http://127.0.0.1:" + port,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=local-identity",
        "s3proxy.credential=local-credential",
        "jclouds.provider=filesystem",
        "jclouds.identity=local-identity",
        "jclouds.credential=local-credential",
        "jclouds.filesystem.basedir=" + work.resolve("data"), ""));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    server = new ProcessBuilder(java, "-Xmx256m", "-jar", System.getProperty("s3proxy.jar", "target/s3proxy/s3proxy.jar"),
        "--properties", props.toString())
        .redirectErrorStream(true).redirectOutput(work.resolve("s3proxy.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        break;
      } catch (IOException e) {
        if (!server.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("s3proxy did not start: " + Files.readString(work.resolve("s3proxy.log")));
        }
        Thread.sleep(200);
      }
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    conf.set("fs.s3a.endpoint", "http://127.0.0.1:" + port);
    conf.set("fs.s3a.endpoint.region", "us-east-1");
    conf.setBoolean("fs.s3a.path.style.access", true);
    conf.setBoolean("fs.s3a.connection.ssl.enabled", false);
    conf.set("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    conf.set("fs.s3a.access.key", "local-identity");
    conf.set("fs.s3a.secret.key", "local-credential");
    conf.set("fs.s3a.change.detection.mode", "none");
    // s3proxy answers 501 to the checksummed multi-object DeleteObjects the SDK sends; single deletes work everywhere.
    conf.setBoolean("fs.s3a.multiobjectdelete.enable", false);
    root = "s3a://" + BUCKET;
    s3 = FileSystem.get(URI.create(root + "/"), conf);
  }

  @AfterAll
  void stopS3() throws Exception {
    if (server != null) {
      server.destroy();
      server.waitFor(20, TimeUnit.SECONDS);
    }
  }

  SortedMap<String, byte[]> s3Files(String uri) throws IOException {
    return remoteFiles(s3, uri);
  }

  /** The files of an object-store result without its marker, after checking the marker lists exactly them, with their sizes and SHA-256. */
  static SortedMap<String, byte[]> committed(SortedMap<String, byte[]> files) throws Exception {
    assertThat(files).containsKey(Publication.MARKER);
    JsonNode marker = JSON.readTree(files.get(Publication.MARKER));
    SortedMap<String, byte[]> rest = new TreeMap<>(files);
    rest.remove(Publication.MARKER);
    SortedMap<String, String> listed = new TreeMap<>();
    for (JsonNode f : marker.get("files")) {
      byte[] bytes = rest.get(f.get("path").asText());
      assertThat(bytes).as(f.get("path").asText()).isNotNull();
      assertThat(f.get("bytes").asLong()).isEqualTo(bytes.length);
      listed.put(f.get("path").asText(), f.get("sha256").asText());
    }
    SortedMap<String, String> actual = new TreeMap<>();
    for (var e : rest.entrySet()) actual.put(e.getKey(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(e.getValue())));
    assertThat(listed).isEqualTo(actual);
    return rest;
  }

  @Test
  void denseAndBlockedEstimatesAndExportOnS3AreBitIdenticalToLocalAndCommitted() throws Exception {
    for (String[] extra : List.of(new String[0], new String[] {"--representation", "blocked", "--tile-size", "7"})) {
      String name = extra.length == 0 ? "dense" : "blocked";
      Path local = dir.resolve(name);
      Run l = pullback(concat(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", local.toString()}, MLP), extra));
      assertThat(l.exitCode()).as(l.err()).isZero();
      String remote = root + "/estimate/" + name;
      Run r = pullback(concat(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", remote}, MLP), extra));
      assertThat(r.exitCode()).as(r.err()).isZero();
      assertSameResult(committed(s3Files(remote)), localFiles(local), "summary.json");
      if (name.equals("blocked")) {
        List<Tile> a = MetricTiles.read(spark, Location.of(remote + "/metric", spark.sparkContext().hadoopConfiguration(), "out"));
        List<Tile> b = MetricTiles.read(spark, local.resolve("metric"));
        assertThat(a).hasSameSizeAs(b).isNotEmpty();
        for (int k = 0; k < a.size(); k++) assertThat(a.get(k).values()).isEqualTo(b.get(k).values());
        for (String out : List.of(local.toString(), remote)) {
          Run x = pullback("export", out, "--to", "npy");
          assertThat(x.exitCode()).as(x.err()).isZero();
        }
        SortedMap<String, byte[]> exported = committed(s3Files(remote)); // the marker now lists metric.npy too
        assertThat(exported.get("metric.npy")).isEqualTo(Files.readAllBytes(local.resolve("metric.npy")));
      }
    }
  }

  @Test
  void trainAndResumeOnS3AreBitIdenticalToAnUninterruptedLocalRun() throws Exception {
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
    SortedMap<String, byte[]> h = committed(s3Files(remote));
    SortedMap<String, byte[]> f = localFiles(local);
    assertThat(h.get("params.npy")).isEqualTo(f.get("params.npy"));
    assertThat(historyWithoutSeconds(h.get("history.jsonl"))).hasSize(4).isEqualTo(historyWithoutSeconds(f.get("history.jsonl")));
    assertThat(h.get("checkpoint/checkpoint.json")).isEqualTo(f.get("checkpoint/checkpoint.json"));
    assertThat(shape(h)).isEqualTo(shape(f));
  }

  @Test
  void aNonEmptyOutIsRefusedUnchangedAndAFailedCommandLeavesNoMarker() throws Exception {
    try (OutputStream o = s3.create(new org.apache.hadoop.fs.Path(root + "/taken/keep.txt"))) {
      o.write("k".getBytes(StandardCharsets.UTF_8));
    }
    Run r = pullback(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", root + "/taken"}, MLP));
    assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains("--out " + root + "/taken already exists and is not empty");
    assertThat(s3Files(root + "/taken").keySet()).containsExactly("keep.txt");

    Path wrong = dir.resolve("wrong.npy");
    Npy.writeVector(wrong, new double[] {1, 2});
    for (String command : List.of("estimate", "train")) {
      String out = root + "/failed-" + command;
      Run f = pullback(concat(new String[] {command, "--data", SYNTHETIC, "--params", wrong.toString(), "--out", out}, MLP));
      assertThat(f.exitCode()).as(f.err()).isEqualTo(3);
      assertThat(s3.exists(new org.apache.hadoop.fs.Path(out + "/" + Publication.MARKER))).isFalse();
      assertThat(s3.exists(new org.apache.hadoop.fs.Path(out))).as("what the failed command wrote is deleted").isFalse();
    }
    // a folder without the marker is not a result: export says so
    try (OutputStream o = s3.create(new org.apache.hadoop.fs.Path(root + "/half/summary.json"))) {
      o.write("{\"n_params\": 2, \"representation\": \"dense\"}".getBytes(StandardCharsets.UTF_8));
    }
    Run x = pullback("export", root + "/half", "--to", "npy");
    assertThat(x.exitCode()).isEqualTo(2);
    assertThat(x.err()).contains(root + "/half").contains(Publication.MARKER);
  }

  @Test
  void theLaunchersClassPathCarriesS3A() throws Exception {
    // bin/pullback runs with local-runner/target/classpath.txt, and bin/local-cluster links the same jars into spark-home/jars.
    String cp = Files.readString(Path.of("..", "local-runner", "target", "classpath.txt"));
    assertThat(cp).contains("hadoop-aws-3.5.0.jar").contains("software/amazon/awssdk/bundle/");
  }

  @Test
  void anUnreachableEndpointOrMissingBucketFailsFastNamingTheUri() throws Exception {
    for (String out : List.of("s3a://no-such-bucket-pullback/x")) {
      long t0 = System.nanoTime();
      Run r = pullback(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", out}, MLP));
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertThat(r.exitCode()).as(r.err()).isIn(2, 3);
      assertThat(r.err()).contains(out);
      assertThat(seconds).as("seconds to fail").isLessThan(60);
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String endpoint = conf.get("fs.s3a.endpoint");
    int closed = freePort();
    conf.set("fs.s3a.bucket.unreachable.endpoint", "http://127.0.0.1:" + closed); // per-bucket setting: only this bucket
    try {
      String out = "s3a://unreachable/x";
      long t0 = System.nanoTime();
      Run r = pullback(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", out}, MLP));
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
      assertThat(r.err()).contains(out);
      assertThat(seconds).as("seconds to fail").isLessThan(60);
    } finally {
      conf.unset("fs.s3a.bucket.unreachable.endpoint");
      assertThat(conf.get("fs.s3a.endpoint")).isEqualTo(endpoint);
    }
  }
}
