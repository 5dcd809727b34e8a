package io.pullback.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.cli.TrainCommand;
import io.pullback.io.Location;
import io.pullback.io.RunLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code train} does with the {@code --out} an earlier attempt of its YARN application left
 * ({@link TrainJob#retried}): folders laid out as a killed attempt leaves them (a checkpoint folder,
 * history lines, the lock of attempt 1 written on another node), checked against the rule in
 * docs/formats.md.
 */
class RetriedAttemptTest {
  static final String APP = "application_1764650000000_0003";

  @TempDir
  Path dir;

  TrainConfig config(Path out) {
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("data", "synthetic:gaussian?rows=10&features=3&seed=1&classes=2");
    options.put("model", "logistic");
    options.put("optimizer", "ngd");
    options.put("checkpoint-every", 1);
    return TrainCommand.configFrom(options, out.toString(), "test");
  }

  /** A folder as attempt 1 of {@code app} leaves it when killed, with or without a checkpoint. */
  Path leftBy(String app, boolean checkpoint) throws Exception {
    Path out = Files.createDirectories(dir.resolve("run"));
    Files.writeString(out.resolve("history.jsonl"), "{\"step\":1}\n");
    if (checkpoint) Files.writeString(Files.createDirectories(out.resolve(TrainJob.CHECKPOINT)).resolve("checkpoint.json"), "{}");
    Files.writeString(out.resolve(RunLock.FILE_NAME), "{\"pid\": 1, \"host\": \"node-3.elsewhere.example\", \"started\": \"2026-12-02T07:00:00Z\","
        + " \"command\": \"train\", \"application\": \"" + app + "\", \"attempt\": 1}\n");
    return out;
  }

  @Test
  void aSecondAttemptResumesFromTheCheckpointItsPredecessorLeft() throws Exception {
    Path out = leftBy(APP, true);
    TrainConfig asked = config(out);
    TrainConfig used = TrainJob.retried(asked, new RunLock.Attempt(APP, 2), Location.local(out));
    assertThat(used.resume()).isTrue();
    assertThat(used.resumed()).isEqualTo(used);
    assertThat(used).isEqualTo(asked.resumed());
    assertThat(out.resolve(TrainJob.CHECKPOINT)).isDirectory();
  }

  @Test
  void aSecondAttemptWhosePredecessorDiedBeforeItsFirstCheckpointStartsAfresh() throws Exception {
    Path out = leftBy(APP, false);
    TrainConfig asked = config(out);
    TrainConfig used = TrainJob.retried(asked, new RunLock.Attempt(APP, 2), Location.local(out));
    assertThat(used).isEqualTo(asked);
    assertThat(out).doesNotExist();
  }

  @Test
  void aFirstAttemptNoAttemptOrAnotherApplicationChangesNothing() throws Exception {
    for (RunLock.Attempt attempt : new RunLock.Attempt[] {new RunLock.Attempt(APP, 1), null, new RunLock.Attempt("application_1764650000000_0004", 2)}) {
      for (boolean checkpoint : new boolean[] {false, true}) {
        Path out = leftBy(APP, checkpoint);
        TrainConfig asked = config(out);
        TrainConfig used = TrainJob.retried(asked, attempt, Location.local(out));
        boolean otherAppWithCheckpoint = attempt != null && attempt.number() > 1 && checkpoint;
        // another application's attempt 2 finding a checkpoint resumes it too (documented limit: it cannot tell; the settings check applies)
        assertThat(used.resume()).as(attempt + ", checkpoint " + checkpoint).isEqualTo(otherAppWithCheckpoint);
        assertThat(out.resolve("history.jsonl")).as(attempt + ", checkpoint " + checkpoint).exists();
        deleteTree(out);
      }
    }
  }

  static void deleteTree(Path p) throws Exception {
    try (var s = Files.walk(p)) {
      for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
    }
  }
}
