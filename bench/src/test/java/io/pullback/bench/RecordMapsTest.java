package io.pullback.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Measured rows keep the JSON names and order they had as hand-written maps. */
class RecordMapsTest {

  @Test
  void kernelPointKeepsItsJsonNamesOrderAndValues() {
    Map<String, Object> m = new KernelBench.Point("syrk", 512, 256, 0, 21.5, 10.8, 1.99, 1.95).toMap();
    assertThat(List.copyOf(m.keySet())).containsExactly("kernel", "n", "rows", "tile", "kernel_gflops", "dgemm_gflops", "ratio_best",
        "ratio_median");
    assertThat(m).containsEntry("n", 512).containsEntry("kernel_gflops", 21.5).containsEntry("ratio_median", 1.95);
  }

  @Test
  void probeResultKeepsTheNamesBenchReadsAndNullsAndBoxedTypes() {
    Map<String, Object> m = RecordMaps.of(new ScalingProbe.ProbeResult("local-cluster[2,1,1024]", Map.of("0", 2), 2, 800L, 16, 4,
        0.5, 0.25, 0L, 1234L, 95L << 20, null));
    assertThat(List.copyOf(m.keySet())).containsExactly("master", "partitions_per_executor", "executors", "rows", "n", "partitions",
        "load_seconds", "estimate_seconds", "shuffle_write_bytes", "task_result_bytes", "driver_peak_heap_bytes", "driver_blas");
    assertThat(m.get("rows")).isEqualTo(800L);
    assertThat(m.get("executors")).isEqualTo(2);
    assertThat(m).containsEntry("driver_blas", null);
  }

  @Test
  void orderedMapsKeepTheKeysInTheOrderGivenAndRefuseADuplicate() {
    // Map.of would iterate these ten keys in an order that depends on the JVM's per-run salt.
    Object[] kv = new Object[20];
    for (int i = 0; i < 10; i++) {
      kv[2 * i] = "key" + (9 - i);
      kv[2 * i + 1] = i;
    }
    Map<String, Object> m = RecordMaps.ordered(kv);
    assertThat(List.copyOf(m.keySet())).containsExactly("key9", "key8", "key7", "key6", "key5", "key4", "key3", "key2", "key1", "key0");
    assertThat(m).containsEntry("key0", 9);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> RecordMaps.ordered("a", 1, "a", 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a'");
  }

  @Test
  void snakeCaseSplitsBeforeEachCapital() {
    assertThat(RecordMaps.snakeCase("pullbackOverBlasLimit")).isEqualTo("pullback_over_blas_limit");
    assertThat(RecordMaps.snakeCase("n")).isEqualTo("n");
    assertThat(RecordMaps.snakeCase("blockRows")).isEqualTo("block_rows");
  }
}
