package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scheduled experiment killed mid-run (SIGKILL of the driver JVM) and started again with the same
 * {@code --run-id} resumes its unfinished arm from the checkpoint and finishes with the same
 * parameters as an undisturbed run.
 */
class RunKilledAndResumedIT {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @TempDir
  Path dir;

  Process start(Path out) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", "bin/pullback", "run", "conf/experiments/quickstart.yaml", "--out", out.toString(),
        "--run-id", "r1", "--set", "steps=12", "--set", "data=synthetic:uniform?rows=2000&features=2&seed=1&noise=0.05",
        "--set", "checkpoint-every=1")
        .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve(out.getFileName() + ".log").toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb.start();
  }

  static long historyLines(Path history) throws Exception {
    if (!Files.exists(history)) return 0;
    return Files.readAllLines(history, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).count();
  }

  @Test
  void killedRunResumesAndMatchesAnUndisturbedRun() throws Exception {
    Path reference = dir.resolve("reference");
    Process p0 = start(reference);
    assertThat(p0.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p0.exitValue()).as(Files.readString(dir.resolve("reference.log"))).isZero();

    Path out = dir.resolve("killed");
    Process p = start(out);
    Path history = out.resolve("arms").resolve("adam").resolve("history.jsonl");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    while (historyLines(history) < 3 && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(100);
    assertThat(p.isAlive()).as("still running when killed").isTrue();
    p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(new ObjectMapper().readTree(out.resolve("run.json").toFile()).get("status").asText()).isEqualTo("running");

    Process again = start(out);
    assertThat(again.waitFor(300, TimeUnit.SECONDS)).isTrue();
    String log = Files.readString(dir.resolve("killed.log"));
    assertThat(again.exitValue()).as(log).isZero();
    assertThat(log).contains("resuming");
    assertThat(new ObjectMapper().readTree(out.resolve("run.json").toFile()).get("status").asText()).isEqualTo("finished");
    for (String arm : List.of("ngd", "adam", "gd")) {
      Path a = out.resolve("arms").resolve(arm).resolve("params.npy");
      Path b = reference.resolve("arms").resolve(arm).resolve("params.npy");
      assertThat(Files.readAllBytes(a)).as("arm %s params", arm).isEqualTo(Files.readAllBytes(b));
    }
    assertThat(historyLines(out.resolve("arms").resolve("adam").resolve("history.jsonl"))).isEqualTo(12);
  }
}
