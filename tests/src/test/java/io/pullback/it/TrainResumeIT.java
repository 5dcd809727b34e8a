package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code train} driver killed with SIGKILL after some checkpointed steps, then re-run with
 * {@code --resume}, ends bit-identical to an uninterrupted run: same {@code params.npy} bytes and the
 * same {@code history.jsonl} in every field but {@code seconds}. Each run is {@code bin/pullback}
 * in its own JVM ({@code exec java}, so the process killed is the driver itself).
 */
class TrainResumeIT {
  static final Path ROOT = LocalCluster.ROOT;
  static final ObjectMapper JSON = new ObjectMapper();
  static final int STEPS = 16;

  @TempDir
  Path dir;

  static List<String> trainArgs(Path out) {
    return new ArrayList<>(List.of("bash", "bin/pullback", "train",
        "--data", "synthetic:uniform?rows=4000&features=4&seed=1&noise=0.05", "--model", "mlp", "--hidden", "16",
        "--optimizer", "ngd", "--damping", "1e-3", "--damping-schedule", "levenberg-marquardt", "--lr", "0.5",
        "--steps", Integer.toString(STEPS), "--checkpoint-every", "2", "--partitions", "4", "--master", "local[2]",
        "--out", out.toString()));
  }

  static Process launch(List<String> cmd, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb.start();
  }

  static void finish(Process p, Path log) throws IOException, InterruptedException {
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("finished in time").isTrue();
    assertThat(p.exitValue()).as(Files.readString(log)).isZero();
  }

  static int lines(Path file) {
    try {
      return Files.exists(file) ? (int) Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).count() : 0;
    } catch (IOException e) {
      return 0; // being rewritten
    }
  }

  /** history.jsonl without the wall-clock field. */
  static List<String> historyWithoutSeconds(Path out) throws IOException {
    List<String> result = new ArrayList<>();
    for (String l : Files.readAllLines(out.resolve("history.jsonl"), StandardCharsets.UTF_8)) {
      if (l.isBlank()) continue;
      ObjectNode node = (ObjectNode) JSON.readTree(l);
      assertThat(node.has("seconds")).isTrue();
      node.remove("seconds");
      result.add(node.toString());
    }
    return result;
  }

  @Test
  void aKilledDriverResumesBitIdentically() throws Exception {
    Path killedOut = dir.resolve("killed");
    Path log = dir.resolve("killed.log");
    Process p = launch(trainArgs(killedOut), log);
    // The uninterrupted reference runs beside it (its own JVM and folder: only wall time is shared).
    Path straight = dir.resolve("straight");
    Path straightLog = dir.resolve("straight.log");
    Process reference = launch(trainArgs(straight), straightLog);
    Path history = killedOut.resolve("history.jsonl");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (p.isAlive() && lines(history) < 5 && System.nanoTime() < deadline) Thread.sleep(10);
    assertThat(p.isAlive()).as("still training after 5 steps: %s", Files.readString(log)).isTrue();
    p.destroyForcibly(); // SIGKILL: no shutdown hook, no clean-up
    p.waitFor(30, TimeUnit.SECONDS);
    int seen = lines(history);
    assertThat(seen).as("killed mid-run").isBetween(5, STEPS - 1);
    assertThat(killedOut.resolve("params.npy")).doesNotExist();
    assertThat(killedOut.resolve("checkpoint")).isDirectory();

    List<String> resume = trainArgs(killedOut);
    resume.add("--resume");
    Path resumeLog = dir.resolve("resume.log");
    finish(launch(resume, resumeLog), resumeLog);

    finish(reference, straightLog);

    assertThat(Files.readAllBytes(killedOut.resolve("params.npy")))
        .as("params.npy bit-identical").isEqualTo(Files.readAllBytes(straight.resolve("params.npy")));
    List<String> h1 = historyWithoutSeconds(killedOut);
    assertThat(h1).hasSize(STEPS);
    assertThat(h1).as("history.jsonl except seconds").isEqualTo(historyWithoutSeconds(straight));
  }
}
