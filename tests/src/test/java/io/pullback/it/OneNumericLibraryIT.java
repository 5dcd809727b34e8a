package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullback.linalg.Blas;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A quickstart-sized {@code train} (tanh MLP, natural gradient with Levenberg–Marquardt damping, so
 * every step runs the LAPACK Cholesky {@code dpotrf}/{@code dpotrs}) through {@code bin/pullback} in
 * a child JVM, on this machine as it is and beside a second OpenBLAS build posing as the system's
 * {@code liblapack.so.3}/{@code libblas.so.3} (a copy of the jar's OpenBLAS first on
 * {@code LD_LIBRARY_PATH}: to the dynamic loader the same situation as Debian's {@code libopenblas0}
 * installed). The witness is the process's own {@code /proc/self/maps}, recorded in
 * {@code summary.json} after the last solve: exactly one OpenBLAS file is mapped, and it is the one
 * the log names for both BLAS and LAPACK.
 */
class OneNumericLibraryIT {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Pattern LOG_LINE = Pattern.compile("BLAS: JNIBLAS \\(openblas-jar: (\\S+)\\); LAPACK: JNILAPACK \\(openblas-jar: (\\S+)\\)");

  @TempDir
  Path dir;

  record Run(int exitCode, String output, JsonNode summary) {}

  Run train(Map<String, String> env, Path out) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bash", "bin/pullback", "train",
        "--data", "synthetic:uniform?rows=4000&features=2&seed=1&noise=0.05", "--model", "mlp", "--hidden", "16",
        "--activation", "tanh", "--seed", "7", "--partitions", "2", "--optimizer", "ngd", "--damping", "1e-3",
        "--damping-schedule", "levenberg-marquardt", "--steps", "4", "--out", out.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().remove("PULLBACK_BLAS");
    pb.environment().putAll(env);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("finished in time").isTrue();
    Path summary = out.resolve("summary.json");
    return new Run(p.exitValue(), output, Files.exists(summary) ? new ObjectMapper().readTree(summary.toFile()) : null);
  }

  static void assertOneOpenBlas(Run run) throws IOException {
    assertThat(run.exitCode()).as(run.output()).isZero();
    Matcher m = LOG_LINE.matcher(run.output());
    assertThat(m.find()).as("the log names the library of BLAS and of LAPACK:\n%s", run.output()).isTrue();
    assertThat(m.group(2)).as("LAPACK's library is BLAS's").isEqualTo(m.group(1));
    String named = Path.of(m.group(1)).toRealPath().toString();
    List<String> mapped = new ArrayList<>();
    run.summary().path("native_libraries").forEach(n -> mapped.add(n.asText()));
    assertThat(mapped).as("BLAS/LAPACK/OpenBLAS files mapped by the training JVM").containsExactly(named);
    assertThat(run.summary().path("lapack").asText()).contains(m.group(1));
    assertThat(run.summary().path("final_loss").asDouble()).isFinite();
  }

  @Test
  void trainingMapsOneOpenBlasOnThisMachine() throws Exception {
    Assumptions.assumeTrue(Blas.extractOpenBlasJar() != null, "org.bytedeco:openblas is not extractable here");
    boolean systemLapack = Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/liblapack.so.3"));
    System.out.println("OneNumericLibraryIT: system liblapack.so.3 present: " + systemLapack);
    assertOneOpenBlas(train(Map.of(), dir.resolve("plain")));
  }

  @Test
  void trainingMapsOneOpenBlasBesideASecondBuildNamedLiblapack() throws Exception {
    Path lib = Blas.extractOpenBlasJar();
    Assumptions.assumeTrue(lib != null, "org.bytedeco:openblas is not extractable here");
    Path system = dir.resolve("system-lib");
    Files.createDirectories(system);
    try (Stream<Path> files = Files.list(lib.getParent())) {
      for (Path f : (Iterable<Path>) files::iterator) Files.copy(f, system.resolve(f.getFileName()));
    }
    Files.createSymbolicLink(system.resolve("liblapack.so.3"), Path.of("libopenblas.so.0"));
    Files.createSymbolicLink(system.resolve("libblas.so.3"), Path.of("libopenblas.so.0"));
    Run run = train(Map.of("LD_LIBRARY_PATH", system.toString()), dir.resolve("beside"));
    assertOneOpenBlas(run);
    assertThat(run.summary().path("native_libraries").toString()).doesNotContain(system.toString());
  }
}
