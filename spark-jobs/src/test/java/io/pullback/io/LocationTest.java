package io.pullback.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.PullbackException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Locations on the local file system (plain paths and {@code file:} URIs), the refusal of schemes
 * without a connector, and the publish rules of both kinds of store. The object-store rules run on
 * a local folder behind the {@code s3a} scheme ({@link LocalDiskAsS3a}): the code paths are chosen
 * by the scheme, and the folder's contents are checked with java.nio, independently of Hadoop.
 */
class LocationTest {
  @TempDir
  Path dir;

  /** A local folder presented as {@code s3a://test/…}, to exercise the object-store code paths without a server. */
  public static final class LocalDiskAsS3a extends RawLocalFileSystem {
    @Override
    public URI getUri() {
      return URI.create("s3a://test/");
    }

    @Override
    public String getScheme() {
      return "s3a";
    }
  }

  static Configuration s3aOnLocalDisk() {
    Configuration conf = new Configuration(false);
    conf.set("fs.s3a.impl", LocalDiskAsS3a.class.getName());
    conf.setBoolean("fs.s3a.impl.disable.cache", true);
    return conf;
  }

  static List<String> names(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void schemesArePrefixesBeforeTheFirstSlash() {
    assertThat(Location.schemeOf("hdfs://nn:9000/x")).isEqualTo("hdfs");
    assertThat(Location.schemeOf("S3A://bucket/x")).isEqualTo("s3a");
    assertThat(Location.schemeOf("file:///tmp/x")).isEqualTo("file");
    assertThat(Location.schemeOf("runs/a:b")).isNull();
    assertThat(Location.schemeOf("C:\\runs")).isNull();
    assertThat(Location.schemeOf("plain")).isNull();
    assertThat(Location.spelling("res/")).isEqualTo("res");
    assertThat(Location.spelling("hdfs:///x/")).isEqualTo("hdfs:///x/");
  }

  @Test
  void aFileUriIsItsLocalPathAndCreatesNoSchemeFolder() throws Exception {
    Path target = dir.resolve("x");
    Location l = Location.of(target.toUri().toString(), null, "out");
    assertThat(l.isLocal()).isTrue();
    assertThat(l.localPath()).isEqualTo(target);
    AtomicFiles.writeString(l.resolve("a.txt"), "hello");
    assertThat(Files.readString(target.resolve("a.txt"))).isEqualTo("hello");
    assertThat(names(target)).containsExactly("a.txt"); // no temporary file, no .crc side file
    assertThat(Path.of("file:")).doesNotExist();
    assertThat(l.resolve("a.txt").toString()).isEqualTo(target.resolve("a.txt").toString());
  }

  @Test
  void aSchemeWithoutConnectorIsAUsageErrorNamingTheJar() {
    Configuration conf = new Configuration(false);
    assertThatThrownBy(() -> Location.of("s3a://bucket/x", conf, "out")).isInstanceOf(PullbackException.class)
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(2))
        .satisfies(e -> assertThat(((PullbackException) e).template()).startsWith("{out} s3a://bucket/x"))
        .hasMessageContaining("scheme 's3a'").hasMessageContaining("hadoop-aws");
    // With Hadoop's defaults, s3a maps to S3AFileSystem, a class that is not on this class path.
    assertThatThrownBy(() -> Location.of("s3a://bucket/x", new Configuration(), "out")).isInstanceOf(PullbackException.class)
        .hasMessageContaining("scheme 's3a'").hasMessageContaining("hadoop-aws");
    assertThatThrownBy(() -> Location.of("nosuchfs://h/x", conf, "params")).isInstanceOf(PullbackException.class)
        .hasMessageContaining("scheme 'nosuchfs'");
  }

  @Test
  void appendAddsToTheFileOnTheLocalFileSystem() throws Exception {
    Location f = Location.local(dir.resolve("h.jsonl"));
    f.append("a\n".getBytes(StandardCharsets.UTF_8));
    f.append("b\n".getBytes(StandardCharsets.UTF_8));
    assertThat(Files.readString(dir.resolve("h.jsonl"))).isEqualTo("a\nb\n");
  }

  @Test
  void onAnObjectStoreFilesAreWrittenInPlaceAndTheMarkerComesLast() throws Exception {
    Path out = dir.resolve("result");
    Location target = Location.of("s3a://test" + out, s3aOnLocalDisk(), "out");
    assertThat(target.atomicRename()).isFalse();
    try (OutputDirectory o = OutputDirectory.prepare(target)) {
      assertThat(o.folder()).isEqualTo(target.absolute()); // in place: no staging sibling
      AtomicFiles.writeString(o.folder().resolve("summary.json"), "{}\n");
      Npy.writeVector(o.folder().resolve("sub/v.npy"), new double[] {1, 2});
      assertThat(Files.exists(out.resolve(Publication.MARKER))).isFalse();
      assertThat(Publication.isCommitted(target)).isFalse();
      o.publish();
    }
    assertThat(names(dir)).containsExactly("result");
    assertThat(names(out)).containsExactly(Publication.MARKER, "sub", "summary.json");
    JsonNode marker = Json.readTree(out.resolve(Publication.MARKER));
    assertThat(marker.get("format").asText()).isEqualTo("pullback-commit-1");
    assertThat(marker.get("files")).hasSize(2);
    JsonNode v = marker.get("files").get(0);
    assertThat(v.get("path").asText()).isEqualTo("sub/v.npy");
    byte[] bytes = Files.readAllBytes(out.resolve("sub/v.npy"));
    assertThat(v.get("bytes").asLong()).isEqualTo(bytes.length);
    assertThat(v.get("sha256").asText()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
    assertThat(marker.get("files").get(1).get("path").asText()).isEqualTo("summary.json");
    assertThat(Publication.isCommitted(target)).isTrue();
    Publication.requireCommitted(target, "an estimate output folder");
  }

  @Test
  void onAnObjectStoreAFailedCommandLeavesNothingAndAnUncommittedFolderIsRefused() throws Exception {
    Path out = dir.resolve("failed");
    Location target = Location.of("s3a://test" + out, s3aOnLocalDisk(), "out");
    try (OutputDirectory o = OutputDirectory.prepare(target)) {
      AtomicFiles.writeString(o.folder().resolve("metric.npy"), "partial");
      // no publish: the command failed
    }
    assertThat(out).doesNotExist();

    Files.createDirectories(out);
    Files.writeString(out.resolve("summary.json"), "{}");
    assertThatThrownBy(() -> Publication.requireCommitted(target, "an estimate output folder")).isInstanceOf(PullbackException.class)
        .hasMessageContaining(Publication.MARKER).hasMessageContaining(target.toString())
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(2));
    assertThatThrownBy(() -> OutputDirectory.prepare(target)).isInstanceOf(PullbackException.class).hasMessageContaining("not empty");
    assertThat(names(out)).containsExactly("summary.json");
  }

  @Test
  void fastFailTimeoutsReplaceOnlyHadoopDefaults() {
    Configuration conf = new Configuration(); // with core-default.xml
    conf.set("fs.s3a.attempts.maximum", "7");
    Configuration applied = StoreTimeouts.applied(conf);
    assertThat(applied.get("ipc.client.connect.max.retries.on.timeouts")).isEqualTo("1");
    assertThat(applied.get("ipc.client.connect.timeout")).isEqualTo("5000");
    assertThat(applied.get("fs.s3a.attempts.maximum")).isEqualTo("7");
    assertThat(conf.get("ipc.client.connect.timeout")).isNotEqualTo("5000"); // the caller's configuration is not changed
  }
}
