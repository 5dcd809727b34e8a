package io.pullback.ml;

import io.pullback.PullbackException;
import io.pullback.io.Json;
import io.pullback.io.Location;
import io.pullback.job.InputConfig;
import io.pullback.job.RunContext;
import io.pullback.job.StepListener;
import io.pullback.job.TrainConfig;
import io.pullback.job.TrainJob;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.param.Params;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * How both estimators fit: the Dataset's columns as {@code train}'s examples, {@link TrainJob#fit}
 * into a run folder, θ and the history back. The run folder is {@code checkpointDir} when the fit
 * checkpoints — resumed ({@code train --resume}: the same fingerprint check, {@code RunLock} and
 * checkpoint code) when it already holds a checkpoint, and kept afterwards — else a local scratch
 * folder removed after the fit.
 */
final class Fitting {
  private Fitting() {}

  /** θ after the fit and its history. */
  record Result(double[] theta, TrainingSummary summary) {}

  /** The columns the loader reads: {@code features}, {@code label} and (when set) {@code weight}, as doubles. */
  static Dataset<Row> examples(Dataset<?> dataset, String featuresCol, String labelCol, String weightCol) {
    List<Column> columns = new ArrayList<>();
    columns.add(functions.col(featuresCol).as("features"));
    columns.add(functions.col(labelCol).cast("double").as("label"));
    if (weightCol != null) columns.add(functions.col(weightCol).cast("double").as("weight"));
    return dataset.select(columns.toArray(new Column[0]));
  }

  /** Runs the fit of {@code owner}'s Params on {@code examples}; errors come back in Param names. */
  static Result run(Params owner, TrainingParams p, InputConfig input, Dataset<Row> examples) {
    RunContext ctx = RunContext.of(examples.sparkSession());
    double tol = (Double) owner.getOrDefault(p.tol);
    try {
      if (p.checkpoints(owner)) {
        String dir = owner.getOrDefault(p.checkpointDir);
        TrainConfig config = p.trainConfig(owner, input, dir, TrainJob.hasCheckpoint(ctx.hadoopConf(), dir));
        double[] theta = TrainJob.fit(ctx, config, examples, tol, StepListener.NONE);
        return new Result(theta, summary(Location.of(dir, ctx.hadoopConf(), "checkpointDir")));
      }
      Path scratch = scratchFolder();
      try {
        Path run = scratch.resolve("run");
        double[] theta = TrainJob.fit(ctx, p.trainConfig(owner, input, run.toString(), false), examples, tol, StepListener.NONE);
        return new Result(theta, summary(Location.local(run)));
      } finally {
        deleteQuietly(scratch);
      }
    } catch (PullbackException e) {
      throw ParamNames.rendered(e);
    }
  }

  /** The run folder's {@code history.jsonl} and {@code summary.json} pass count. */
  private static TrainingSummary summary(Location run) {
    try {
      long passes = Json.readTree(run.resolve("summary.json")).path("passes").asLong();
      return TrainingSummary.of(run.resolve("history.jsonl").readString(), passes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the history of " + run + ": " + e.getMessage(), e);
    }
  }

  /** A fresh local folder for the run's history and summary (removed after the fit). */
  private static Path scratchFolder() {
    try {
      return Files.createTempDirectory("pullback-fit-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a scratch folder for the fit: " + e.getMessage(), e);
    }
  }

  private static void deleteQuietly(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException ignored) {
      // a leftover temporary folder is harmless
    }
  }
}
