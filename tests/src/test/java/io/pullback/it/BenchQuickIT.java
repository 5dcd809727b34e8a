package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pullback bench --quick} at tiny sizes, every section (kernel child JVMs, MLlib, numpy when
 * present, softmax, local-cluster scaling, training when the data set is present, load and start-up, and
 * kfac on 300 IDX images the test writes):
 * keeps the harness working. No timing is asserted: only that every figure of issues 8 and 20 is in the
 * JSON with a status, that the load section read every row with every reader, and that the report was written.
 */
class BenchQuickIT extends CliHarness {
  static final List<String> FIGURES = List.of("kernel_vs_best_dgemm", "estimate_vs_mllib_n1024", "estimate_vs_mllib_n2048",
      "estimate_vs_numpy", "executors_2_vs_1", "ngd_passes_vs_mllib", "softmax_fisher_vs_gram",
      "load_libsvm_vs_sklearn", "load_libsvm_vs_spark_pipeline", "load_csv_vs_pandas", "load_csv_vs_spark_pipeline", "load_parquet_vs_spark",
      "version_seconds", "first_task_seconds",
      "gv_s1_vs_gradient", "gv_s16_vs_gradient",
      "kfac_step_vs_sgd_step", "kfac_time_vs_sgd", "kfac_time_vs_adam");

  @TempDir
  Path dir;

