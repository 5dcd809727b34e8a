package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.io.Publication;
import java.io.IOException;
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

/**
 * The storage contract ({@link StorageContract}) against a real S3 API: s3proxy 2.6.0 (its own fat
 * jar in a child JVM, so its Jetty and jclouds stay off Spark's class path) serving a local folder
 * on 127.0.0.1, reached by S3A (hadoop-aws 3.5.0, path-style). Every result is read as an object
 * store's reader must, through its commit marker, which is checked against the objects' own bytes
 * and sizes; plus what is particular to S3 here: a folder without the marker, the launchers' class
 * path, an unreachable endpoint or a missing bucket.
 */
class S3StorageIT extends StorageContract {
  static final String BUCKET = "pullback";

  Process server;
  FileSystem s3;
  String root;

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @BeforeAll
  void startS3() throws Exception {
    Path work = Path.of("target", "s3proxy-" + getClass().getSimpleName()).toAbsolutePath();
    deleteLocal(work);
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

  @Override
  String root() {
    return root;
  }

  @Override
  FileSystem fs() {
    return s3;
  }

  /** A result on S3 is what its commit marker lists: checked against the objects, then the marker left out. */
  @Override
  SortedMap<String, byte[]> result(String uri) throws Exception {
    SortedMap<String, byte[]> files = committed(remoteFiles(s3, uri));
    // The results inside a run folder (its arms, reference and spectrum estimates) carry their own markers: each is checked
    // against its folder's objects, then left out like the top one.
    for (String key : List.copyOf(files.keySet())) {
      if (!key.endsWith("/" + Publication.MARKER)) continue;
      String prefix = key.substring(0, key.length() - Publication.MARKER.length());
      SortedMap<String, byte[]> inner = new TreeMap<>();
      files.forEach((k, v) -> {
        if (k.startsWith(prefix)) inner.put(k.substring(prefix.length()), v);
      });
      committed(inner);
    }
    files.keySet().removeIf(k -> k.endsWith("/" + Publication.MARKER));
    return files;
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
  void aFolderWithoutTheMarkerIsNotAResult() throws Exception {
    // what a command that died half-way leaves on an object store: objects, no marker; export says so
    write(root + "/half/summary.json", "{\"n_params\": 2, \"representation\": \"dense\"}".getBytes(StandardCharsets.UTF_8));
    Run x = pullback("export", root + "/half", "--to", "npy");
    assertThat(x.exitCode()).isEqualTo(2);
    assertThat(x.err()).contains(root + "/half").contains(Publication.MARKER);
    assertThat(remoteFiles(s3, root + "/half").keySet()).containsExactly("summary.json");
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
