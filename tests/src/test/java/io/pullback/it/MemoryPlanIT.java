package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullback.cli.LocalSessionProvider;
import io.pullback.cli.PullbackCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory plan is checked before the first Spark job: on a session whose
 * {@code spark.driver.maxResultSize} is 1 MiB, a dense metric of N = 600 (two packed partials of
 * 4·N(N+1) bytes ≈ 2.9 MB to collect) is refused with exit 2 naming the need, the limit and the
 * representations that fit, without any Spark job having run (no data read); {@code auto} on the
 * same inputs then picks blocked (nothing collected but O(N)) and succeeds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MemoryPlanIT {
  @TempDir
  Path dir;
  SparkSession spark;
  final AtomicInteger jobs = new AtomicInteger();

  @BeforeAll
  void startSpark() throws Exception {
    Path scratch = Path.of("target", "spark-scratch");
    Files.createDirectories(scratch);
    spark = SparkSession.builder().master("local[2]").appName("MemoryPlanIT")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.maxResultSize", "1m")
        .config("spark.local.dir", scratch.toAbsolutePath().toString())
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    spark.sparkContext().addSparkListener(new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart jobStart) {
        jobs.incrementAndGet();
      }
    });
  }

  @AfterAll
  void stopSpark() {
    if (spark != null) spark.stop();
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  int jobsSoFar() {
    try {
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError(e);
    }
    return jobs.get();
  }

  record Run(int exitCode, String err) {}

  Run pullback(String... args) {
    SparkSession.setActiveSession(spark);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PullbackCli.execute(args, new LocalSessionProvider(null), new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, err.toString());
  }

  @Test
  void aDensePlanThatCannotFitIsRefusedBeforeAnyDataIsReadAndAutoPicksOneThatFits() throws Exception {
    int d = 599; // logistic: N = D + 1 = 600
    StringBuilder csv = new StringBuilder();
    for (int j = 0; j < d; j++) csv.append('x').append(j).append(',');
    csv.append("label\n");
    for (int i = 0; i < 6; i++) {
      for (int j = 0; j < d; j++) csv.append(((i * 7 + j) % 11) / 10.0).append(',');
      csv.append(i % 2).append('\n');
    }
    Path data = dir.resolve("wide.csv");
    Files.writeString(data, csv.toString());

    int before = jobsSoFar();
    Path refusedOut = dir.resolve("dense-out");
    Run dense = pullback("estimate", "--data", data.toString(), "--model", "logistic", "--representation", "dense",
        "--partitions", "2", "--out", refusedOut.toString());
    assertThat(dense.exitCode()).as(dense.err()).isEqualTo(2);
    assertThat(dense.err()).contains("--representation dense", "N = 600", "spark.driver.maxResultSize = 1.0 MiB", "2.8 MiB collected",
        "Representations that fit:", "blocked", "implicit");
    assertThat(dense.err()).doesNotContain("\tat ");
    assertThat(jobsSoFar()).as("Spark jobs before the refusal (none: no data read)").isEqualTo(before);
    assertThat(refusedOut).doesNotExist();

    Path autoOut = dir.resolve("auto-out");
    Run auto = pullback("estimate", "--data", data.toString(), "--model", "logistic", "--partitions", "2", "--out", autoOut.toString());
    assertThat(auto.exitCode()).as(auto.err()).isZero();
    var summary = new ObjectMapper().readTree(autoOut.resolve("summary.json").toFile());
    assertThat(summary.get("representation").asText()).isEqualTo("blocked");
    assertThat(summary.get("n_params").asInt()).isEqualTo(600);
    assertThat(summary.get("trace").asDouble()).isPositive().isFinite();
  }
}
