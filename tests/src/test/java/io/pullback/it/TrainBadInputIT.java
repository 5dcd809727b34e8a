package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input to {@code train}: exit code, a message naming the culprit, and no output left behind. */
class TrainBadInputIT extends CliHarness {
  @TempDir
  static Path dir;
  static Path good;
  static Path tiny;

  @BeforeAll
  static void writeFiles() throws IOException {
    good = dir.resolve("good.csv");
    Files.writeString(good, "x,label\n0.5,1.0\n-1.0,2.0\n0.25,-0.5\n0.75,0.1\n");
    tiny = dir.resolve("tiny.csv");
    Files.writeString(tiny, "x,label\n0.5,1.0\n-0.5,2.0\n");
  }

  void assertRefused(int exitCode, List<String> parts, String... args) {
    Path out = dir.resolve("out-" + System.nanoTime());
    String[] full = Stream.concat(Stream.of(args), Stream.of("--out", out.toString())).toArray(String[]::new);
    Run run = pullback(full);
    assertThat(run.exitCode()).as("stderr: %s", run.err()).isEqualTo(exitCode);
    for (String p : parts) assertThat(run.err()).contains(p);
    assertThat(out).doesNotExist();
  }

  @Test
  void negativeLearningRateIsRefused() {
    assertRefused(2, List.of("--lr", "-0.1"), "train", "--data", good.toString(), "--model", "linear-basis", "--lr", "-0.1");
  }

  @Test
  void negativeDampingIsRefused() {
    assertRefused(2, List.of("--damping", "-1"), "train", "--data", good.toString(), "--model", "linear-basis", "--damping", "-1");
  }

  @Test
  void unknownOptimizerIsRefusedListingTheValidOnes() {
    assertRefused(2, List.of("--optimizer", "lbfgs", "adam"), "train", "--data", good.toString(), "--model", "linear-basis", "--optimizer", "lbfgs");
  }

  @Test
  void zeroStepsIsRefused() {
    assertRefused(2, List.of("--steps", "0"), "train", "--data", good.toString(), "--model", "linear-basis", "--steps", "0");
  }

  @Test
  void singularMetricWithoutDampingIsRefusedNamingTheFix() {
    // Six Legendre functions on two points: G has rank 2.
    assertRefused(2, List.of("--damping"), "train", "--data", tiny.toString(), "--model", "linear-basis", "--degree", "5",
        "--optimizer", "ngd", "--damping", "0");
  }

  @Test
  void resumeWithoutACheckpointIsRefused() throws IOException {
    Path out = dir.resolve("no-checkpoint");
    Files.createDirectories(out);
    Run run = pullback("train", "--data", good.toString(), "--model", "linear-basis", "--resume", "--out", out.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--resume").contains("no checkpoint");
  }

  @Test
  void aCorruptedCheckpointIsRefusedWithExitCodeThree() throws IOException {
    Path out = dir.resolve("corrupt");
    String[] args = {"train", "--data", good.toString(), "--model", "linear-basis", "--optimizer", "adam", "--steps", "2",
        "--checkpoint-every", "1", "--out", out.toString()};
    assertThat(pullback(args).exitCode()).isZero();
    Path file = out.resolve("checkpoint").resolve("checkpoint.json");
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(file, bytes);
    Run run = pullback("train", "--data", good.toString(), "--model", "linear-basis", "--optimizer", "adam", "--steps", "4",
        "--checkpoint-every", "1", "--resume", "--out", out.toString());
    assertThat(run.exitCode()).as(run.err()).isEqualTo(3);
    assertThat(run.err()).contains("checkpoint.json").contains("checksum");
  }

  @Test
  void existingOutputWithoutResumeIsRefusedUntouched() throws IOException {
    Path out = dir.resolve("taken");
    Files.createDirectories(out);
    Files.writeString(out.resolve("keep"), "k");
    Run run = pullback("train", "--data", good.toString(), "--model", "linear-basis", "--out", out.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("not empty");
    assertThat(Files.readString(out.resolve("keep"))).isEqualTo("k");
  }

  /**
   * {@code --resume} into a folder whose fixed names are links pointing outside it (the checkpoint
   * folder, the history file): refused with exit code 2 naming the link, nothing written there or
   * through the link.
   */
  @Test
  void resumeIntoAFolderWithALinkPointingOutsideIsRefused() throws IOException {
    Path out = dir.resolve("linked");
    String[] first = {"train", "--data", good.toString(), "--model", "linear-basis", "--optimizer", "adam", "--steps", "2",
        "--checkpoint-every", "1", "--out", out.toString()};
    assertThat(pullback(first).exitCode()).isZero();
    String[] resume = {"train", "--data", good.toString(), "--model", "linear-basis", "--optimizer", "adam", "--steps", "4",
        "--checkpoint-every", "1", "--resume", "--out", out.toString()};
    Path outside = Files.createDirectories(dir.resolve("outside"));

    Files.move(out.resolve("checkpoint"), outside.resolve("checkpoint"));
    Files.createSymbolicLink(out.resolve("checkpoint"), outside.resolve("checkpoint"));
    assertResumeRefused(resume, out, outside, out.resolve("checkpoint"));
    Files.delete(out.resolve("checkpoint"));
    Files.move(outside.resolve("checkpoint"), out.resolve("checkpoint"));

    Files.move(out.resolve("history.jsonl"), outside.resolve("history.jsonl"));
    Files.createSymbolicLink(out.resolve("history.jsonl"), outside.resolve("history.jsonl"));
    assertResumeRefused(resume, out, outside, out.resolve("history.jsonl"));
    Files.delete(out.resolve("history.jsonl"));
    Files.move(outside.resolve("history.jsonl"), out.resolve("history.jsonl"));

    // Without links the same command resumes.
    Run ok = pullback(resume);
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertThat(Files.readAllLines(out.resolve("history.jsonl"))).hasSize(4);
  }

  void assertResumeRefused(String[] args, Path out, Path outside, Path link) {
    var before = snapshot(out);
    var outsideBefore = snapshot(outside);
    Run run = pullback(args);
    assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
    assertThat(run.err()).contains(link.toString()).contains("symbolic link").contains(outside.toString());
    assertThat(snapshot(out)).isEqualTo(before);
    assertThat(snapshot(outside)).isEqualTo(outsideBefore);
  }
}
