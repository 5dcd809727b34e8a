package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No dead ends (issue 15, item 3): a {@code train} that fails before its first checkpoint leaves
 * {@code --out} as it was (absent with the parents it created, or a pre-made folder empty); a
 * diverged run ends with exit 3, keeps its last good checkpoint and says how to go on (and following
 * that advice works); a full disk at the first checkpoint is exit 2 naming the file and leaves no
 * empty {@code checkpoint/}; an {@code --out} that is a link to an empty folder is written through.
 */
class RunFolderDeadEndsIT extends CliHarness {
  static final String DATA = "synthetic:gaussian?rows=40&features=3&seed=1&classes=2";

  @TempDir
  Path dir;

  String[] train(String out, String... more) {
    return Stream.concat(Stream.of("train", "--data", DATA, "--model", "logistic", "--steps", "6", "--out", out), Stream.of(more))
        .toArray(String[]::new);
  }

  /** Least squares by gd with step {@code lr}: with 1e50 or more, θ grows by that factor a step until the loss overflows. */
  static String[] leastSquares(String out, String lr, String... more) {
    return Stream.concat(Stream.of("train", "--data", "synthetic:uniform?rows=40&features=2&seed=1&noise=0.05", "--model", "linear-basis",
        "--optimizer", "gd", "--lr", lr, "--out", out), Stream.of(more)).toArray(String[]::new);
  }

  @Test
  void aFailureBeforeTheFirstCheckpointRemovesTheParentsItCreated() {
    Path out = dir.resolve("a").resolve("b").resolve("run");
    Run r = pullback(train(out.toString(), "--batch-fraction", "0.001"));
    assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
    assertThat(dir.resolve("a")).doesNotExist();
  }

  @Test
  void aDivergedRunInAPreMadeEmptyFolderLeavesItEmpty() throws Exception {
    Path out = Files.createDirectories(dir.resolve("premade"));
    Run r = pullback(leastSquares(out.toString(), "1e100", "--checkpoint-every", "5", "--steps", "6"));
    assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
    assertThat(out).isEmptyDirectory();
    Run rerun = pullback(train(out.toString(), "--optimizer", "gd"));
    assertThat(rerun.exitCode()).as(rerun.err()).isZero(); // a rerun is accepted
  }

  @Test
  void aDivergedRunKeepsItsLastCheckpointAndSaysHowToGoOnWithOtherSettings() throws Exception {
    Path out = dir.resolve("diverged");
    Run r = pullback(leastSquares(out.toString(), "1e50", "--checkpoint-every", "1", "--steps", "20"));
    assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("step (\\d+): the loss is Infinity").matcher(r.err());
    assertThat(m.find()).as(r.err()).isTrue();
    int kept = Integer.parseInt(m.group(1)) - 1;
    assertThat(kept).isPositive();
    Path params = out.resolve("last-finite-params.npy"); // θ at the start of the step before the overflow
    assertThat(r.err()).contains("The checkpoint of step " + kept + " is kept in " + out)
        .contains("--resume continues it with the same settings (only --steps, --checkpoint-every and Spark or driver settings may change)")
        .contains("train into a new --out from the last parameters with a finite loss with --params " + params).doesNotContain("internal error");
    assertThat(out.resolve("checkpoint").resolve("checkpoint.json")).isRegularFile();
    // The advice, followed: other settings from the kept parameters; and the folder still resumes (and diverges again).
    Run other = pullback(leastSquares(dir.resolve("smaller-step").toString(), "0.1", "--params", params.toString()));
    assertThat(other.exitCode()).as(other.err()).isZero();
    Run resumed = pullback(leastSquares(out.toString(), "1e50", "--checkpoint-every", "1", "--steps", "20", "--resume"));
    assertThat(resumed.exitCode()).as(resumed.err()).isEqualTo(3);
    assertThat(resumed.err()).contains("step " + (kept + 1) + ": the loss is Infinity");
  }

  @Test
  void aFullDiskAtTheFirstCheckpointIsAUsageErrorAndLeavesNoEmptyCheckpoint() {
    spark.sparkContext().hadoopConfiguration().set("fs.fullfs.impl", FullFileSystem.class.getName());
    spark.sparkContext().hadoopConfiguration().setBoolean("fs.fullfs.impl.disable.cache", true);
    spark.sparkContext().hadoopConfiguration().set("fs.AbstractFileSystem.fullfs.impl", FullFileSystem.Context.class.getName());
    Path out = dir.resolve("full");
    Run r = pullback(train("fullfs://" + out, "--optimizer", "gd", "--checkpoint-every", "2"));
    assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains("cannot write fullfs://" + out.resolve("checkpoint").resolve("checkpoint.json"))
        .contains("No space left on device").doesNotContain("internal error");
    assertThat(out).doesNotExist(); // created by the command, nothing checkpointed: removed, no empty checkpoint/ left
  }

  @Test
  void anOutThatLinksToAnEmptyFolderIsWrittenThrough() throws Exception {
    Path target = Files.createDirectories(dir.resolve("target"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), target);
    Run r = pullback("estimate", "--data", DATA, "--model", "logistic", "--out", link.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(link).isSymbolicLink();
    assertThat(target.resolve("summary.json")).isRegularFile();
    Run t = pullback(train(Files.createSymbolicLink(dir.resolve("link2"), Files.createDirectories(dir.resolve("target2"))).toString()));
    assertThat(t.exitCode()).as(t.err()).isZero();
    assertThat(dir.resolve("link2")).isSymbolicLink();
    assertThat(dir.resolve("target2").resolve("params.npy")).isRegularFile();
  }
}
