package io.pullback.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.cli.TrainCommand;
import io.pullback.io.RunLock;
import io.pullback.optim.Checkpoint;
import io.pullback.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code train} stopped by a signal ({@link Interruption}): the job it was running fails with
 * Spark's checked {@link SparkException} ("Job N cancelled", thrown here from the step listener as a
 * cancelled job throws it) or with {@link Interruption.Stopped} between steps. Either way the
 * clean-up runs: before the first checkpoint {@code --out} is as it was (gone with the parents the
 * command created, or empty); after it the checkpoint stays, the history is cut back to it, the
 * lock is released and the kept step is recorded for the one-line message.
 */
class InterruptedStepTest extends SharedSpark {
  @TempDir
  Path dir;

  @AfterEach
  void forget() {
    Interruption.reset();
  }

  TrainConfig config(Path out, int checkpointEvery) {
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("data", "synthetic:gaussian?rows=40&features=3&seed=1&classes=2");
    options.put("model", "logistic");
    options.put("optimizer", "adam");
    options.put("steps", 6);
    options.put("checkpoint-every", checkpointEvery);
    return TrainCommand.configFrom(options, out.toString(), "test");
  }

  /** A listener that, after step {@code at}, receives a SIGINT while a Spark job runs: the job is cancelled. */
  static StepListener cancelledAfter(int at) {
    return (step, steps, loss, seconds) -> {
      if (step == at) {
        Interruption.request("INT", 130);
        throw sneaky(new SparkException("Job 7 cancelled as part of cancellation of all jobs"));
      }
    };
  }

  @SuppressWarnings("unchecked")
  static <E extends Throwable> RuntimeException sneaky(Throwable e) throws E {
    throw (E) e;
  }

  @Test
  void aCancelledJobAfterACheckpointKeepsItCutsTheHistoryAndReleasesTheLock() throws Exception {
    Path out = dir.resolve("run");
    assertThatThrownBy(() -> TrainJob.run(RunContext.of(spark), config(out, 1), cancelledAfter(3))).isInstanceOf(SparkException.class);
    assertThat(Checkpoint.read(out.resolve(TrainJob.CHECKPOINT)).step()).isEqualTo(2);
    assertThat(Interruption.kept()).isEqualTo(new Interruption.Kept(2, "{resume}"));
    assertThat(Files.readAllLines(out.resolve(TrainJob.HISTORY))).hasSize(2);
    assertThat(out.resolve(RunLock.FILE_NAME)).doesNotExist();
  }

  @Test
  void aCancelledJobBeforeTheFirstCheckpointRemovesTheFolderAndTheParentsItCreated() {
    Path out = dir.resolve("a").resolve("b").resolve("run");
    assertThatThrownBy(() -> TrainJob.run(RunContext.of(spark), config(out, 5), cancelledAfter(2))).isInstanceOf(SparkException.class);
    assertThat(dir.resolve("a")).doesNotExist();
    assertThat(Interruption.kept()).isNull();
  }

  @Test
  void aStopBetweenStepsInAPreMadeEmptyFolderLeavesItEmpty() throws Exception {
    Path out = Files.createDirectories(dir.resolve("premade"));
    StepListener signalled = (step, steps, loss, seconds) -> Interruption.request("TERM", 143);
    assertThatThrownBy(() -> TrainJob.run(RunContext.of(spark), config(out, 5), signalled)).isInstanceOf(Interruption.Stopped.class);
    assertThat(out).isEmptyDirectory();
  }
}
