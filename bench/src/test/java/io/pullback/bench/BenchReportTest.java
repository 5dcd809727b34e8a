package io.pullback.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The "in this run" sentence of a missed figure quotes the numbers of that run's sections. */
class BenchReportTest {

  @Test
  void missedMllibFigureQuotesItsCeilingAndOverhead() {
    Map<String, Object> sections = Map.of("mllib", Map.of("results", List.of(
        Map.of("n", 512, "speedup_ceiling", 9.0, "pullback_over_blas_limit", 1.0, "pullback_seconds", 1.0, "blas_limit_seconds", 1.0),
        Map.of("n", 1024, "speedup_ceiling", 4.16, "pullback_over_blas_limit", 1.14, "pullback_seconds", 3.02, "blas_limit_seconds", 2.65))));
    assertThat(BenchReport.thisRun("estimate_vs_mllib_n1024", sections))
        .isEqualTo(" In this run: ceiling 4.16, Pullback at 1.14 times the BLAS-limit time (3.02 s against 2.65 s).");
    assertThat(BenchReport.thisRun("estimate_vs_mllib_n2048", sections)).isEmpty();
  }

  @Test
  void missedExecutorFigureQuotesTheMachineCeilingAndTheLocalTime() {
    Map<String, Object> sections = Map.of("scaling", Map.of("two_kernels_over_one", Map.of("mean", 1.99),
        "rows", List.of(Map.of("rows", 100, "seconds", 0.5), Map.of("rows", 200000, "seconds", 1.052))));
    assertThat(BenchReport.thisRun("executors_2_vs_1", sections))
        .isEqualTo(" In this run: machine ceiling 1.99; the same 200000 rows in one JVM with two task threads (local mode) took 1.05 s.");
    assertThat(BenchReport.thisRun("executors_2_vs_1", Map.of())).isEmpty();
  }
}
