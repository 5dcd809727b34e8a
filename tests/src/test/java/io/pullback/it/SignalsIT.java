package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real SIGINT and SIGTERM (sent with {@code kill}) to the {@code bin/pullback} JVM at load, during a
 * computation and between training steps: the process exits 130 or 143 with exactly one
 * {@code pullback:} line on stderr, no stack trace and no "internal error"; nothing is left but what a
 * resume needs (no staging folder, no lock, no folder of a command interrupted before its first
 * checkpoint); and {@code --resume} then finishes with the parameters of an uninterrupted run, to the
 * bit. Each moment is found by waiting for a log or history line, never by a sleep.
 */
class SignalsIT {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final String DATA = "synthetic:gaussian?rows=4000&features=8&seed=1&classes=2";

  @TempDir
  Path dir;

  List<String> train(Path out, int steps, String... more) {
    List<String> c = new ArrayList<>(List.of("bash", "bin/pullback", "train", "--data", DATA, "--model", "mlp", "--optimizer", "adam",
        "--steps", String.valueOf(steps), "--checkpoint-every", "2", "--out", out.toString()));
    c.addAll(List.of(more));
    return c;
  }

  Process start(List<String> command, Path log) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb.start();
  }

  /** Waits until {@code ready} holds (polling every 20 ms) while {@code p} runs; the process must still run. */
  static void await(Process p, java.util.concurrent.Callable<Boolean> ready, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (!ready.call() && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
    assertThat(p.isAlive()).as("still running at " + what).isTrue();
  }

  static boolean logHas(Path log, String text) throws Exception {
    return Files.exists(log) && Files.readString(log, StandardCharsets.ISO_8859_1).contains(text);
  }

  static long lines(Path file) throws Exception {
    return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).count() : 0;
  }

  /** Sends {@code signal} with kill(1) to the JVM (bin/pullback execs it: its PID is the script's). */
  static int signalAndWait(Process p, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("ended after SIG" + signal).isTrue();
    return p.exitValue();
  }

  /** The log's one {@code pullback:} line, after checking it has no trace and no internal error. */
  static String oneLine(Path log) throws Exception {
    String text = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(text).as(text).doesNotContain("internal error").doesNotContain("Exception").doesNotContainPattern("(?m)^\\s+at ");
    List<String> mine = text.lines().filter(l -> l.startsWith("pullback:") && !l.startsWith("pullback: building")).toList();
    assertThat(mine).as(text).hasSize(1);
    return mine.get(0);
  }

  static List<String> entries(Path folder) throws Exception {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void sigtermAtLoadLeavesNothing() throws Exception {
    Path out = dir.resolve("parent").resolve("load");
    Path log = dir.resolve("load.log");
    Process p = start(train(out, 40), log);
    await(p, () -> logHas(log, "BLAS: "), "the start"); // printed before Spark starts and the data is loaded
    assertThat(signalAndWait(p, "TERM")).isEqualTo(143);
    assertThat(oneLine(log)).isEqualTo("pullback: interrupted; nothing was published");
    assertThat(dir.resolve("parent")).doesNotExist();
  }

  @Test
  void sigintDuringAnEstimateLeavesNoStaging() throws Exception {
    Path out = dir.resolve("metric");
    Path log = dir.resolve("estimate.log");
    Process p = start(List.of("bash", "bin/pullback", "estimate", "--data", "synthetic:gaussian?rows=40000&features=24&seed=1&classes=2",
        "--model", "mlp", "--hidden", "48", "--representation", "dense", "--out", out.toString()), log);
    await(p, () -> logHas(log, "Estimating the"), "the computation");
    assertThat(signalAndWait(p, "INT")).isEqualTo(130);
    assertThat(oneLine(log)).isEqualTo("pullback: interrupted; nothing was published");
    assertThat(entries(dir).stream().filter(Predicate.not(n -> n.endsWith(".log")))).isEmpty(); // no .metric.staging-*, no metric
  }

  @Test
  void sigintAndSigtermBetweenStepsKeepTheCheckpointAndResumeToTheSameBits() throws Exception {
    Path reference = dir.resolve("reference");
    Process r = start(train(reference, 30), dir.resolve("reference.log"));
    for (String signal : new String[] {"INT", "TERM"}) {
      Path out = dir.resolve("steps-" + signal);
      Path log = dir.resolve(signal + ".log");
      Process p = start(train(out, 30), log);
      await(p, () -> lines(out.resolve("history.jsonl")) >= 3, "step 3");
      assertThat(signalAndWait(p, signal)).isEqualTo(signal.equals("INT") ? 130 : 143);
      String line = oneLine(log);
      assertThat(line).matches("pullback: interrupted after step \\d+; resume with --resume");
      long kept = Long.parseLong(line.replaceAll("\\D+", " ").trim().split(" ")[0]);
      assertThat(kept % 2).isZero(); // a checkpoint step (every 2)
      assertThat(entries(out)).containsExactly("checkpoint", "history.jsonl"); // no lock, no partial result
      assertThat(lines(out.resolve("history.jsonl"))).isEqualTo(kept);
      if (signal.equals("TERM")) continue; // the resume below is the same for either signal (one is enough for CI time)

      Process resumed = start(train(out, 30, "--resume"), dir.resolve(signal + "-resumed.log"));
      assertThat(resumed.waitFor(180, TimeUnit.SECONDS)).isTrue();
      assertThat(resumed.exitValue()).as(Files.readString(dir.resolve(signal + "-resumed.log"))).isZero();
      if (r.isAlive()) assertThat(r.waitFor(180, TimeUnit.SECONDS)).isTrue();
      assertThat(r.exitValue()).as(Files.readString(dir.resolve("reference.log"))).isZero();
      assertThat(Files.readAllBytes(out.resolve("params.npy"))).isEqualTo(Files.readAllBytes(reference.resolve("params.npy")));
    }
  }

  @Test
  void sigtermDuringARunWithARunIdKeepsItsCheckpointForTheSameCommand() throws Exception {
    Path out = dir.resolve("run");
    Path log = dir.resolve("run.log");
    Process p = start(List.of("bash", "bin/pullback", "run", "conf/experiments/quickstart.yaml", "--out", out.toString(), "--run-id", "r1",
        "--set", "steps=40", "--set", "checkpoint-every=2", "--set", "data=synthetic:uniform?rows=2000&features=2&seed=1&noise=0.05"), log);
    await(p, () -> logHas(log, "step 3/"), "an arm's step 3");
    assertThat(signalAndWait(p, "TERM")).isEqualTo(143);
    assertThat(oneLine(log)).matches("pullback: interrupted after step \\d+; resume with --run-id r1");
    try (Stream<Path> s = Files.walk(out)) {
      assertThat(s.map(f -> f.getFileName().toString())).noneMatch(n -> n.equals(".pullback.lock") || n.contains(".staging-"));
    }
  }
}
