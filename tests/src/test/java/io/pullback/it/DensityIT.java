package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spectrum --density} end to end: the docs' example through {@code bin/pullback} exactly as
 * written (implicit), then in-process the same metric as dense and blocked (exact: the same
 * density for the same seed, smoothed CDFs equal to 1e-6) and as diag and kfac (their
 * approximations' densities, mass 1); the files and keys of {@code density.json}; and the flag
 * checks. (The estimator's accuracy against known spectra is {@code SpectralDensityTest}'s.)
 */
class DensityIT extends CliHarness {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final List<String> KEYS = List.of("grid", "density", "probes", "lanczos_steps", "method", "seed", "passes");
  static final String[] SAME = {"--data", "synthetic:gaussian?rows=120&features=3&seed=5&outputs=2", "--model", "mlp", "--hidden", "4",
      "--outputs", "2", "--probes", "2", "--lanczos-steps", "12"};

  @TempDir
  Path dir;

  /** The {@code bin/pullback spectrum --density} example of docs/representations.md, continuation lines joined. */
  static String docsExample() throws Exception {
    List<String> lines = Files.readAllLines(ROOT.resolve("docs/representations.md"));
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).startsWith("bin/pullback spectrum --density")) continue;
      StringBuilder cmd = new StringBuilder();
      int j = i;
      for (; lines.get(j).endsWith("\\"); j++) cmd.append(lines.get(j), 0, lines.get(j).length() - 1);
      return cmd.append(lines.get(j)).toString();
    }
    throw new AssertionError("no bin/pullback spectrum --density example in docs/representations.md");
  }

  /** Runs {@code command} in bash in {@code cwd}, where {@code bin/pullback} execs the repository's launcher. */
  static String shell(Path cwd, String command) throws Exception {
    Path bin = Files.createDirectories(cwd.resolve("bin"));
    Path launcher = bin.resolve("pullback");
    Files.writeString(launcher, "#!/usr/bin/env bash\nexec bash '" + ROOT.resolve("bin/pullback") + "' \"$@\"\n");
    assertThat(launcher.toFile().setExecutable(true)).isTrue();
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", command).directory(cwd.toFile()).redirectErrorStream(true);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("finished in time").isTrue();
    assertThat(p.exitValue()).as("%s:%n%s", command, out).isZero();
    return out;
  }

  static JsonNode density(Path out) throws Exception {
    JsonNode d = JSON.readTree(out.resolve("density.json").toFile());
    List<String> keys = new ArrayList<>();
    d.fieldNames().forEachRemaining(keys::add);
    assertThat(keys).containsExactlyInAnyOrderElementsOf(KEYS);
    assertThat(out.resolve("density.png")).isNotEmptyFile();
    assertThat(out.resolve("manifest.json")).exists();
    assertThat(d.get("method").asText()).isEqualTo("slq");
    assertThat(d.get("grid").size()).isEqualTo(1000).isEqualTo(d.get("density").size());
    assertThat(moment(d, 0)).as("mass").isCloseTo(1.0, offset(1e-3));
    return d;
  }

  /** Trapezoid rule of {@code ∫λ^k ρ} on the file's grid. */
  static double moment(JsonNode d, int k) {
    double s = 0;
    for (int i = 1; i < d.get("grid").size(); i++) {
      double x0 = d.get("grid").get(i - 1).asDouble();
      double x1 = d.get("grid").get(i).asDouble();
      s += 0.5 * (Math.pow(x0, k) * d.get("density").get(i - 1).asDouble() + Math.pow(x1, k) * d.get("density").get(i).asDouble()) * (x1 - x0);
    }
    return s;
  }

  /** The smoothed CDF {@code F(x) = ∫_{−∞}^x ρ} at {@code x}, by the trapezoid rule and linear interpolation. */
  static double cdf(JsonNode d, double x) {
    double s = 0;
    for (int i = 1; i < d.get("grid").size(); i++) {
      double x0 = d.get("grid").get(i - 1).asDouble();
      double x1 = d.get("grid").get(i).asDouble();
      double y0 = d.get("density").get(i - 1).asDouble();
      double y1 = d.get("density").get(i).asDouble();
      if (x <= x0) break;
      double t = Math.min(x, x1);
      double yt = y0 + (y1 - y0) * (t - x0) / (x1 - x0);
      s += 0.5 * (y0 + yt) * (t - x0);
    }
    return s;
  }

  Path inProcess(String name, String... extra) {
    Path out = dir.resolve(name);
    Run run = pullback(EstimateCliIT.concat(EstimateCliIT.concat(new String[] {"spectrum", "--density", "--out", out.toString()}, SAME), extra));
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("spectral density: 2 probes x 12 Lanczos steps");
    return out;
  }

  @Test
  void docsExampleAndExactRepresentationsGiveTheSameDensity() throws Exception {
    String example = docsExample();
    shell(dir, example);
    JsonNode implicit = density(dir.resolve("out/density"));
    assertThat(implicit.get("probes").asInt()).isEqualTo(2);
    assertThat(implicit.get("lanczos_steps").asInt()).isEqualTo(12);
    assertThat(implicit.get("seed").asLong()).isZero();
    // The P probes advance together: one block product G·V (one data pass for implicit) per Lanczos step.
    assertThat(implicit.get("passes").asLong()).as("S block products (N = 26 > S: no early stop)").isEqualTo(12L);

    for (String rep : List.of("dense", "blocked")) {
      JsonNode other = density(inProcess(rep, "--representation", rep));
      assertThat(other.get("passes").asLong()).isEqualTo(implicit.get("passes").asLong());
      for (int i = 0; i < 1000; i += 7) {
        double x = implicit.get("grid").get(i).asDouble();
        assertThat(cdf(other, x)).as("%s CDF at %s", rep, x).isCloseTo(cdf(implicit, x), offset(1e-6));
      }
    }
    JsonNode again = density(inProcess("dense-again", "--representation", "dense"));
    assertThat(again.get("density")).as("bit-identical rerun").isEqualTo(density(dir.resolve("dense")).get("density"));
    for (String rep : List.of("diag", "kfac", "ekfac")) density(inProcess(rep, "--representation", rep));
  }

  @Test
  void densityFlagsAreChecked() {
    Run without = pullback(EstimateCliIT.concat(new String[] {"spectrum", "--out", dir.resolve("a").toString()}, SAME));
    assertThat(without.exitCode()).isEqualTo(2);
    assertThat(without.err()).contains("--probes").contains("--density");
    Run zero = pullback(EstimateCliIT.concat(EstimateCliIT.concat(new String[] {"spectrum", "--density", "--out", dir.resolve("b").toString()}, SAME),
        new String[] {"--grid", "1"}));
    assertThat(zero.exitCode()).isEqualTo(2);
    assertThat(zero.err()).contains("--grid").contains(">= 2");
    assertThat(dir.resolve("b")).doesNotExist();
  }
}
