package io.pullback.linalg;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * BLAS and LAPACK come from one library for every {@code -Dpullback.blas} value (issue: two OpenBLAS
 * builds in one process crash in {@code dpotrf}). Each case is a fresh child JVM (the selection is
 * made once per JVM) running {@link BlasProbeMain}; the process's own {@code /proc/self/maps} is the
 * independent witness of what was loaded, and the LAPACK Cholesky factor is checked against a naive
 * Java Cholesky (tolerance 1e-12 relative: a 12×12 well-conditioned matrix, any correct LAPACK
 * agrees to rounding).
 *
 * <p>The "system library present" condition is reproduced on any machine: a folder holding a
 * <em>copy</em> of the jar's OpenBLAS under the names {@code libblas.so.3} and
 * {@code liblapack.so.3}, put first on {@code LD_LIBRARY_PATH}, is to the dynamic loader a second
 * OpenBLAS build, exactly as Debian's {@code libopenblas0} is.
 */
class BlasSelectionTest {
  static final int N = 12;

  @TempDir
  static Path fakeSystem;

  /** A seeded symmetric positive-definite N×N matrix (AᵀA + N·I), row-major = column-major. */
  static double[] spdMatrix() {
    Random r = new Random(20261201L);
    double[] b = new double[N * N];
    for (int i = 0; i < b.length; i++) b[i] = r.nextGaussian();
    double[] a = new double[N * N];
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < N; j++) {
        double s = i == j ? N : 0;
        for (int k = 0; k < N; k++) s += b[k * N + i] * b[k * N + j];
        a[i * N + j] = s;
      }
    }
    return a;
  }

  /** Upper Cholesky factor U (AᵀA = UᵀU) by the textbook loop, column-major upper triangle. */
  static double[] naiveUpperCholesky(double[] a) {
    double[] u = new double[N * N];
    for (int j = 0; j < N; j++) {
      for (int i = 0; i <= j; i++) {
        double s = a[j * N + i];
        for (int k = 0; k < i; k++) s -= u[j * N + k] * u[i * N + k];
        u[j * N + i] = i == j ? Math.sqrt(s) : s / u[i * N + i];
      }
    }
    return u;
  }

  static JsonNode probe(Map<String, String> env, String... props) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--add-modules=jdk.incubator.vector");
    cmd.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
    cmd.addAll(Arrays.asList(props));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BlasProbeMain.class.getName()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("PULLBACK_BLAS");
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    String line = out.lines().filter(l -> l.startsWith("PROBE ")).findFirst().orElseThrow(() -> new AssertionError(out));
    return new ObjectMapper().readTree(line.substring(6));
  }

  /** The invariants every selection must keep, whatever it chose. */
  static void assertOneLibrary(JsonNode r) throws IOException {
    assertThat(r.path("info").asInt()).isZero();
    double[] expected = naiveUpperCholesky(spdMatrix());
    for (int j = 0; j < N; j++) {
      for (int i = 0; i <= j; i++) {
        assertThat(r.path("factor").get(j * N + i).asDouble()).as("U[%d,%d]", i, j)
            .isCloseTo(expected[j * N + i], org.assertj.core.data.Offset.offset(1e-12 * Math.abs(expected[0])));
      }
    }
    assertThat(r.path("blas_native").asBoolean()).as("BLAS native iff LAPACK native: %s", r)
        .isEqualTo(r.path("lapack_native").asBoolean());
    List<String> openblas = new ArrayList<>();
    r.path("mapped").forEach(m -> {
      if (Path.of(m.asText()).getFileName().toString().startsWith("libopenblas")) openblas.add(m.asText());
    });
    assertThat(openblas).as("OpenBLAS builds mapped: %s", r).hasSizeLessThanOrEqualTo(1);
    if (!r.path("blas_native").asBoolean()) assertThat(r.path("mapped")).as("Java BLAS maps no native library").isEmpty();
    if (r.path("blas_library").asText().startsWith("openblas-jar: ")) {
      String lib = r.path("blas_library").asText().substring("openblas-jar: ".length());
      assertThat(r.path("lapack_library").asText()).isEqualTo(r.path("blas_library").asText());
      assertThat(r.path("mapped")).as("only the jar's OpenBLAS is mapped").hasSize(1);
      assertThat(r.path("mapped").get(0).asText()).isEqualTo(Path.of(lib).toRealPath().toString());
    }
  }

  @ParameterizedTest(name = "pullback.blas={0}")
  @ValueSource(strings = {"auto", "openblas-jar", "system", "java", "not-a-choice"})
  void blasAndLapackComeFromOneLibrary(String choice) throws Exception {
    JsonNode r = probe(Map.of(), "-Dpullback.blas=" + choice);
    assertOneLibrary(r);
    if (choice.equals("java")) {
      assertThat(r.path("blas_native").asBoolean()).isFalse();
      assertThat(r.path("lapack_native").asBoolean()).isFalse();
    }
    if (choice.equals("openblas-jar") && Blas.extractOpenBlasJar() != null) {
      assertThat(r.path("blas_library").asText()).startsWith("openblas-jar: ");
    }
  }

  @ParameterizedTest(name = "pullback.blas={0} beside a second OpenBLAS named liblapack.so.3")
  @ValueSource(strings = {"auto", "openblas-jar", "system", "java"})
  void aSystemLapackDoesNotJoinTheJarsOpenBlas(String choice) throws Exception {
    Path copy = secondOpenBlasBuild();
    JsonNode r = probe(Map.of("LD_LIBRARY_PATH", copy.getParent().toString()), "-Dpullback.blas=" + choice);
    assertOneLibrary(r);
    if (choice.equals("system")) {
      // Both from the "system": the copy serves BLAS and LAPACK, the jar's build is not loaded.
      assertThat(r.path("mapped").toString()).contains(copy.toRealPath().toString());
    } else if (!choice.equals("java")) {
      assertThat(r.path("mapped").toString()).doesNotContain(copy.getParent().toString());
    }
  }

  @Test
  void aBlasFileGivenByPathAlsoServesLapack() throws Exception {
    Path lib = Blas.extractOpenBlasJar();
    Assumptions.assumeTrue(lib != null, "org.bytedeco:openblas (linux-x86_64) is not extractable here");
    Path copy = secondOpenBlasBuild();
    JsonNode r = probe(Map.of("LD_LIBRARY_PATH", copy.getParent().toString()),
        "-Dpullback.blas=auto", "-D" + Blas.NATIVE_LIB_PATH + "=" + lib);
    assertOneLibrary(r);
    assertThat(r.path("lapack_library").asText()).isEqualTo(lib.toString());
    assertThat(r.path("mapped").toString()).doesNotContain(copy.getParent().toString());
  }

  /**
   * A copy of the jar's OpenBLAS (and its helper libraries) in a folder of its own, also under the
   * names {@code libblas.so.3} and {@code liblapack.so.3}: to the loader, a second OpenBLAS build.
   */
  static synchronized Path secondOpenBlasBuild() throws IOException {
    Path lib = Blas.extractOpenBlasJar();
    Assumptions.assumeTrue(lib != null, "org.bytedeco:openblas (linux-x86_64) is not extractable here");
    Path dir = fakeSystem.resolve("usr-lib");
    Path copy = dir.resolve("libopenblas.so.0");
    if (Files.exists(copy)) return copy;
    Files.createDirectories(dir);
    try (Stream<Path> files = Files.list(lib.getParent())) {
      for (Path f : (Iterable<Path>) files::iterator) Files.copy(f, dir.resolve(f.getFileName()));
    }
    Files.createSymbolicLink(dir.resolve("libblas.so.3"), copy.getFileName());
    Files.createSymbolicLink(dir.resolve("liblapack.so.3"), copy.getFileName());
    return copy;
  }
}
