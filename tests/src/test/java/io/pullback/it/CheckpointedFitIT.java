package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import io.pullback.ml.NaturalGradientClassificationModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code checkpointInterval}/{@code checkpointDir} (issue 18): a fit in a child JVM killed with
 * SIGKILL after a checkpoint exists, then fitted again with the same {@code checkpointDir} in this
 * JVM, resumes (keeping the killed run's history up to its checkpoint) and ends bit-identical —
 * θ, losses, damping — to an uninterrupted fit; a resume with other settings is refused naming them.
 */
class CheckpointedFitIT extends CliHarness {
  @TempDir
  Path dir;

  static long lines(Path file) throws Exception {
    return Files.exists(file) ? Files.readAllLines(file).stream().filter(l -> !l.isBlank()).count() : 0;
  }

  Process child(Path checkpointDir) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String flag : System.getProperty("pullback.jvm.flags", "").trim().split("\\s+")) if (!flag.isEmpty()) command.add(flag);
    command.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"), CheckpointedFit.class.getName(),
        checkpointDir.toString()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb.start();
  }

  @Test
  void aKilledFitResumesFromItsCheckpointAndEndsBitIdentical() throws Exception {
    Dataset<Row> data = CheckpointedFit.data(spark).cache();
    NaturalGradientClassificationModel reference = CheckpointedFit.estimator(dir.resolve("reference").toString()).fit(data);
    assertThat(CheckpointedFit.estimator(null).fit(data).parameters()).as("checkpointing does not change the fit")
        .containsExactly(reference.parameters());

    Path killed = dir.resolve("killed");
    Path history = killed.resolve("history.jsonl");
    Process p = child(killed);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while ((!Files.isDirectory(killed.resolve("checkpoint")) || lines(history) < CheckpointedFit.EVERY + 2) && p.isAlive()
        && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(p.isAlive()).as("the child is still fitting when killed: %s", Files.readString(dir.resolve("child.log"))).isTrue();
    p.destroyForcibly(); // SIGKILL: no shutdown hook, the lock file and a partial history stay behind
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    long stepsBeforeKill = lines(history);
    assertThat(stepsBeforeKill).isBetween((long) CheckpointedFit.EVERY + 2, (long) CheckpointedFit.STEPS - 1);
    assertThat(killed.resolve("params.npy")).as("the killed fit did not finish").doesNotExist();

    NaturalGradientClassificationModel resumed = CheckpointedFit.estimator(killed.toString()).fit(data);
    assertThat(resumed.parameters()).as("θ after resuming").containsExactly(reference.parameters());
    assertThat(resumed.trainingSummary().loss()).containsExactly(reference.trainingSummary().loss());
    assertThat(resumed.trainingSummary().damping()).containsExactly(reference.trainingSummary().damping());
    assertThat(resumed.trainingSummary().totalIterations()).isEqualTo(CheckpointedFit.STEPS);

    // Other settings than the checkpoint's are refused (train's fingerprint check), in Param names.
    assertThatThrownBy(() -> CheckpointedFit.estimator(killed.toString()).setRegParam(0.5).fit(data))
        .isInstanceOf(PullbackException.class).hasMessageContaining("regParam").hasMessageContaining("checkpointDir")
        .message().doesNotContain("--", "{");
  }

  /**
   * The {@code tol} rule continues across a resume: a fit stopped by {@code maxIter} one step before
   * (and, separately, exactly at) the step where the uninterrupted fit stops by {@code tol}, resumed
   * with the larger {@code maxIter}, stops at that same step with the same θ.
   */
  @Test
  void theStoppingRuleContinuesAcrossAResume() throws Exception {
    Dataset<Row> data = CheckpointedFit.data(spark).cache();
    NaturalGradientClassificationModel whole = CheckpointedFit.estimator(null).setTol(1e-2).setCheckpointInterval(1).fit(data);
    int stop = whole.trainingSummary().totalIterations();
    assertThat(stop).as("tol stops the fit early").isBetween(3, CheckpointedFit.STEPS - 1);
    for (int first : new int[] {stop - 1, stop}) {
      String folder = dir.resolve("tol-" + first).toString();
      CheckpointedFit.estimator(folder).setTol(1e-2).setCheckpointInterval(1).setMaxIter(first).fit(data);
      NaturalGradientClassificationModel resumed = CheckpointedFit.estimator(folder).setTol(1e-2).setCheckpointInterval(1).fit(data);
      assertThat(resumed.trainingSummary().totalIterations()).as("resumed after step %d", first).isEqualTo(stop);
      assertThat(resumed.parameters()).containsExactly(whole.parameters());
    }
  }
}
