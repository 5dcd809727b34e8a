package io.pullback.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * Base class for tests that need Spark: one {@code local[2]} session per test class, UI off,
 * scratch space under {@code target/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SharedSpark {
  protected SparkSession spark;

  @BeforeAll
  void startSpark() throws Exception {
    Path scratch = Path.of("target", "spark-scratch");
    Files.createDirectories(scratch);
    spark = SparkSession.builder()
        .master("local[2]")
        .appName(getClass().getSimpleName())
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.local.dir", scratch.toAbsolutePath().toString())
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
  }

  @AfterAll
  void stopSpark() {
    if (spark != null) spark.stop();
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }
}
