package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullback.cli.AuthSecret;
import io.pullback.cli.PullbackCli;
import io.pullback.io.Npy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * each, executors in their own JVMs) with {@code spark.authenticate} on, started once for this class
 * (a start costs about 30 s) and stopped in {@link #stop()} even when a test fails. The shared
 * secret is a fresh random one in a mode-600 file named by {@code PULLBACK_AUTH_SECRET_FILE}, as
 * the README tells users to do. Jobs are submitted as users do: {@code SparkSubmit} with the
 * shaded jar (no Pullback class on the cluster's class path; {@code estimate}, {@code train} and
 * {@code run}), and {@code bin/pullback --master} (client mode). References are the same commands
 * in {@code local[2]}, run beside the cluster jobs to save wall time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT {
  static final Path ROOT = LocalCluster.ROOT;
  static final String ENV = AuthSecret.ENV;
  static final ObjectMapper JSON = new ObjectMapper();

  LocalCluster cluster;
  String master;
  Path secretDir;
  Path secretFile;
  String secret;
  Path wrongSecretFile;
  String wrongSecret;
  /** Applications the Master had registered before the first batch of jobs. */
  long appsAtStart;
  /** The first batch: every short job of tests 1 to 3, started together (see {@link #launchFirstBatch()}). */
  final Map<String, Process> jobs = new java.util.LinkedHashMap<>();
  final Map<String, Result> results = new java.util.HashMap<>();

  /** One folder for the whole class (static: injected before {@link #start()}, which starts jobs writing there). */
  @TempDir
  static Path dir;

  @BeforeAll
  void start() throws Exception {
    secretDir = Files.createTempDirectory("cluster-secret", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    secret = Base64.getEncoder().encodeToString(raw);
    secretFile = secretDir.resolve("secret");
    Files.writeString(secretFile, secret + "\n");
    Files.setPosixFilePermissions(secretFile, PosixFilePermissions.fromString("rw-------"));
    cluster = new LocalCluster(Path.of("target", "it-cluster"), Map.of(ENV, secretFile.toString()));
    try {
      master = cluster.start();
      launchFirstBatch();
    } catch (Throwable t) {
      jobs.values().forEach(Process::destroyForcibly);
      cluster.close();
      throw t;
    }
  }

  /**
   * Starts every job of tests 1 to 3 at once, right after the cluster is up: the cluster
   * applications queue for its two cores (one application at a time), while the {@code local[2]}
   * references and the drivers the Master must refuse run beside them. Each test then awaits its
   * own jobs. This saves the start-up latency of each JVM and executor that a test-by-test order
   * would pay in sequence (measured: about a third of these tests' wall time).
   */
  void launchFirstBatch() throws IOException {
    appsAtStart = cluster.registeredApps();
    wrongSecretFile = secretDir.resolve("wrong");
    wrongSecret = "not-the-cluster-secret-" + Long.toHexString(new SecureRandom().nextLong());
    Files.writeString(wrongSecretFile, wrongSecret + "\n");
    Files.setPosixFilePermissions(wrongSecretFile, PosixFilePermissions.fromString("rw-------")); // else refused for its mode, not its value
    Path experiment = dir.resolve("on-cluster.yaml");
    Files.writeString(experiment, ONE_ARM_EXPERIMENT);
    Map<String, String> none = Map.of();
    // Test 1: one estimate three ways.
    start("submit", sparkSubmit(master, smallEstimate(dir.resolve("submit"))), withSecret());
    start("launcher", binPullback(master, smallEstimate(dir.resolve("launcher"))), withSecret());
    start("local", sparkSubmit("local[2]", smallEstimate(dir.resolve("local"))), none);
    // Test 2: train and run on the cluster, train in local[2].
    start("train-cluster", sparkSubmit(master, smallTrain(dir.resolve("train-cluster"))), withSecret());
    start("run-cluster", sparkSubmit(master, List.of("run", experiment.toString(), "--out", dir.resolve("run-cluster").toString())), withSecret());
    start("train-local", sparkSubmit("local[2]", smallTrain(dir.resolve("train-local"))), none);
    // Test 3: drivers the Master must refuse.
    start("no-secret", binPullback(master, smallEstimate(dir.resolve("no-secret"))), none);
    start("wrong-secret", sparkSubmit(master, smallEstimate(dir.resolve("wrong-secret"))), Map.of(ENV, wrongSecretFile.toString()));
  }

  void start(String name, List<String> command, Map<String, String> env) throws IOException {
    jobs.put(name, launch(command, dir.resolve(name + ".log"), env));
  }

  /** The outcome of a job of the first batch (waiting for it: at most 10 minutes, as it may queue behind three others). */
  Result result(String name) throws IOException, InterruptedException {
    Result r = results.get(name);
    if (r == null) {
      r = await(jobs.get(name), dir.resolve(name + ".log"), 600);
      results.put(name, r);
    }
    return r;
  }

  @AfterAll
  void stop() throws Exception {
    jobs.values().forEach(Process::destroyForcibly); // only those a failed test left running
    List<Long> daemons = cluster.daemonPids();
    List<Long> executors = cluster.executorPids();
    cluster.close();
    for (long pid : daemons) {
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("daemon %d stopped", pid).isFalse();
    }
    for (long pid : executors) {
      assertThat(isExecutor(pid)).as("executor %d stopped", pid).isFalse();
    }
    try (Stream<Path> s = Files.list(secretDir)) {
      for (Path p : s.toList()) Files.delete(p);
    }
    Files.delete(secretDir);
  }

  record Result(int exitCode, String output) {}

  /** SparkSubmit in its own JVM: Spark's jars only (this test's class path minus Pullback and picocli). */
  static List<String> sparkSubmit(String master, List<String> appArgs) throws IOException {
    String cp = LaunchersIT.sparkOnlyClassPath();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Arrays.asList(System.getProperty("pullback.jvm.flags", "").split(" ")));
    cmd.removeIf(String::isBlank);
    cmd.addAll(List.of("-cp", cp, "org.apache.spark.deploy.SparkSubmit", "--master", master,
        "--conf", "spark.ui.enabled=false", "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--class", "io.pullback.cli.SubmitMain", LaunchersIT.shadedJar().toString()));
    String executorFlags = LaunchersIT.childJvmFlags();
    if (!master.startsWith("local") && !executorFlags.isEmpty()) {
      // The tests' options for short-lived JVMs (root pom) for this application's executors too.
      cmd.addAll(cmd.indexOf("--class"), List.of("--conf", "spark.executor.extraJavaOptions=" + executorFlags));
    }
    cmd.addAll(appArgs);
    return cmd;
  }

  /** {@code bin/pullback COMMAND … --master URL}: the driver in its own JVM here, the work on the cluster. */
  static List<String> binPullback(String master, List<String> appArgs) {
    List<String> cmd = new ArrayList<>(List.of("bash", "bin/pullback"));
    cmd.addAll(appArgs);
    cmd.addAll(List.of("--master", master));
    return cmd;
  }

  /** Starts a command with {@code env} added to an environment without {@value AuthSecret#ENV}. */
  static Process launch(List<String> command, Path log, Map<String, String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().remove(ENV);
    pb.environment().putAll(env);
    return pb.start();
  }

  static Result await(Process p, Path log) throws IOException, InterruptedException {
    return await(p, log, 300);
  }

  static Result await(Process p, Path log, int seconds) throws IOException, InterruptedException {
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("did not finish in time:\n" + Files.readString(log, StandardCharsets.ISO_8859_1));
    }
    return new Result(p.exitValue(), Files.readString(log, StandardCharsets.ISO_8859_1));
  }

  Map<String, String> withSecret() {
    return Map.of(ENV, secretFile.toString());
  }

  static List<String> smallEstimate(Path out) {
    return List.of("estimate", "--data", "synthetic:gaussian?rows=600&features=3&seed=9&classes=3", "--model", "softmax",
        "--classes", "3", "--metric", "fisher", "--partitions", "4", "--seed", "4", "--out", out.toString());
  }

  /**
   * One estimate three ways: {@code spark-submit} to the cluster, {@code bin/pullback --master} to
   * the cluster (client mode, the launcher ships the shaded jar as {@code spark.jars}), and
   * {@code local[2]}; the two cluster results are byte-identical to the local one. Their manifests
   * name the master, show authentication on and the secret redacted, and their executors (found by
   * application id in the Workers' work dirs) ran the tasks.
   */
  @Test
  @Order(1)
  void estimatesBySparkSubmitAndBinPullbackOnTheClusterAreBitIdenticalToLocal() throws Exception {
    LocalCluster.Result status = cluster.script("status");
    assertThat(status.exitCode()).as(status.output()).isZero();
    assertThat(status.lastLine()).isEqualTo(master);

    Path viaSubmit = dir.resolve("submit");
    Path viaLauncher = dir.resolve("launcher");
    Path local = dir.resolve("local");
    for (String job : List.of("submit", "launcher", "local")) assertThat(result(job).exitCode()).as(result(job).output()).isZero();

    assertThat(Npy.readMatrix(local.resolve("metric.npy")).data()).hasSize(12 * 12);
    byte[] reference = Files.readAllBytes(local.resolve("metric.npy"));
    assertThat(Files.readAllBytes(viaSubmit.resolve("metric.npy"))).as("spark-submit on the cluster vs local[2]").isEqualTo(reference);
    assertThat(Files.readAllBytes(viaLauncher.resolve("metric.npy"))).as("bin/pullback --master on the cluster vs local[2]").isEqualTo(reference);

    for (Path out : List.of(viaSubmit, viaLauncher)) {
      String text = Files.readString(out.resolve("manifest.json"));
      assertThat(text).as("the secret is not in %s/manifest.json", out.getFileName()).doesNotContain(secret);
      JsonNode spark = JSON.readTree(text).get("spark");
      assertThat(spark.get("master").asText()).isEqualTo(master);
      assertThat(spark.get("conf").get("spark.authenticate").asText()).isEqualTo("true");
      assertThat(spark.get("conf").get("spark.authenticate.secret").asText()).isEqualTo(io.pullback.io.Redaction.REPLACEMENT);
      String appId = spark.get("app_id").asText();
      List<Path> logs = cluster.executorLogsOf(appId);
      assertThat(logs).as("executors of %s", appId).isNotEmpty();
      assertThat(logs.stream().anyMatch(l -> read(l).contains("Finished task"))).as("executors of %s ran tasks", appId).isTrue();
    }
    assertThat(JSON.readTree(viaLauncher.resolve("manifest.json").toFile()).get("spark").get("conf").get("spark.jars").asText())
        .as("bin/pullback ships the shaded jar").endsWith("-submit.jar");
    assertThat(result("submit").output() + result("launcher").output()).doesNotContain(secret);
  }

  static List<String> smallTrain(Path out) {
    return List.of("train", "--data", "synthetic:uniform?rows=400&features=2&seed=1&noise=0.05", "--model", "mlp", "--hidden", "6",
        "--optimizer", "ngd", "--damping", "1e-3", "--steps", "4", "--partitions", "4", "--seed", "7", "--out", out.toString());
  }

  /** An experiment with one arm whose options are exactly those of {@link #smallTrain}. */
  static final String ONE_ARM_EXPERIMENT = """
      name: on-cluster
      train:
        data: 'synthetic:uniform?rows=400&features=2&seed=1&noise=0.05'
        model: mlp
        hidden: [6]
        optimizer: ngd
        damping: 1.0e-3
        steps: 4
        partitions: 4
        seed: 7
      arms:
        - name: ngd
      """;

  /**
   * The other two commands under {@code spark-submit} on the cluster: {@code train}, and {@code run}
   * of an experiment whose one arm has the same options. Both end with the {@code params.npy} bytes
   * and {@code history.jsonl} (every field but the wall-clock {@code seconds}) of the same
   * {@code train} in {@code local[2]}.
   */
  @Test
  @Order(2)
  void trainAndRunUnderSparkSubmitOnTheClusterMatchLocal() throws Exception {
    Path trained = dir.resolve("train-cluster");
    Path ran = dir.resolve("run-cluster");
    Path local = dir.resolve("train-local");
    for (String job : List.of("train-cluster", "run-cluster", "train-local")) {
      assertThat(result(job).exitCode()).as(result(job).output()).isZero();
    }

    Path arm = ran.resolve("arms").resolve("ngd");
    byte[] reference = Files.readAllBytes(local.resolve("params.npy"));
    assertThat(Npy.readVector(local.resolve("params.npy"))).hasSize(2 * 6 + 6 + 6 + 1);
    assertThat(Files.readAllBytes(trained.resolve("params.npy"))).as("train on the cluster vs local[2]").isEqualTo(reference);
    assertThat(Files.readAllBytes(arm.resolve("params.npy"))).as("the run's arm on the cluster vs local[2]").isEqualTo(reference);
    List<String> history = TrainResumeIT.historyWithoutSeconds(local);
    assertThat(history).hasSize(4);
    assertThat(TrainResumeIT.historyWithoutSeconds(trained)).isEqualTo(history);
    assertThat(TrainResumeIT.historyWithoutSeconds(arm)).isEqualTo(history);
    assertThat(ran.resolve("report.md")).exists();
    for (Path out : List.of(trained, ran)) {
      String text = Files.readString(out.resolve("manifest.json"));
      assertThat(text).as("the secret is not in %s/manifest.json", out.getFileName()).doesNotContain(secret);
      JsonNode spark = JSON.readTree(text).get("spark");
      assertThat(spark.get("master").asText()).isEqualTo(master);
      assertThat(spark.get("conf").get("spark.authenticate.secret").asText()).isEqualTo(io.pullback.io.Redaction.REPLACEMENT);
      assertThat(cluster.executorLogsOf(spark.get("app_id").asText())).as("executors of %s", out.getFileName()).isNotEmpty();
    }
  }

  /**
   * Drivers the cluster must refuse: {@code bin/pullback} without a secret, and {@code spark-submit}
   * with another one. Both fail at once (before any Spark work) with exit code 2 and a message that
   * names the master and {@value AuthSecret#ENV}, and leave no output; neither secret is printed.
   * The Master registered exactly the four applications of tests 1 and 2: none of a refused driver.
   */
  @Test
  @Order(3)
  void driversWithoutTheSecretOrWithAnotherAreRefused() throws Exception {
    Result rd = result("no-secret");
    Result re = result("wrong-secret");
    assertThat(rd.exitCode()).as(rd.output()).isEqualTo(2);
    assertThat(rd.output()).contains("pullback: error: --master " + master + ": the Spark master refused this driver")
        .contains("spark.authenticate off").contains(ENV);
    assertThat(re.exitCode()).as(re.output()).isEqualTo(2);
    assertThat(re.output()).contains("pullback: error: --master " + master + ": the Spark master refused this driver")
        .contains(ENV + "=" + wrongSecretFile);
    for (Result r : List.of(rd, re)) assertThat(r.output()).doesNotContain(secret).doesNotContain(wrongSecret);
    assertThat(dir.resolve("no-secret")).doesNotExist();
    assertThat(dir.resolve("wrong-secret")).doesNotExist();
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("staging"));
    }
    for (String job : List.of("submit", "launcher", "train-cluster", "run-cluster")) {
      assertThat(result(job).exitCode()).as(result(job).output()).isZero();
    }
    assertThat(cluster.registeredApps()).as("applications the Master registered: those of tests 1 and 2 only")
        .isEqualTo(appsAtStart + 4);
  }

  /** An mlp with 865 parameters on 16000 rows in 12 partitions: the metric stage takes seconds. */
  static List<String> longEstimate(Path out) {
    return List.of("estimate", "--data", "synthetic:gaussian?rows=16000&features=16&seed=3&outputs=1", "--model", "mlp",
        "--hidden", "48", "--metric", "function", "--partitions", "12", "--seed", "4", "--out", out.toString());
  }

  /**
   * An executor JVM killed (SIGKILL, by its PID) while it runs a task of the metric stage: the job
   * completes and the result is bit-identical to the undisturbed {@code local[2]} run. While the
   * daemons, the driver and the executors are all alive, the secret is on none of their command
   * lines (nor any other process's), and the executor has authentication on and the secret in
   * its environment, where the Worker put it.
   */
  @Test
  @Order(4)
  void anExecutorKilledMidEstimateChangesNoBit() throws Exception {
    Set<Path> before = new HashSet<>(cluster.executorLogs());
    Path killedOut = dir.resolve("killed");
    Path log = dir.resolve("killed.log");
    Process driver = launch(sparkSubmit(master, longEstimate(killedOut)), log, withSecret());
    Path undisturbed = dir.resolve("undisturbed");
    Process reference = launch(sparkSubmit("local[2]", longEstimate(undisturbed)), dir.resolve("undisturbed.log"), Map.of());

    // Wait until an executor of this application runs a task of the metric stage, then kill it.
    long killed = -1;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    while (killed < 0 && driver.isAlive() && System.nanoTime() < deadline) {
      for (Path stderr : cluster.executorLogs()) {
        if (before.contains(stderr)) continue;
        String text = read(stderr);
        OptionalLong pid = LocalCluster.executorPid(stderr);
        if (pid.isPresent() && text.contains("in stage 2.0")) {
          ProcessHandle h = ProcessHandle.of(pid.getAsLong()).orElseThrow();
          assertThat(h.info().commandLine().orElse("")).contains("CoarseGrainedExecutorBackend");
          List<Long> alive = new ArrayList<>(cluster.daemonPids());
          alive.add(driver.pid());
          alive.add(pid.getAsLong());
          assertSecretOnNoCommandLine(alive);
          assertThat(procText(pid.getAsLong(), "cmdline")).as("executor command line").contains("-Dspark.authenticate=true");
          assertThat(procText(pid.getAsLong(), "environ")).as("executor environment").contains("_SPARK_AUTH_SECRET=" + secret);
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

    Result u = await(reference, dir.resolve("undisturbed.log"));
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
   * broadcast blocks left on the driver; used heap at most 64 MiB above the warm-up level. The
   * session authenticates with the secret set in its configuration (in memory); while its executors
   * run, the secret is on no command line.
   */
  @Test
  @Order(5)
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
        .config("spark.authenticate", "true")
        .config("spark.authenticate.secret", Files.readString(secretFile).strip())
        .config("spark.executor.extraJavaOptions", LaunchersIT.childJvmFlags())
        .getOrCreate();
    try {
      spark.sparkContext().setLogLevel("WARN");
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      int runs = 50;
      // Spark's driver pools (RPC dispatch, shuffle and block-transfer clients) grow on demand up to
      // their caps during the first runs (up to ~50 threads on a loaded machine); a leak is growth after that.
      int warmUp = 20;
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
        if (i == 0) {
          List<Long> alive = new ArrayList<>(cluster.daemonPids());
          alive.add(ProcessHandle.current().pid());
          List<Long> executors = cluster.executorPids().stream().filter(StandaloneClusterIT::isExecutor).toList();
          assertThat(executors).as("executors of this session").isNotEmpty();
          alive.addAll(executors);
          assertSecretOnNoCommandLine(alive);
        }
        if (i + 1 == 35) {
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
      assertThat(threads).as("live threads over the last 15 runs").isLessThanOrEqualTo(threadsMid + 8);
      assertThat(threads).as("live threads after warm-up").isLessThanOrEqualTo(threads0 + 40);
      assertThat(broadcasts).as("broadcast blocks on the driver").isLessThanOrEqualTo(Math.max(broadcasts0, 8));
      assertThat(heap - heap0).as("driver heap growth after GC").isLessThan(64L << 20);
    } finally {
      spark.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return "";
    }
  }

  /** {@code /proc/PID/FILE} with NULs as spaces, or null when it cannot be read (gone, or not ours). */
  static String procText(long pid, String file) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), file)), StandardCharsets.ISO_8859_1).replace('\0', ' ');
    } catch (IOException e) {
      return null;
    }
  }

  static boolean isExecutor(long pid) {
    String cmd = procText(pid, "cmdline");
    return cmd != null && cmd.contains("CoarseGrainedExecutorBackend");
  }

  /**
   * Reads the command line of every process on the machine: those of {@code mustSee} must be
   * readable and non-empty (so the check saw them), and none may hold the secret.
   */
  void assertSecretOnNoCommandLine(Collection<Long> mustSee) throws IOException {
    Map<Long, String> commandLines = new TreeMap<>();
    try (Stream<Path> s = Files.list(Path.of("/proc"))) {
      for (Path p : s.toList()) {
        String name = p.getFileName().toString();
        if (name.isEmpty() || !name.chars().allMatch(Character::isDigit)) continue;
        String cmd = procText(Long.parseLong(name), "cmdline");
        if (cmd != null) commandLines.put(Long.parseLong(name), cmd);
      }
    }
    for (long pid : mustSee) assertThat(commandLines.get(pid)).as("command line of process %d", pid).isNotBlank();
    List<Long> holding = commandLines.entrySet().stream().filter(e -> e.getValue().contains(secret)).map(Map.Entry::getKey).toList();
    assertThat(holding).as("processes whose command line holds the secret (of %d read)", commandLines.size()).isEmpty();
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
