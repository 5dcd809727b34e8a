package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.io.Npy;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two launchers as separate processes: {@code bin/pullback} (local runner) and
 * {@code SparkSubmit} with the shaded jar (no Pullback classes or picocli on its class path), giving
 * the same metric bit for bit and the documented exit codes.
 */
class LaunchersIT {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final String DATA = "synthetic:gaussian?rows=500&features=3&seed=9&classes=3";

  @TempDir
  Path dir;

  record Result(int exitCode, String output) {}

  static Result run(List<String> command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("finished in time").isTrue();
    return new Result(p.exitValue(), out);
  }

  static List<String> estimateArgs(Path out) {
    return List.of("estimate", "--data", DATA, "--model", "softmax", "--classes", "3", "--metric", "fisher",
        "--partitions", "3", "--seed", "4", "--out", out.toString());
  }

  /**
   * The extra options for the short-lived JVMs these tests start (the root pom's
   * {@code test.child.jvm.flags}, passed as {@code pullback.test.child.jvm.flags}; empty outside Failsafe).
   */
  static String childJvmFlags() {
    return System.getProperty("pullback.test.child.jvm.flags", "").strip();
  }

  static Path shadedJar() throws IOException {
    try (Stream<Path> s = Files.list(ROOT.resolve("spark-jobs/target"))) {
      return s.filter(p -> p.getFileName().toString().endsWith("-submit.jar")).findFirst()
          .orElseThrow(() -> new AssertionError("no shaded jar in spark-jobs/target: run mvn package"));
    }
  }

  /**
   * spark-submit's own class path: Spark's jars only (this test's class path minus Pullback's modules — the
   * bench module's jar too, whose service file would name a command the submit jar's loader cannot link — and picocli).
   */
  static String sparkOnlyClassPath() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> !e.contains("spark-jobs") && !e.contains("local-runner") && !e.contains("picocli")
            && !e.contains(File.separator + "bench" + File.separator)
            && !e.contains(File.separator + "tests" + File.separator + "target"))
        .collect(Collectors.joining(File.pathSeparator));
  }

  /** spark-submit's own JVM: Spark's jars only ({@link #sparkOnlyClassPath}). */
  static List<String> sparkSubmit(List<String> appArgs) throws IOException {
    String cp = sparkOnlyClassPath();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Arrays.asList(System.getProperty("pullback.jvm.flags", "").split(" ")));
    cmd.removeIf(String::isBlank);
    cmd.addAll(List.of("-cp", cp, "org.apache.spark.deploy.SparkSubmit", "--master", "local[2]",
        "--conf", "spark.ui.enabled=false", "--conf", "spark.driver.host=127.0.0.1",
        "--class", "io.pullback.cli.SubmitMain", shadedJar().toString()));
    cmd.addAll(appArgs);
    return cmd;
  }

  @Test
  void binPullbackAndSparkSubmitGiveTheSameMetric() throws Exception {
    Path local = dir.resolve("local");
    List<String> cmd = new ArrayList<>(List.of("bash", "bin/pullback"));
    cmd.addAll(estimateArgs(local));
    cmd.addAll(List.of("--master", "local[2]"));
    Result a = run(cmd);
    assertThat(a.exitCode()).as(a.output()).isZero();

    Path submitted = dir.resolve("submitted");
    Result b = run(sparkSubmit(estimateArgs(submitted)));
    assertThat(b.exitCode()).as(b.output()).isZero();

    double[] g1 = Npy.readMatrix(local.resolve("metric.npy")).data();
    double[] g2 = Npy.readMatrix(submitted.resolve("metric.npy")).data();
    assertThat(g1).hasSize(12 * 12);
    assertThat(Arrays.equals(g1, g2)).as("bit-identical across launchers").isTrue();
    assertThat(Files.readString(submitted.resolve("manifest.json"))).contains("local[2]");
  }

  @Test
  void exitCodesSurviveBothLaunchers() throws Exception {
    Path out = dir.resolve("never");
    List<String> bad = new ArrayList<>(List.of("bash", "bin/pullback", "estimate", "--data", dir.resolve("missing.csv").toString(),
        "--model", "logistic", "--out", out.toString()));
    Result a = run(bad);
    assertThat(a.exitCode()).as(a.output()).isEqualTo(3);
    assertThat(a.output()).contains("missing.csv").contains("does not exist");

    Result b = run(sparkSubmit(List.of("estimate", "--data", DATA, "--model", "logistic", "--no-such-flag", "--out", out.toString())));
    assertThat(b.exitCode()).as(b.output()).isEqualTo(2);
    assertThat(b.output()).contains("--no-such-flag");
    assertThat(out).doesNotExist();
  }
}
