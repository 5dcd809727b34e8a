package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.optim.Checkpoint;
import io.pullback.optim.CheckpointData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.stream.Stream;
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
 * Issue 15, "resume refuses to mix runs": {@code train --resume} with other data (another file, or
 * the same file with other content), another learning rate, activation or seed is refused with
 * exit 2 naming each differing setting with its old and new value, and leaves the folder as it was;
 * with only {@code --steps} and {@code --checkpoint-every} changed it continues, bit-identical to an
 * uninterrupted run. A checkpoint of an older build (no recorded settings) resumes with one WARN
 * line. {@code run --run-id} with a new {@code --set ngd.damping=10} is refused the same way.
 */
class ResumeFingerprintIT extends CliHarness {
  @TempDir
  static Path dir;
  static Path data;
  static Path otherData;
  static final List<String> WARNINGS = new ArrayList<>();

  @BeforeAll
  static void setUp() throws IOException {
    data = dir.resolve("data.csv");
    otherData = dir.resolve("other.csv");
    StringBuilder a = new StringBuilder("x,label\n");
    StringBuilder b = new StringBuilder("x,label\n");
    for (int i = 0; i < 40; i++) {
      double x = (i - 20) / 10.0;
      a.append(x).append(',').append(Math.sin(x)).append('\n');
      b.append(x).append(',').append(Math.cos(x)).append('\n');
    }
    Files.writeString(data, a);
    Files.writeString(otherData, b);
    AbstractAppender appender = new AbstractAppender("resume-warnings", null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        String text = event.getMessage().getFormattedMessage();
        if (event.getLevel() == org.apache.logging.log4j.Level.WARN && (text.contains("records no settings") || text.contains("is incomplete"))) {
          synchronized (WARNINGS) {
            WARNINGS.add(text);
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
    ctx.getConfiguration().getRootLogger().removeAppender("resume-warnings");
    ctx.updateLoggers();
  }

  /** train with the base settings, {@code changes} replacing or adding flags. */
  static String[] train(Path out, int steps, boolean resume, String... changes) {
    List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--model", "mlp", "--hidden", "3",
        "--activation", "tanh", "--optimizer", "adam", "--lr", "0.01", "--seed", "1", "--partitions", "2",
        "--checkpoint-every", "1", "--steps", Integer.toString(steps), "--out", out.toString()));
    for (int i = 0; i < changes.length; i += 2) {
      int at = args.indexOf(changes[i]);
      if (at >= 0) {
        args.set(at + 1, changes[i + 1]);
      } else {
        args.add(changes[i]);
        args.add(changes[i + 1]);
      }
    }
    if (resume) args.add("--resume");
    return args.toArray(String[]::new);
  }

  void assertRefusedUntouched(Path out, String[] args, String... parts) {
    SortedMap<String, String> before = snapshot(dir);
    Run run = pullback(args);
    assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
    assertThat(run.err()).contains("would mix two runs");
    for (String p : parts) assertThat(run.err()).contains(p);
    assertThat(run.err()).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(snapshot(dir)).as("nothing written").isEqualTo(before);
  }

  @Test
  void trainResumeRefusesEveryChangedSettingAndContinuesWithAllowedChanges() throws IOException {
    Path out = dir.resolve("train");
    assertThat(pullback(train(out, 2, false)).exitCode()).isZero();

    assertRefusedUntouched(out, train(out, 4, true, "--lr", "0.1"), "--lr 0.01 → 0.1");
    assertRefusedUntouched(out, train(out, 4, true, "--activation", "relu"), "--activation tanh → relu");
    assertRefusedUntouched(out, train(out, 4, true, "--seed", "2"), "--seed 1 → 2");
    assertRefusedUntouched(out, train(out, 4, true, "--data", otherData.toString()), "--data " + data + " → " + otherData);
    assertRefusedUntouched(out, train(out, 4, true, "--lr", "0.1", "--seed", "2"), "--lr 0.01 → 0.1", "--seed 1 → 2");
    // The same path with other content is other data.
    byte[] original = Files.readAllBytes(data);
    Files.writeString(data, Files.readString(data).replace("x,label\n", "x,label\n3.0,0.5\n"));
    try {
      assertRefusedUntouched(out, train(out, 4, true), "--data files", "sha256:");
    } finally {
      Files.write(data, original);
    }

    // Allowed: more steps, another checkpoint interval. Bit-identical to an uninterrupted 4-step run.
    Run resumed = pullback(train(out, 4, true, "--checkpoint-every", "2"));
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    Path straight = dir.resolve("straight");
    assertThat(pullback(train(straight, 4, false)).exitCode()).isZero();
    assertThat(Files.readAllBytes(out.resolve("params.npy"))).isEqualTo(Files.readAllBytes(straight.resolve("params.npy")));
    assertThat(nonBlankLines(out.resolve("history.jsonl"))).hasSize(4);
  }

  @Test
  void aCheckpointWithoutSettingsResumesWithOneWarning() throws IOException {
    Path out = dir.resolve("older");
    assertThat(pullback(train(out, 2, false)).exitCode()).isZero();
    Path cpDir = out.resolve("checkpoint");
    CheckpointData cp = Checkpoint.read(cpDir);
    assertThat(cp.settings()).containsEntry("learningRate", "0.01").containsEntry("activation", "tanh").containsKey("data.files");
    // As an older build wrote it: the same checkpoint without settings.
    Checkpoint.write(cpDir, new CheckpointData(cp.step(), cp.theta(), cp.optimizer(), cp.rngSeed(), cp.rngCounter(), cp.damping()));
    WARNINGS.clear();
    Run run = pullback(train(out, 3, true, "--lr", "0.1"));
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(WARNINGS).hasSize(1);
    assertThat(WARNINGS.get(0)).contains(cpDir.resolve("checkpoint.json").toString());
    // From now on the checkpoint records the settings it continued with.
    assertThat(Checkpoint.read(cpDir).settings()).containsEntry("learningRate", "0.1");
  }

  @Test
  void runWithARunIdRefusesAChangedSet() throws IOException {
    Path yaml = dir.resolve("exp.yaml");
    Files.writeString(yaml, "name: fp\ntrain:\n  data: 'synthetic:uniform?rows=60&features=2&seed=1&noise=0.05'\n  model: linear-basis\n"
        + "  steps: 2\n  partitions: 2\narms:\n  - name: ngd\n    optimizer: ngd\n    damping: 0.001\n  - name: adam\n    optimizer: adam\n    lr: 0.01\n");
    Path out = dir.resolve("run");
    Run first = pullback("run", yaml.toString(), "--run-id", "r1", "--out", out.toString(), "--set", "checkpoint-every=1");
    assertThat(first.exitCode()).as(first.err()).isZero();
    // As after an interruption (the arms checkpointed, the run did not finish).
    Path runFile = out.resolve("run.json");
    Files.writeString(runFile, Files.readString(runFile).replace("finished", "running"));
    SortedMap<String, String> before = snapshot(dir);
    Run changed = pullback("run", yaml.toString(), "--run-id", "r1", "--out", out.toString(), "--set", "checkpoint-every=1",
        "--set", "ngd.damping=10");
    assertThat(changed.exitCode()).as(changed.err()).isEqualTo(2);
    assertThat(changed.err()).contains("arm 'ngd'").contains("--damping 0.001 → 10.0").contains("would mix two runs");
    assertThat(snapshot(dir)).as("nothing written").isEqualTo(before);
    // The same settings (and more steps) resume.
    Run same = pullback("run", yaml.toString(), "--run-id", "r1", "--out", out.toString(), "--set", "checkpoint-every=2");
    assertThat(same.exitCode()).as(same.err()).isZero();
  }

  /** A torn last line of history.jsonl (a JVM killed mid-append) is dropped with one warning; a damaged earlier line is exit 3. */
  @Test
  void aTornLastHistoryLineIsDroppedOnResume() throws IOException {
    Path out = dir.resolve("torn");
    assertThat(pullback(train(out, 2, false)).exitCode()).isZero();
    Path history = out.resolve("history.jsonl");
    String whole = Files.readString(history);
    Files.writeString(history, whole + "{\"step\":3,\"loss\":0.2");
    WARNINGS.clear();
    Run run = pullback(train(out, 3, true));
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(WARNINGS).hasSize(1);
    assertThat(WARNINGS.get(0)).contains(history.toString()).contains("line 3");
    List<String> lines = nonBlankLines(history);
    assertThat(lines).hasSize(3);
    for (int i = 0; i < 3; i++) assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines.get(i)).path("step").asInt()).isEqualTo(i + 1);

    Files.writeString(history, "garbage\n" + String.join("\n", lines) + "\n");
    Run damaged = pullback(train(out, 4, true));
    assertThat(damaged.exitCode()).as(damaged.err()).isEqualTo(3);
    assertThat(damaged.err()).contains(history.toString()).contains("line 1").doesNotContain("internal error");
  }

  static List<String> nonBlankLines(Path f) throws IOException {
    try (Stream<String> s = Files.readAllLines(f, StandardCharsets.UTF_8).stream()) {
      return s.filter(l -> !l.isBlank()).toList();
    }
  }
}
