package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, "a lock": one writer per run folder. A {@code train --resume} while another one (a
 * {@code bin/pullback} JVM) writes the same folder is refused with exit 2 naming the holder, and the
 * history holds every step once; the lock is released at the end and on errors; a lock of a process
 * that is gone (same host) is taken over with one WARN line; a live holder or one on another host
 * refuses {@code train --resume} and {@code run --run-id}.
 */
class RunFolderLockIT extends CliHarness {
  static final String LOCK = ".pullback.lock";
  static final String DATA = "synthetic:uniform?rows=200&features=2&seed=1&noise=0.05";
  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> TAKEOVERS = new ArrayList<>();

  @TempDir
  static Path dir;

  @BeforeAll
  static void captureWarnings() {
    AbstractAppender appender = new AbstractAppender("lock-warnings", null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        String text = event.getMessage().getFormattedMessage();
        if (event.getLevel() == org.apache.logging.log4j.Level.WARN && text.contains("taking it over")) {
          synchronized (TAKEOVERS) {
            TAKEOVERS.add(text);
          }
        }
      }
    };
    appender.start();
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    ctx.getConfiguration().getRootLogger().addAppender(appender, null, null);
    ctx.updateLoggers();
  }

  @AfterAll
  static void stopCapture() {
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    ctx.getConfiguration().getRootLogger().removeAppender("lock-warnings");
    ctx.updateLoggers();
  }

  static List<String> train(Path out, int steps, boolean resume) {
    List<String> a = new ArrayList<>(List.of("train", "--data", DATA, "--model", "linear-basis", "--optimizer", "adam",
        "--lr", "0.01", "--partitions", "2", "--checkpoint-every", "1", "--steps", Integer.toString(steps), "--out", out.toString()));
    if (resume) a.add("--resume");
    return a;
  }

  static List<Integer> historySteps(Path out) throws IOException {
    List<Integer> steps = new ArrayList<>();
    for (String l : Files.readAllLines(out.resolve("history.jsonl"), StandardCharsets.UTF_8)) {
      if (!l.isBlank()) steps.add(JSON.readTree(l).path("step").asInt());
    }
    return steps;
  }

  static void writeLock(Path folder, long pid, String host) throws IOException {
    Files.writeString(folder.resolve(LOCK), "{\"pid\":" + pid + ",\"host\":\"" + host + "\",\"started\":\"" + Instant.now()
        + "\",\"command\":\"train\"}\n");
  }

  /**
   * The lock record of {@code folder} once {@code holder} has written it (null if it ended or 120 s
   * passed first). The holder creates the file, then writes it: a file read in between is empty
   * (Jackson reads it as a missing node, not an error), so the wait goes on until the record names a pid.
   */
  static JsonNode awaitLock(Path folder, Process holder) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (holder.isAlive() && System.nanoTime() < deadline) {
      try {
        JsonNode lock = JSON.readTree(Files.readString(folder.resolve(LOCK)));
        if (lock.hasNonNull("pid")) return lock;
      } catch (IOException e) {
        // not there yet, or half written
      }
      Thread.sleep(20);
    }
    return null;
  }

  static String host() throws IOException {
    return InetAddress.getLocalHost().getHostName();
  }

  @Test
  void twoConcurrentResumesOneIsRefusedAndTheHistoryHoldsEveryStepOnce() throws Exception {
    Path out = dir.resolve("concurrent");
    assertThat(pullback(train(out, 2, false).toArray(String[]::new)).exitCode()).isZero();
    assertThat(out.resolve(LOCK)).as("released at the end").doesNotExist();

    List<String> cmd = new ArrayList<>(List.of("bash", "bin/pullback", "--driver-memory", "512m"));
    cmd.addAll(train(out, 12, true));
    cmd.addAll(List.of("--master", "local[1]"));
    Path log = dir.resolve("concurrent.log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(LocalCluster.ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process other = pb.start();
    JsonNode holder = awaitLock(out, other);
    assertThat(holder).as("the other resume took the lock: %s", Files.readString(log)).isNotNull();
    assertThat(holder.path("pid").asLong()).isEqualTo(other.pid()); // bin/pullback execs the JVM
    assertThat(holder.path("host").asText()).isEqualTo(host());

    Run second = pullback(train(out, 12, true).toArray(String[]::new));
    assertThat(other.isAlive()).as("the holder was still writing when the second resume was refused").isTrue();
    assertThat(second.exitCode()).as(second.err()).isEqualTo(2);
    assertThat(second.err()).contains(out.toString()).contains("is in use by pid " + other.pid() + " on " + host())
        .contains(out.resolve(LOCK).toString()).doesNotContain("\tat ");

    assertThat(other.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(other.exitValue()).as(Files.readString(log)).isZero();
    List<Integer> expected = new ArrayList<>();
    for (int t = 1; t <= 12; t++) expected.add(t);
    assertThat(historySteps(out)).as("every step once").isEqualTo(expected);
    assertThat(out.resolve(LOCK)).as("released at the end").doesNotExist();
  }

  /**
   * Issue 15: "two {@code run --run-id X} at once report 24 steps for a 12-step arm". A {@code run}
   * process resuming run r1 holds the lock; a second {@code run --run-id r1} meanwhile is refused
   * (exit 2 naming the holder), and the arm's history holds each of its 30 steps once.
   */
  @Test
  void twoConcurrentRunsOfOneRunIdOneIsRefusedAndTheArmHoldsEveryStepOnce() throws Exception {
    Path yaml = dir.resolve("concurrent-run.yaml");
    Files.writeString(yaml, "name: concurrent\ntrain:\n  data: '" + DATA + "'\n  model: linear-basis\n  steps: 30\n  partitions: 2\n"
        + "  checkpoint-every: 1\narms:\n  - name: adam\n    optimizer: adam\n    lr: 0.01\n");
    Path runOut = dir.resolve("concurrent-run");
    List<String> cmd = new ArrayList<>(List.of("bash", "bin/pullback", "--driver-memory", "512m", "run", yaml.toString(), "--run-id", "r1",
        "--out", runOut.toString(), "--master", "local[1]"));
    Path log = dir.resolve("concurrent-run.log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(LocalCluster.ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process other = pb.start();
    JsonNode holder = awaitLock(runOut, other);
    assertThat(holder).as("the first run took the lock: %s", Files.readString(log)).isNotNull();
    assertThat(holder.path("pid").asLong()).isEqualTo(other.pid());
    // The folder is run r1 (not just a non-empty folder) once run.json is there, which the holder writes before its data load.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.exists(runOut.resolve("run.json")) && other.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);

    Run second = pullback("run", yaml.toString(), "--run-id", "r1", "--out", runOut.toString());
    assertThat(other.isAlive()).as("the holder was still writing when the second run was refused").isTrue();
    assertThat(second.exitCode()).as(second.err()).isEqualTo(2);
    assertThat(second.err()).contains("is in use by pid " + other.pid() + " on " + host()).doesNotContain("\tat ");

    assertThat(other.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(other.exitValue()).as(Files.readString(log)).isZero();
    List<Integer> expected = new ArrayList<>();
    for (int t = 1; t <= 30; t++) expected.add(t);
    assertThat(historySteps(runOut.resolve("arms/adam"))).as("every step of the arm once").isEqualTo(expected);
    assertThat(runOut.resolve(LOCK)).as("released at the end").doesNotExist();
  }

  @Test
  void aLockOfAProcessThatIsGoneIsTakenOverWithAWarning() throws Exception {
    Path out = dir.resolve("stale");
    assertThat(pullback(train(out, 2, false).toArray(String[]::new)).exitCode()).isZero();
    Process gone = new ProcessBuilder("true").start();
    assertThat(gone.waitFor(30, TimeUnit.SECONDS)).isTrue();
    writeLock(out, gone.pid(), host());
    TAKEOVERS.clear();
    Run run = pullback(train(out, 3, true).toArray(String[]::new));
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(TAKEOVERS).hasSize(1);
    assertThat(TAKEOVERS.get(0)).contains("pid " + gone.pid()).contains(out.resolve(LOCK).toString());
    assertThat(historySteps(out)).containsExactly(1, 2, 3);
    assertThat(out.resolve(LOCK)).doesNotExist();
  }

  @Test
  void aLiveHolderOrOneOnAnotherHostRefusesTrainAndRun() throws Exception {
    Path out = dir.resolve("held");
    assertThat(pullback(train(out, 2, false).toArray(String[]::new)).exitCode()).isZero();
    long live = ProcessHandle.current().parent().orElseThrow().pid(); // the build tool: alive for the whole test
    for (String[] holder : new String[][] {{Long.toString(live), host()}, {"1", "some-other-host"}}) {
      writeLock(out, Long.parseLong(holder[0]), holder[1]);
      java.util.SortedMap<String, String> before = snapshot(out);
      Run run = pullback(train(out, 4, true).toArray(String[]::new));
      assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
      assertThat(run.err()).contains("is in use by pid " + holder[0] + " on " + holder[1]);
      assertThat(snapshot(out)).as("nothing written, the holder's lock kept").isEqualTo(before);
    }
    Files.delete(out.resolve(LOCK));

    Path yaml = dir.resolve("lock.yaml");
    Files.writeString(yaml, "name: lock\ntrain:\n  data: '" + DATA + "'\n  model: linear-basis\n  steps: 2\n  partitions: 2\n"
        + "arms:\n  - name: adam\n    optimizer: adam\n    lr: 0.01\n");
    Path runOut = dir.resolve("run");
    assertThat(pullback("run", yaml.toString(), "--run-id", "r1", "--out", runOut.toString()).exitCode()).isZero();
    Path runFile = runOut.resolve("run.json");
    Files.writeString(runFile, Files.readString(runFile).replace("finished", "running"));
    writeLock(runOut, live, host());
    Run run = pullback("run", yaml.toString(), "--run-id", "r1", "--out", runOut.toString());
    assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
    assertThat(run.err()).contains("is in use by pid " + live + " on " + host());
  }

  @Test
  void theLockIsReleasedWhenTheCommandFails() throws IOException {
    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, "x,label\n0.5,1.0\nnot-a-number,2.0\n");
    Path out = dir.resolve("premade");
    Files.createDirectories(out);
    Run run = pullback("train", "--data", bad.toString(), "--model", "linear-basis", "--steps", "2", "--out", out.toString());
    assertThat(run.exitCode()).as(run.err()).isEqualTo(3);
    try (var s = Files.list(out)) {
      assertThat(s.toList()).as("nothing left in the pre-made --out, no lock").isEmpty();
    }
  }
}
