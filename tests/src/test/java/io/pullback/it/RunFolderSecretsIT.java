package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullback.cli.LocalSessionProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, "no leaked secrets": a session configured from a {@code spark-defaults.conf} holding
 * every credential pattern of the issue (Azure account keys, S3A access/secret/encryption/per-bucket
 * keys, GCS private keys, executor and application-master environment passwords, passwords inside
 * JDBC and {@code user:pass@host} URLs), as {@code spark.hadoop.*} ({@code --conf}-style) and plain
 * Hadoop keys. After {@code train}, {@code estimate} and {@code run}, no file of their run folders
 * contains any of the secret values, the manifests still list the keys (with Spark's replacement
 * text), and {@code manifest.json} has the mode of any file this process creates (the umask's; it
 * used to be forced to 0600: with its credentials redacted it follows the umask like every output).
 */
class RunFolderSecretsIT extends CliHarness {
  static final String REDACTED = "*********(redacted)";
  static final String DATA = "synthetic:uniform?rows=60&features=2&seed=1&noise=0.05";

  @TempDir
  static Path dir;

  /** key → secret value (every value holds "S3cr3t" and a number, so one pattern finds any leak). */
  static Map<String, String> credentials() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net", "S3cr3t01azure==");
    c.put("fs.azure.account.key.other.blob.core.windows.net", "S3cr3t02azure==");
    c.put("spark.hadoop.fs.s3a.access.key", "AKIAS3cr3t03");
    c.put("spark.hadoop.fs.s3a.secret.key", "S3cr3t04s3a");
    c.put("spark.hadoop.fs.s3a.encryption.key", "S3cr3t05enc");
    c.put("spark.hadoop.fs.s3a.bucket.b1.secret.key", "S3cr3t06bucket");
    c.put("spark.hadoop.fs.gs.auth.service.account.private.key", "-----BEGIN PRIVATE KEY-----S3cr3t07gcs");
    c.put("spark.hadoop.fs.gs.auth.service.account.private.key.id", "S3cr3t08gcsid");
    c.put("spark.executorEnv.DB_PASS", "S3cr3t09dbpass");
    c.put("spark.executorEnv.API_TOKEN", "S3cr3t10token");
    return c;
  }

  /** Innocent keys whose values are URLs with a password inside. */
  static Map<String, String> urls() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("spark.pullback.test.jdbc", "jdbc:postgresql://db.example:5432/app?user=alice&password=S3cr3t11jdbc&ssl=true");
    c.put("spark.pullback.test.uri", "s3a://bob:S3cr3t12url@bucket/logs");
    return c;
  }

  @Override
  @BeforeAll
  void startSpark() throws Exception {
    Path scratch = Path.of("target", "spark-scratch");
    Files.createDirectories(scratch);
    List<String> lines = new ArrayList<>(List.of("spark.driver.host 127.0.0.1", "spark.sql.shuffle.partitions 4",
        "spark.local.dir " + scratch.toAbsolutePath(), "spark.pullback.test.plain visibleSetting"));
    credentials().forEach((k, v) -> lines.add(k + " " + v));
    urls().forEach((k, v) -> lines.add(k + " " + v));
    Path defaults = dir.resolve("spark-defaults.conf");
    Files.write(defaults, lines, StandardCharsets.UTF_8);
    spark = new LocalSessionProvider(defaults).session("local[2]");
    spark.sparkContext().setLogLevel("WARN");
    assertThat(spark.conf().get("spark.hadoop.fs.s3a.secret.key")).isEqualTo("S3cr3t04s3a"); // the session does hold them
  }

  @Test
  void noRunFolderHoldsASecretAndManifestsAreOwnerOnly() throws IOException {
    Path train = dir.resolve("train");
    assertOk(pullback("train", "--data", DATA, "--model", "linear-basis", "--optimizer", "adam", "--steps", "2",
        "--checkpoint-every", "1", "--partitions", "2", "--out", train.toString()));
    Path estimate = dir.resolve("estimate");
    assertOk(pullback("estimate", "--data", DATA, "--model", "linear-basis", "--partitions", "2", "--out", estimate.toString()));
    Path yaml = dir.resolve("secrets.yaml");
    Files.writeString(yaml, "name: secrets\ntrain:\n  data: '" + DATA + "'\n  model: linear-basis\n  steps: 2\n  partitions: 2\n"
        + "arms:\n  - name: adam\n    optimizer: adam\n    lr: 0.01\n");
    Path run = dir.resolve("run");
    assertOk(pullback("run", yaml.toString(), "--out", run.toString()));

    for (Path folder : List.of(train, estimate, run)) {
      List<Path> manifests = new ArrayList<>();
      try (Stream<Path> files = Files.walk(folder)) {
        for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
          String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
          assertThat(text).as("%s", f).doesNotContain("S3cr3t");
          if (f.getFileName().toString().equals("manifest.json")) manifests.add(f);
        }
      }
      assertThat(manifests).as("manifests in %s", folder).isNotEmpty();
      for (Path m : manifests) {
        Path probe = Files.createFile(m.resolveSibling(".umask-probe")); // java.nio: 666 minus this process's umask
        String umasked = PosixFilePermissions.toString(Files.getPosixFilePermissions(probe));
        Files.delete(probe);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(m))).as("mode of %s", m).isEqualTo(umasked);
        JsonNode conf = new ObjectMapper().readTree(m.toFile()).path("spark").path("conf");
        for (String key : credentials().keySet()) assertThat(conf.path(key).asText()).as("%s in %s", key, m).isEqualTo(REDACTED);
        assertThat(conf.path("spark.pullback.test.uri").asText()).isEqualTo("s3a://bob:" + REDACTED + "@bucket/logs");
        assertThat(conf.path("spark.pullback.test.plain").asText()).isEqualTo("visibleSetting");
      }
    }
  }

  static void assertOk(Run r) {
    assertThat(r.exitCode()).as(r.err()).isZero();
  }
}
