package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.io.Npy;
import io.pullback.job.PullbackCli;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.BlockId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Spark standalone cluster ({@code bin/local-cluster}: one Master, two Workers with one core
 * each, executors in their own JVMs), started once for this class and stopped in {@link #stop()}
 * even when a test fails. Jobs are submitted with {@code SparkSubmit} and the shaded jar (no
 * Pullback class on the cluster's class path), as users do.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT {
  static final Path ROOT = LocalCluster.ROOT;

  LocalCluster cluster;
  String master;

  @TempDir
  Path dir;

  @BeforeAll
  void start() throws Exception {
    cluster = new LocalCluster(Path.of("target", "it-cluster"), Map.of());
    try {
      master = cluster.start();
    } catch (Throwable t) {
      cluster.close();
      throw t;
    }
  }

  @AfterAll
  void stop() throws Exception {
    List<Long> daemons = cluster.daemonPids();
    cluster.close();
    for (long pid : daemons) {
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("daemon %d stopped", pid).isFalse();
    }
  }

  record Result(int exitCode, String output) {}

  /** SparkSubmit in its own JVM: Spark's jars only (this test's class path minus Pullback and picocli). */
  static List<String> sparkSubmit(String master, List<String> appArgs) throws IOException {
    String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> !e.contains("spark-jobs") && !e.contains("local-runner") && !e.contains("picocli")
            && !e.contains(File.separator + "tests" + File.separator + "target"))
        .collect(Collectors.joining(File.pathSeparator));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Arrays.asList(System.getProperty("pullback.jvm.flags", "").split(" ")));
    cmd.removeIf(String::isBlank);
    cmd.addAll(List.of("-cp", cp, "org.apache.spark.deploy.SparkSubmit", "--master", master,
        "--conf", "spark.ui.enabled=false", "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--class", "io.pullback.job.SubmitMain", LaunchersIT.shadedJar().toString()));
    cmd.addAll(appArgs);
    return cmd;
  }

  static Process launch(List<String> command, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb.start();
  }

  static Result await(Process p, Path log) throws IOException, InterruptedException {
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("did not finish in time:\n" + Files.readString(log));
    }
    return new Result(p.exitValue(), Files.readString(log, StandardCharsets.ISO_8859_1));
  }

  Result submit(String master, List<String> args, String name) throws IOException, InterruptedException {
    Path log = dir.resolve(name + ".log");
    return await(launch(sparkSubmit(master, args), log), log);
  }

  static List<String> smallEstimate(Path out) {
    return List.of("estimate", "--data", "synthetic:gaussian?rows=600&features=3&seed=9&classes=3", "--model", "softmax",
        "--classes", "3", "--metric", "fisher", "--partitions", "4", "--seed", "4", "--out", out.toString());
  }

  @Test
  @Order(1)
  void anEstimateOnTheClusterIsBitIdenticalToLocal() throws Exception {
    LocalCluster.Result status = cluster.script("status");
    assertThat(status.exitCode()).as(status.output()).isZero();
    assertThat(status.lastLine()).isEqualTo(master);

    Path onCluster = dir.resolve("cluster");
    Result a = submit(master, smallEstimate(onCluster), "cluster");
    assertThat(a.exitCode()).as(a.output()).isZero();
    Path local = dir.resolve("local");
    Result b = submit("local[2]", smallEstimate(local), "local");
    assertThat(b.exitCode()).as(b.output()).isZero();

    double[] g1 = Npy.readMatrix(onCluster.resolve("metric.npy")).data();
    double[] g2 = Npy.readMatrix(local.resolve("metric.npy")).data();
    assertThat(g1).hasSize(12 * 12);
    assertThat(Arrays.equals(g1, g2)).as("bit-identical: standalone cluster vs local[2]").isTrue();
    assertThat(Files.readString(onCluster.resolve("manifest.json"))).contains(master);
    // The work really ran in executor JVMs of the cluster.
    assertThat(cluster.executorLogs()).isNotEmpty();
  }

  /** An mlp with 865 parameters on 16000 rows in 12 partitions: the metric stage takes seconds. */
  static List<String> longEstimate(Path out) {
    return List.of("estimate", "--data", "synthetic:gaussian?rows=16000&features=16&seed=3&outputs=1", "--model", "mlp",
        "--hidden", "48", "--metric", "function", "--partitions", "12", "--seed", "4", "--out", out.toString());
  }

  @Test
  @Order(2)
  void anExecutorKilledMidEstimateChangesNoBit() throws Exception {
    Set<Path> before = new HashSet<>(cluster.executorLogs());
    Path killedOut = dir.resolve("killed");
    Path log = dir.resolve("killed.log");
    Process driver = launch(sparkSubmit(master, longEstimate(killedOut)), log);

    // Wait until an executor of this application runs a task of the metric stage, then kill it.
    long killed = -1;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    while (killed < 0 && driver.isAlive() && System.nanoTime() < deadline) {
      for (Path stderr : cluster.executorLogs()) {
        if (before.contains(stderr)) continue;
        String text = Files.readString(stderr, StandardCharsets.ISO_8859_1);
        OptionalLong pid = LocalCluster.executorPid(stderr);
        if (pid.isPresent() && text.contains("in stage 2.0")) {
          ProcessHandle h = ProcessHandle.of(pid.getAsLong()).orElseThrow();
          assertThat(h.info().commandLine().orElse("")).contains("CoarseGrainedExecutorBackend");
          new ProcessBuilder("kill", "-9", Long.toString(pid.getAsLong())).start().waitFor();
          killed = pid.getAsLong();
          break;
        }
      }
      Thread.sleep(100);
    }
    assertThat(killed).as("an executor was killed while the estimate ran").isPositive();
    assertThat(killedOut.resolve("metric.npy")).as("killed before the result was written").doesNotExist();
    Result k = await(driver, log);
    assertThat(k.exitCode()).as(k.output()).isZero();
    assertThat(k.output()).containsIgnoringCase("lost executor");

    // The undisturbed run, same data and partitioning.
    Path undisturbed = dir.resolve("undisturbed");
    Result u = submit("local[2]", longEstimate(undisturbed), "undisturbed");
    assertThat(u.exitCode()).as(u.output()).isZero();
    double[] g1 = Npy.readMatrix(killedOut.resolve("metric.npy")).data();
    double[] g2 = Npy.readMatrix(undisturbed.resolve("metric.npy")).data();
    assertThat(g1).hasSize(865 * 865);
    assertThat(Arrays.equals(g1, g2)).as("bit-identical after an executor loss").isTrue();
  }

  /**
   * 50 consecutive estimates from one driver JVM (this one) against the cluster. Bounds, after a
   * warm-up of 10 runs and a GC: no cached RDD left after any run; live threads grow by at most 8
   * over the last 20 runs (a leak of one thread per run would add 20; Spark's and Netty's pools grow
   * lazily up to their limits, measured at +25 over 45 runs, hence the total bound of 40); at most 8
   * broadcast blocks left on the driver; used heap at most 64 MiB above the warm-up level.
   */
  @Test
  @Order(3)
  void fiftyEstimatesFromOneDriverLeakNothing() throws Exception {
    Path scratch = Path.of("target", "spark-scratch").toAbsolutePath();
    Files.createDirectories(scratch);
    SparkSession spark = SparkSession.builder()
        .master(master)
        .appName("load-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.jars", LaunchersIT.shadedJar().toString())
        .config("spark.executor.memory", "512m")
        .config("spark.local.dir", scratch.toString())
        .getOrCreate();
    try {
      spark.sparkContext().setLogLevel("WARN");
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      int runs = 50;
      int warmUp = 10;
      int threads0 = 0;
      int threadsMid = 0;
      long heap0 = 0;
      int broadcasts0 = 0;
      long t0 = System.nanoTime();
      for (int i = 0; i < runs; i++) {
        Path out = dir.resolve("load-" + i);
        StringWriter err = new StringWriter();
        String[] args = {"estimate", "--data", "synthetic:gaussian?rows=300&features=3&seed=" + (i % 3) + "&classes=3",
            "--model", "softmax", "--classes", "3", "--metric", "fisher", "--partitions", "4", "--seed", "4",
            "--out", out.toString()};
        int code = PullbackCli.execute(args, m -> spark, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertThat(code).as("run %d: %s", i, err).isZero();
        assertThat(spark.sparkContext().getPersistentRDDs().isEmpty()).as("no cached RDD left after run %d", i).isTrue();
        if (i + 1 == 30) {
          settle();
          threadsMid = ManagementFactory.getThreadMXBean().getThreadCount();
        }
        if (i + 1 == warmUp) {
          settle();
          threads0 = ManagementFactory.getThreadMXBean().getThreadCount();
          heap0 = memory.getHeapMemoryUsage().getUsed();
          broadcasts0 = broadcastBlocks(spark);
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      settle();
      int threads = ManagementFactory.getThreadMXBean().getThreadCount();
      long heap = memory.getHeapMemoryUsage().getUsed();
      int broadcasts = broadcastBlocks(spark);
      System.out.printf("load test: %d estimates in %.1f s; threads %d -> %d -> %d; heap %d -> %d MiB; broadcast blocks %d -> %d%n",
          runs, seconds, threads0, threadsMid, threads, heap0 >> 20, heap >> 20, broadcasts0, broadcasts);
      assertThat(threads).as("live threads over the last 20 runs").isLessThanOrEqualTo(threadsMid + 8);
      assertThat(threads).as("live threads after warm-up").isLessThanOrEqualTo(threads0 + 40);
      assertThat(broadcasts).as("broadcast blocks on the driver").isLessThanOrEqualTo(Math.max(broadcasts0, 8));
      assertThat(heap - heap0).as("driver heap growth after GC").isLessThan(64L << 20);
    } finally {
      spark.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
    }
  }

  /** GC and give Spark's ContextCleaner time to remove unreachable broadcasts. */
  static void settle() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(300);
    }
  }

  /** Broadcast blocks (pieces and values) held by the driver's block manager. */
  static int broadcastBlocks(SparkSession spark) {
    scala.Function1<BlockId, Object> isBroadcast = BlockId::isBroadcast;
    return spark.sparkContext().env().blockManager().master().getMatchingBlockIds(isBroadcast, false).size();
  }
}