  @Test
  void quickBenchWritesEveryFigureWithItsTarget() throws Exception {
    Path root = Path.of("..").toAbsolutePath().normalize();
    // The start-up figures launch bin/pullback itself (this harness runs the bench in-process): its home, as bin/pullback passes it.
    System.setProperty("pullback.home", root.toString());
    Path images = writeImages(dir.resolve("images-idx3-ubyte"), 300);
    Run r;
    try {
      r = pullback("bench", "--quick", "--out", dir.toString(), "--rows", "1500", "--n", "32,64", "--kernel-n", "64",
          "--scaling-rows", "800", "--scaling-n", "16", "--softmax-rows", "150", "--softmax-features", "4", "--load-rows", "2000", "--gv-rows", "300",
          "--kfac-images", images.toString(), "--kfac-hidden", "8,3,8", "--kfac-batch", "60", "--kfac-rounds", "1",
          "--kfac-race-rows", "200", "--kfac-race-hidden", "6,2,6", "--kfac-race-steps", "4",
          "--dataset", root.resolve("data/breast-cancer.csv").toString());
    } finally {
      System.clearProperty("pullback.home");
    }
    assertThat(r.exitCode()).as("stderr: %s", r.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(dir.resolve("results/latest.json").toFile());
    List<String> ids = new ArrayList<>();
    for (JsonNode f : json.path("figures")) {
      ids.add(f.path("id").asText());
      assertThat(f.path("status").asText()).isIn("PASS", "MISS", "SKIP");
      if (!f.path("status").asText().equals("SKIP")) {
        assertThat(f.path("value").isNumber()).as("value of %s", f.path("id").asText()).isTrue();
        assertThat(f.path("target").asText()).matches("[<>]= [0-9.]+");
      }
      assertThat(r.out()).contains(f.path("id").asText());
    }
    assertThat(ids).containsExactlyInAnyOrderElementsOf(FIGURES);
    // The sizes asked for were measured (not skipped): kernel, MLlib, softmax and scaling ran.
    assertThat(json.path("sections").path("kernel").path("providers").size()).isGreaterThanOrEqualTo(3);
    assertThat(json.path("sections").path("mllib").path("results").size()).isEqualTo(2);
    assertThat(json.path("sections").path("mllib").path("results").get(0).path("max_relative_difference").asDouble()).isLessThan(1e-10);
    JsonNode first = json.path("sections").path("mllib").path("results").get(0);
    assertThat(first.path("blas_limit_seconds").asDouble()).isPositive();
    assertThat(first.path("speedup_ceiling").asDouble()).isCloseTo(first.path("mllib_seconds").asDouble() / first.path("blas_limit_seconds").asDouble(),
        org.assertj.core.api.Assertions.within(1e-9));
    assertThat(json.path("sections").path("scaling").path("two_kernels_over_one").path("mean").asDouble()).isPositive();
    assertThat(json.path("sections").path("scaling").path("executors").size()).isEqualTo(2);
    assertThat(json.path("sections").path("scaling").path("executors").get(1).has("estimate_seconds"))
        .as("local-cluster run: %s", json.path("sections").path("scaling").path("executors")).isTrue();
    assertThat(figure(json, "softmax_fisher_vs_gram").path("status").asText()).isNotEqualTo("SKIP");
    assertThat(figure(json, "kernel_vs_best_dgemm").path("status").asText()).isNotEqualTo("SKIP");
    for (String id : List.of("gv_s1_vs_gradient", "gv_s16_vs_gradient")) assertThat(figure(json, id).path("status").asText()).isNotEqualTo("SKIP");
    assertThat(json.path("sections").path("gv").path("rows").asLong()).isEqualTo(300);
    for (String key : List.of("machine", "versions", "blas", "git_commit", "command")) assertThat(json.has(key)).as(key).isTrue();
    assertThat(json.path("blas").path("implementation").asText()).isNotBlank();
    // The load section ran every reader at the tiny size (sklearn and pandas only where python3 has them) and the start-up runs.
    JsonNode load = json.path("sections").path("load");
    List<String> readers = new ArrayList<>();
    for (JsonNode reader : load.path("readers")) {
      readers.add(reader.path("format").asText() + "/" + reader.path("reader").asText());
      assertThat(reader.path("rows").asLong()).as("rows read by %s", reader)
          .isEqualTo(reader.path("format").asText().equals("parquet") ? 2600 : 2000);
      assertThat(reader.path("mb_per_second").asDouble()).isPositive();
    }
    assertThat(readers).contains("libsvm/pullback", "libsvm/spark-pipeline", "libsvm/spark-count", "csv/pullback", "csv/spark-pipeline",
        "csv/spark-count", "parquet/pullback", "parquet/spark-pipeline", "parquet/spark-vectorized-count");
    for (String id : List.of("load_libsvm_vs_spark_pipeline", "load_csv_vs_spark_pipeline", "load_parquet_vs_spark", "version_seconds",
        "first_task_seconds")) {
      assertThat(figure(json, id).path("status").asText()).as(id).isNotEqualTo("SKIP");
    }
    assertThat(load.path("startup").path("estimate_exit_code").asInt()).isZero();
    assertThat(load.path("startup").path("compute_seconds").asDouble()).isPositive();
    // The kfac section: both step-cost arms ran 2R + 1 = 3 steps on the same mini-batches, and every time-to-target arm ran.
    JsonNode kfac = json.path("sections").path("kfac");
    JsonNode cost = kfac.path("step_cost");
    assertThat(cost.path("kfac_step_seconds").size()).isEqualTo(3);
    assertThat(cost.path("sgd_step_seconds").size()).isEqualTo(3);
    assertThat(cost.path("architecture").asText()).isEqualTo("16-8-3-8-16");
    assertThat(figure(json, "kfac_step_vs_sgd_step").path("value").asDouble())
        .isCloseTo(cost.path("kfac_amortised_step_seconds").asDouble() / cost.path("sgd_step_seconds_median").asDouble(),
            org.assertj.core.api.Assertions.within(1e-9));
    assertThat(cost.path("kfac_amortised_step_seconds").asDouble()).isCloseTo(cost.path("kfac_plain_step_seconds_median").asDouble()
        + Math.max(0, cost.path("kfac_refresh_step_seconds_median").asDouble() - cost.path("kfac_plain_step_seconds_median").asDouble()) / 20,
        org.assertj.core.api.Assertions.within(1e-9));
    assertThat(kfac.path("time_to_target").path("arms").size()).isEqualTo(6);
    assertThat(kfac.path("time_to_target").path("images").asInt()).isEqualTo(200);
    String report = Files.readString(dir.resolve("REPORT.md"));
    assertThat(report).contains("## (h) K-FAC against SGD-momentum and Adam");
    assertThat(report).contains("## Loading");
    assertThat(report).contains("## Targets").contains("pullback bench");
  }

  /** {@code count} 4×4 IDX images: a bright square at one of four places (seeded), on a dark background with noise. */
  private static Path writeImages(Path file, int count) throws java.io.IOException {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(9);
    byte[] px = new byte[count * 16];
    for (int e = 0; e < count; e++) {
      int corner = rng.nextInt(4);
      for (int j = 0; j < 16; j++) {
        int row = j / 4;
        int col = j % 4;
        boolean on = (row / 2) == corner / 2 && (col / 2) == corner % 2;
        px[e * 16 + j] = (byte) Math.max(0, Math.min(255, (on ? 230 : 10) + rng.nextInt(-10, 11)));
      }
    }
    try (var o = Files.newOutputStream(file)) {
      io.pullback.data.IdxFile.write(o, new int[] {count, 4, 4}, px, false);
    }
    return file;
  }

  private static JsonNode figure(JsonNode json, String id) {
    for (JsonNode f : json.path("figures")) if (f.path("id").asText().equals(id)) return f;
    throw new AssertionError("no figure " + id);
  }
}
