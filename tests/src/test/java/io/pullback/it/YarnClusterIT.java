package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's YARN examples, run exactly as written against a real ResourceManager and
 * NodeManager ({@code MiniYARNCluster}) and a real HDFS ({@code MiniDFSCluster}), both in this JVM
 * and started once for the class. {@code spark-submit} is {@code java -cp "$HADOOP_CONF_DIR:JARS"
 * org.apache.spark.deploy.SparkSubmit} (the README's route without a Spark download), in
 * {@code --deploy-mode cluster}: the driver runs in the application master, a container the
 * NodeManager launches, with the shaded jar uploaded to HDFS by the YARN client. What a cluster
 * administrator provides is written by the test: {@code core-site.xml} and {@code yarn-site.xml} in a
 * {@code HADOOP_CONF_DIR} (the minicluster's addresses), and {@code spark-defaults.conf} in a
 * {@code SPARK_CONF_DIR} ({@code spark.yarn.jars} as {@code local:} paths — Spark's jars and
 * {@code spark-yarn_2.13}, the role of a distribution's {@code jars/} — and {@code JAVA_HOME} for the
 * containers, and their OpenBLAS settings). The references are the same commands with a local
 * {@code --data} copy and a local {@code --out}, run in this JVM in {@code local[2]} beside the
 * cluster applications. Cost: the two clusters start in about 20 s; each YARN application (an
 * application master and one executor, 896 MB containers) takes one to two minutes on a loaded
 * 2-core machine.
 */
class YarnClusterIT extends CliHarness {
  static final Path ROOT = LocalCluster.ROOT;
  static final String AM_CLASS = "org.apache.spark.deploy.yarn.ApplicationMaster";

  Path work;
  MiniDFSCluster dfs;
  MiniYARNCluster yarn;
  FileSystem hdfs;
  String namenode;
  Map<String, String> env;
  /** The README's YARN block and its spark-submit commands (continuations joined). */
  String block;
  List<String> commands;

  @BeforeAll
  void startClusters() throws Exception {
    work = Path.of("target", "yarn-it").toAbsolutePath();
    StorageContract.deleteLocal(work);
    Files.createDirectories(work);
    Configuration dfsConf = new Configuration();
    dfsConf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, work.resolve("dfs").toString());
    dfsConf.setInt("dfs.replication", 1);
    dfs = new MiniDFSCluster.Builder(dfsConf).numDataNodes(1).build();
    dfs.waitActive();
    hdfs = dfs.getFileSystem();
    namenode = "hdfs://127.0.0.1:" + dfs.getNameNodePort();

    yarn = new MiniYARNCluster(getClass().getSimpleName(), 1, 1, 1);
    yarn.init(yarnConf());
    yarn.start();
    awaitResourceManagerAddress();
    env = clusterEnvironment();
    block = readmeYarnBlock();
    commands = sparkSubmitCommands(block);
    assertThat(commands).as("the README's YARN block").hasSize(2);
    spark.sparkContext().hadoopConfiguration().setInt("dfs.replication", 1);
  }

  /** The cluster's configuration, with Spark's own test settings (BaseYarnClusterSuite) and sizes for a 2-core machine. */
  YarnConfiguration yarnConf() {
    YarnConfiguration c = new YarnConfiguration();
    c.set("fs.defaultFS", namenode);
    c.setInt("dfs.replication", 1);
    c.set("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "100.0");
    // capacity-scheduler.xml is not in hadoop-client-minicluster: one queue, as Spark's suite sets it.
    c.set("yarn.scheduler.capacity.root.queues", "default");
    c.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
    c.setFloat("yarn.scheduler.capacity.root.default.user-limit-factor", 1);
    c.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
    c.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
    c.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
    c.set("yarn.scheduler.capacity.root.default.acl_administer_queue", "*");
    c.setInt("yarn.scheduler.capacity.node-locality-delay", -1);
    c.set("yarn.resourcemanager.hostname", "127.0.0.1");
    c.setInt("yarn.scheduler.minimum-allocation-mb", 128);
    c.setInt("yarn.nodemanager.resource.memory-mb", 4096);
    c.setInt("yarn.nodemanager.resource.cpu-vcores", 4);
    c.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
    c.setBoolean("yarn.nodemanager.pmem-check-enabled", false);
    c.setInt("yarn.resourcemanager.am.max-attempts", 2);
    return c;
  }

  /** MiniYARNCluster may return from start() before the RM has its port (Spark's suite waits the same way). */
  void awaitResourceManagerAddress() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (yarn.getConfig().get(YarnConfiguration.RM_ADDRESS).endsWith(":0")) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("the ResourceManager has no address");
      Thread.sleep(100);
    }
  }

  /**
   * HADOOP_CONF_DIR (core-site.xml: the namenode; yarn-site.xml: the minicluster's yarn.* settings),
   * SPARK_CONF_DIR (spark-defaults.conf) and a {@code spark-submit} on PATH that runs SparkSubmit.
   */
  Map<String, String> clusterEnvironment() throws IOException {
    Path hadoopConf = Files.createDirectories(work.resolve("hadoop-conf"));
    Configuration core = new Configuration(false);
    core.set("fs.defaultFS", namenode);
    core.setInt("dfs.replication", 1);
    writeXml(core, hadoopConf.resolve("core-site.xml"));
    Configuration site = new Configuration(false);
    for (Map.Entry<String, String> e : yarn.getConfig()) if (e.getKey().startsWith("yarn.")) site.set(e.getKey(), e.getValue());
    writeXml(site, hadoopConf.resolve("yarn-site.xml"));

    List<String> jars = Arrays.stream(LaunchersIT.sparkOnlyClassPath().split(File.pathSeparator))
        .filter(e -> e.endsWith(".jar") && !e.contains("hadoop-client-minicluster")).toList();
    Path sparkConf = Files.createDirectories(work.resolve("spark-conf"));
    String javaHome = System.getProperty("java.home");
    Files.writeString(sparkConf.resolve("spark-defaults.conf"), String.join("\n",
        "spark.yarn.jars " + jars.stream().map(j -> "local:" + j).collect(Collectors.joining(",")),
        "spark.ui.enabled false",
        "spark.yarn.appMasterEnv.JAVA_HOME " + javaHome,
        "spark.executorEnv.JAVA_HOME " + javaHome,
        "spark.yarn.appMasterEnv.SPARK_LOCAL_IP 127.0.0.1",
        "spark.executorEnv.SPARK_LOCAL_IP 127.0.0.1",
        openBlasEnvironment(),
        containerJvmOptions(),
        ""));

    Path bin = Files.createDirectories(work.resolve("bin"));
    Path classPath = work.resolve("submit-classpath.txt");
    Files.writeString(classPath, String.join(File.pathSeparator, jars));
    Path shim = bin.resolve("spark-submit");
    Files.writeString(shim, String.join("\n",
        "#!/usr/bin/env bash",
        "# spark-submit without a Spark download (README: the org.apache.spark.deploy.SparkSubmit route)",
        "exec '" + Path.of(javaHome, "bin", "java") + "' -Xmx256m " + System.getProperty("pullback.jvm.flags", "")
            + " -cp \"$HADOOP_CONF_DIR:$(cat '" + classPath + "')\" org.apache.spark.deploy.SparkSubmit \"$@\"",
        ""));
    Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwxr-xr-x"));
    return Map.of("HADOOP_CONF_DIR", hadoopConf.toString(), "SPARK_CONF_DIR", sparkConf.toString(),
        "PATH", bin + File.pathSeparator + System.getenv("PATH"), "SPARK_LOCAL_IP", "127.0.0.1");
  }

  /**
   * The integration tests' options for short-lived JVMs ({@code pullback.test.child.jvm.flags}: C1
   * only, serial GC; see the root pom) for the containers' JVMs too, the application masters (which
   * run the driver in cluster mode) and the executors. Spark puts its own module flags before them.
   */
  static String containerJvmOptions() {
    String flags = LaunchersIT.childJvmFlags();
    return flags.isEmpty() ? "" : "spark.driver.extraJavaOptions " + flags + "\nspark.executor.extraJavaOptions " + flags;
  }

  /**
   * One OpenBLAS thread per task in the application master and the executors (as
   * {@code conf/spark-defaults.conf} sets for executors), and this machine's OpenBLAS kernel
   * settings ({@code OPENBLAS_CORETYPE}, {@code OPENBLAS_L2_SIZE}, when set): a container starts
   * with the NodeManager's environment, not this one, and another kernel gives other bits.
   */
  static String openBlasEnvironment() {
    List<String> lines = new ArrayList<>();
    Map<String, String> vars = new java.util.TreeMap<>(Map.of("OPENBLAS_NUM_THREADS", "1"));
    for (String v : List.of("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")) if (System.getenv(v) != null) vars.put(v, System.getenv(v));
    vars.forEach((k, v) -> {
      lines.add("spark.yarn.appMasterEnv." + k + " " + v);
      lines.add("spark.executorEnv." + k + " " + v);
    });
    return String.join("\n", lines);
  }

  static void writeXml(Configuration conf, Path file) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      conf.writeXml(out);
    }
  }

  @AfterAll
  void stopClusters() {
    if (yarn != null) yarn.stop();
    if (dfs != null) dfs.shutdown();
  }

  /** The first bash block after the README's "**YARN**" paragraph. */
  static String readmeYarnBlock() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int yarn = readme.indexOf("\n**YARN**");
    assertThat(yarn).as("README has a **YARN** paragraph").isPositive();
    int start = readme.indexOf("```bash\n", yarn) + "```bash\n".length();
    return readme.substring(start, readme.indexOf("```", start));
  }

  /** The lines of {@code block} starting with spark-submit, each with its continuation lines joined. */
  static List<String> sparkSubmitCommands(String block) {
    List<String> out = new ArrayList<>();
    for (String line : block.replace("\\\n", " ").split("\n")) if (line.startsWith("spark-submit ")) out.add(line.replaceAll(" +", " "));
    return out;
  }

  /** The application arguments of a README command (after {@code $JAR}), its hdfs:/// data and out replaced. */
  static List<String> appArgs(String command, Map<String, String> replace) {
    List<String> out = new ArrayList<>();
    List<String> words = Arrays.asList(command.split(" "));
    for (String w : words.subList(words.indexOf("$JAR") + 1, words.size())) out.add(replace.getOrDefault(w, w));
    return out;
  }

  /** Runs {@code script} in bash in the repository root with the cluster's environment. */
  Process bash(String script, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder("bash", "-euo", "pipefail", "-c", script).directory(ROOT.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return pb.start();
  }

  static String finish(Process p, Path log, int seconds) throws IOException, InterruptedException {
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("did not finish in " + seconds + " s:\n" + Files.readString(log, StandardCharsets.ISO_8859_1));
    }
    String out = Files.readString(log, StandardCharsets.ISO_8859_1);
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  /** A seeded 3-class LIBSVM file (300 rows, 4 features), written locally and to hdfs:///data/train.libsvm. */
  Path trainingData() throws IOException {
    Path local = work.resolve("train.libsvm");
    if (Files.exists(local)) return local;
    Random rnd = new Random(20261202L);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      int label = rnd.nextInt(3);
      b.append(label);
      for (int j = 1; j <= 4; j++) b.append(' ').append(j).append(':').append((float) (rnd.nextGaussian() + (j == label + 1 ? 1.5 : 0)));
      b.append('\n');
    }
    Files.writeString(local, b);
    hdfs.copyFromLocalFile(new org.apache.hadoop.fs.Path(local.toUri()), new org.apache.hadoop.fs.Path(namenode + "/data/train.libsvm"));
    return local;
  }

  /** Runs a README command's application arguments in local[2] with local data and out; returns its files. */
  SortedMap<String, byte[]> localReference(String command, Path data, Path out) throws IOException {
    String remoteOut = appArgs(command, Map.of()).get(appArgs(command, Map.of()).indexOf("--out") + 1);
    Run r = pullback(appArgs(command, Map.of("hdfs:///data/train.libsvm", data.toString(), remoteOut, out.toString())).toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
    return StorageContract.localFiles(out);
  }

  /**
   * The README's YARN block as written: {@code estimate}, then {@code train} with
   * {@code spark.yarn.maxAppAttempts=2}, in YARN cluster mode writing {@code hdfs:///runs/…}. While
   * the train application runs, its application master (the driver) is killed with SIGKILL after a
   * few checkpointed steps; YARN starts a second attempt, which continues from the checkpoint on
   * HDFS, taking over the lock the killed attempt left. Both applications SUCCEEDED (train in two
   * attempts, the second saying it resumed), and each wrote the bits of the same command run
   * uninterrupted in {@code local[2]} with local data and {@code --out}. One run of the block for
   * both checks: a YARN application costs about a minute here.
   */
  @Test
  void theReadmeYarnExamplesRunAsWrittenSurviveAKilledDriverAndMatchLocalRuns() throws Exception {
    Path data = trainingData();
    Path log = work.resolve("readme-block.log");
    Process block = bash(this.block, log);
    SortedMap<String, byte[]> localEstimate = localReference(commands.get(0), data, work.resolve("local-fisher"));
    SortedMap<String, byte[]> localTrain = localReference(commands.get(1), data, work.resolve("local-ngd"));
    int seen = killTrainingDriverAfter(3, block, log);
    String output = finish(block, log, 600);

    SortedMap<String, byte[]> estimate = StorageContract.remoteFiles(hdfs, namenode + "/runs/fisher");
    StorageContract.assertSameResult(estimate, localEstimate, "summary.json");
    assertThat(estimate.get("metric.npy")).isNotNull().isEqualTo(localEstimate.get("metric.npy"));
    String manifest = new String(estimate.get("manifest.json"), StandardCharsets.UTF_8);
    assertThat(manifest).contains("\"master\" : \"yarn\"").contains("\"spark.submit.deployMode\" : \"cluster\"");
    assertSameTraining(StorageContract.remoteFiles(hdfs, namenode + "/runs/ngd"), localTrain);

    List<ApplicationReport> apps = applications();
    assertThat(apps).hasSize(2);
    for (ApplicationReport app : apps) {
      assertThat(app.getFinalApplicationStatus()).as(app.getApplicationId().toString()).isEqualTo(FinalApplicationStatus.SUCCEEDED);
    }
    ApplicationId train = apps.stream().map(ApplicationReport::getApplicationId).max(ApplicationId::compareTo).orElseThrow();
    assertThat(attempts(train)).as("attempts of " + train + " (killed after %d history lines)", seen).isEqualTo(2);
    assertThat(applicationMasterLog(train, 2)).contains("Attempt 2 of " + train + ": hdfs:///runs/ngd holds a checkpoint of an earlier attempt")
        .contains(".pullback.lock was held by attempt 1 of " + train).contains("Resuming hdfs:///runs/ngd from step");
    assertThat(output).contains("final status: SUCCEEDED").doesNotContain("final status: FAILED");
  }

  /**
   * Waits until the train application has written {@code lines} lines of {@code hdfs:///runs/ngd/history.jsonl}
   * (by then the estimate application has ended: its AM is not running), kills its one application master JVM
   * and returns how many lines there were.
   */
  int killTrainingDriverAfter(int lines, Process block, Path log) throws Exception {
    String history = namenode + "/runs/ngd/history.jsonl";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(480);
    while (block.isAlive() && historyLines(history) < lines && System.nanoTime() < deadline) Thread.sleep(50);
    List<ProcessHandle> masters = applicationMasters();
    int seen = historyLines(history);
    assertThat(masters).as("one application master, training (%d lines): %s", seen, Files.readString(log, StandardCharsets.ISO_8859_1)).hasSize(1);
    masters.get(0).destroyForcibly();
    assertThat(masters.get(0).onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse();
    assertThat(seen).as("killed mid-run").isBetween(lines, 11);
    return seen;
  }

  static void assertSameTraining(SortedMap<String, byte[]> remote, SortedMap<String, byte[]> local) throws IOException {
    assertThat(remote.get("params.npy")).as("params.npy").isNotNull().isEqualTo(local.get("params.npy"));
    assertThat(StorageContract.historyWithoutSeconds(remote.get("history.jsonl"))).as("history.jsonl but seconds")
        .hasSize(12).isEqualTo(StorageContract.historyWithoutSeconds(local.get("history.jsonl")));
    // The checkpoint's state is the local run's; its settings name the data where each run read it (HDFS, a local copy).
    ObjectNode a = checkpointState(remote.get("checkpoint/checkpoint.json"));
    ObjectNode b = checkpointState(local.get("checkpoint/checkpoint.json"));
    assertThat(a.get("step").asInt()).isEqualTo(12);
    assertThat(a).isEqualTo(b);
  }

  static ObjectNode checkpointState(byte[] json) throws IOException {
    ObjectNode payload = (ObjectNode) StorageContract.JSON.readTree(json).get("payload");
    payload.remove("settings");
    return payload;
  }

  List<ApplicationReport> applications() throws IOException {
    try (YarnClient client = YarnClient.createYarnClient()) {
      client.init(yarn.getConfig());
      client.start();
      return client.getApplications();
    } catch (org.apache.hadoop.yarn.exceptions.YarnException e) {
      throw new IOException(e);
    }
  }

  int attempts(ApplicationId app) throws IOException {
    try (YarnClient client = YarnClient.createYarnClient()) {
      client.init(yarn.getConfig());
      client.start();
      return client.getApplicationAttempts(app).size();
    } catch (org.apache.hadoop.yarn.exceptions.YarnException e) {
      throw new IOException(e);
    }
  }

  /** The live application master JVMs of this test's NodeManager (their command lines name its folders). */
  static List<ProcessHandle> applicationMasters() {
    String mine = ROOT.toString();
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      return all.filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false)
          && p.info().commandLine().map(c -> c.contains(AM_CLASS) && c.contains(mine)).orElse(false)).toList();
    }
  }

  /** The stderr of attempt {@code attempt}'s application master (its container {@code …_0N_000001} in the NodeManager's log folder). */
  static String applicationMasterLog(ApplicationId app, int attempt) throws IOException {
    String container = String.format("container_%d_%04d_%02d_000001", app.getClusterTimestamp(), app.getId(), attempt);
    try (Stream<Path> s = Files.walk(Path.of("target", "test", "data"))) {
      Path stderr = s.filter(p -> p.getFileName().toString().equals("stderr") && p.getParent().getFileName().toString().equals(container))
          .findFirst().orElseThrow(() -> new AssertionError("no log of " + container));
      return Files.readString(stderr, StandardCharsets.ISO_8859_1);
    }
  }

  int historyLines(String uri) {
    try (var in = hdfs.open(new org.apache.hadoop.fs.Path(uri))) {
      return (int) new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).count();
    } catch (IOException e) {
      return 0;
    }
  }
}
