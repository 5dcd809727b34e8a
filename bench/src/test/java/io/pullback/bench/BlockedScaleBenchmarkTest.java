package io.pullback.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/** The scale benchmark's key=value arguments: the documented defaults, in order, with overrides applied. */
class BlockedScaleBenchmarkTest {

  @Test
  void defaultsAreTheDocumentedOnesAndArgumentsOverrideThem() {
    Map<String, String> a = BlockedScaleBenchmark.arguments(new String[] {"rows=300", "storage=MEMORY_AND_DISK"});
    assertThat(List.copyOf(a.keySet())).containsExactly("rows", "features", "hidden", "partitions", "block-rows", "tile", "task-memory-mb",
        "storage", "lambda-rel", "cg-tol", "cg-max-iter", "master", "seed", "scratch");
    assertThat(a).containsEntry("rows", "300").containsEntry("hidden", "2857").containsEntry("master", "local[2]")
        .containsEntry("scratch", "target/blocked-bench");
    BlockedScaleBenchmark.Settings s = BlockedScaleBenchmark.Settings.of(a);
    assertThat(s.rows()).isEqualTo(300);
    assertThat(s.taskMemory()).isEqualTo(256L << 20);
    assertThat(s.storage()).isEqualTo(StorageLevel.MEMORY_AND_DISK());
    assertThat(s.cgTol()).isEqualTo(1e-6);
    assertThat(s.data()).isEqualTo("synthetic:gaussian?rows=300&features=5&seed=1&outputs=1");
  }
}
