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
 * present, softmax, local-cluster scaling, training when the data set is present): keeps the harness
 * working. No timing is asserted: only that every figure of issue 8 is in the JSON with a status, and
 * that the report was written.
 */
class BenchQuickIT extends CliHarness {
  static final List<String> FIGURES = List.of("kernel_vs_best_dgemm", "estimate_vs_mllib_n1024", "estimate_vs_mllib_n2048",
      "estimate_vs_numpy", "executors_2_vs_1", "ngd_passes_vs_mllib", "softmax_fisher_vs_gram",
      "gv_s1_vs_gradient", "gv_s16_vs_gradient");

  @TempDir
  Path dir;

  @Test
  void quickBenchWritesEveryFigureWithItsTarget() throws Exception {
    Path root = Path.of("..").toAbsolutePath().normalize();
    Run r = pullback("bench", "--quick", "--out", dir.toString(), "--rows", "1500", "--n", "32,64", "--kernel-n", "64",
        "--scaling-rows", "800", "--scaling-n", "16", "--softmax-rows", "150", "--softmax-features", "4", "--gv-rows", "300",
        "--dataset", root.resolve("data/breast-cancer.csv").toString());
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
    String report = Files.readString(dir.resolve("REPORT.md"));
    assertThat(report).contains("## Targets").contains("pullback bench");
  }

  private static JsonNode figure(JsonNode json, String id) {
    for (JsonNode f : json.path("figures")) if (f.path("id").asText().equals(id)) return f;
    throw new AssertionError("no figure " + id);
  }
}
