package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullback.cli.AuthSecret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, item 5: the one secret-file rule ({@link AuthSecret}) decides alike for its three
 * readers, each a real process started as users start it: {@code bin/local-cluster check-secret}
 * (which starts no daemons; {@code start} reads the file the same way), {@code bin/pullback
 * estimate} and {@code SparkSubmit … SubmitMain estimate}. For each file of a set (mode 400 with
 * surrounding whitespace; modes 644 and 640; two lines; an inner carriage return; only whitespace;
 * a folder; nothing) all three accept it or all three exit 2 with the same message, the one
 * written here by hand as the rule's expected decision; a refused command writes no output, and
 * no output or manifest holds the secret. (The values read are {@code AuthSecretAndMasterCheckTest}'s;
 * that a cluster accepts them, StandaloneClusterIT's.)
 */
class AuthSecretRuleIT {
  static final Path ROOT = LaunchersIT.ROOT;
  static final String SECRET = "s3cr3t-one";

  @TempDir
  Path dir;

  record Outcome(int exitCode, String output) {
    /** The rule's message after the reader's {@code PREFIX: error: }, or null when there is none. */
    String message(String prefix) {
      for (String line : output.split("\n")) if (line.startsWith(prefix + ": error: ")) return line.substring(prefix.length() + 9);
      return null;
    }
  }

  static Outcome run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("finished in time").isTrue();
    return new Outcome(p.exitValue(), out);
  }

  Path file(String name, String content, String mode) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, content);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
    return f;
  }

  @Test
  void bin_local_clusterBin_pullbackAndSparkSubmitDecideAlikeOnEveryFile() throws Exception {
    Map<Path, String> expected = new LinkedHashMap<>(); // file → null (accepted) or the refusal's message
    Path accepted = file("accepted", " \t" + SECRET + " \r\n", "r--------");
    expected.put(accepted, null);
    Path open = file("mode-644", SECRET + "\n", "rw-r--r--");
    expected.put(open, "is accessible by group or others (mode 644); a secret file must be readable by its owner only: chmod 600 " + open);
    Path group = file("mode-640", SECRET + "\n", "rw-r-----");
    expected.put(group, "is accessible by group or others (mode 640); a secret file must be readable by its owner only: chmod 600 " + group);
    String oneLine = "holds more than one line; the shared secret must be on one line (only leading and trailing spaces, tabs and line ends are removed)";
    expected.put(file("two-lines", SECRET + "\nmore\n", "rw-------"), oneLine);
    expected.put(file("inner-cr", "s3cr3t\rone\n", "rw-------"), oneLine);
    expected.put(file("blank", " \t\r\n\n", "rw-------"), "is empty (it must hold the shared secret on one line)");
    Path folder = Files.createDirectories(dir.resolve("folder"));
    expected.put(folder, "is not a file (it must name a file holding the shared secret)");
    expected.put(dir.resolve("absent"), "is not a file (it must name a file holding the shared secret)");

    List<String> report = new ArrayList<>();
    int n = 0;
    for (Map.Entry<Path, String> e : expected.entrySet()) {
      Path f = e.getKey();
      Map<String, String> env = Map.of(AuthSecret.ENV, f.toString(), "PULLBACK_CLUSTER_DIR", dir.resolve("cluster-state").toString());
      String want = e.getValue() == null ? null : AuthSecret.ENV + "=" + f + " " + e.getValue();
      Outcome cluster = run(List.of("bash", "bin/local-cluster", "check-secret"), env);
      Path launcherOut = dir.resolve("out-launcher-" + n);
      List<String> launcher = new ArrayList<>(List.of("bash", "bin/pullback"));
      launcher.addAll(StandaloneClusterIT.smallEstimate(launcherOut));
      launcher.addAll(List.of("--master", "local[2]"));
      Outcome binPullback = run(launcher, env);
      Path submitOut = dir.resolve("out-submit-" + n++);
      Outcome submit = run(LaunchersIT.sparkSubmit(StandaloneClusterIT.smallEstimate(submitOut)), env);
      report.add(f.getFileName() + ": " + cluster.exitCode() + "/" + binPullback.exitCode() + "/" + submit.exitCode());

      for (Outcome o : List.of(cluster, binPullback, submit)) assertThat(o.output()).as(f.toString()).doesNotContain(SECRET);
      if (want == null) {
        assertThat(cluster.exitCode()).as("local-cluster on %s:%n%s", f, cluster.output()).isZero();
        assertThat(cluster.output()).contains(AuthSecret.ENV + "=" + f + " is accepted (a one-line secret of " + SECRET.length() + " characters)");
        assertThat(binPullback.exitCode()).as("bin/pullback on %s:%n%s", f, binPullback.output()).isZero();
        assertThat(submit.exitCode()).as("spark-submit on %s:%n%s", f, submit.output()).isZero();
        for (Path out : List.of(launcherOut, submitOut)) {
          String manifest = Files.readString(out.resolve("manifest.json"));
          assertThat(manifest).doesNotContain(SECRET);
          JsonNode conf = new ObjectMapper().readTree(manifest).get("spark").get("conf");
          assertThat(conf.get("spark.authenticate").asText()).as("%s ran with authentication on", out).isEqualTo("true");
          assertThat(conf.get("spark.authenticate.secret").asText()).isEqualTo(io.pullback.io.Redaction.REPLACEMENT);
        }
      } else {
        assertThat(cluster.exitCode()).as("local-cluster on %s:%n%s", f, cluster.output()).isEqualTo(2);
        assertThat(binPullback.exitCode()).as("bin/pullback on %s:%n%s", f, binPullback.output()).isEqualTo(2);
        assertThat(submit.exitCode()).as("spark-submit on %s:%n%s", f, submit.output()).isEqualTo(2);
        assertThat(cluster.message("local-cluster")).as("local-cluster's message").isEqualTo(want);
        assertThat(binPullback.message("pullback")).as("bin/pullback's message:%n%s", binPullback.output()).isEqualTo(want);
        assertThat(submit.message("pullback")).as("spark-submit's message:%n%s", submit.output()).isEqualTo(want);
        for (Outcome o : List.of(cluster, binPullback, submit)) assertThat(o.output()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(launcherOut).doesNotExist();
        assertThat(submitOut).doesNotExist();
      }
    }
    assertThat(dir.resolve("cluster-state/pids")).as("check-secret starts no daemons").doesNotExist();
    System.out.println("AuthSecretRuleIT decisions (local-cluster/bin/pullback/spark-submit): " + report);
  }
}
