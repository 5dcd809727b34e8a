package io.pullback.distributed;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.data.ExampleBlock;
import io.pullback.data.InputFormat;
import io.pullback.model.LabelRule;
import io.pullback.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.Dependency;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code {partitions}}, input whose tasks already hold the contiguous ranges (two Parquet files
 * of M/2 rows, read as two file partitions, {@code {partitions}} 2) is not shuffled: the loaded
 * blocks' lineage has no shuffle, and the blocks and the weight total equal, bit for bit, those of
 * the old row path (Spark's rows numbered by {@code zipWithIndex}, range-partitioned by a shuffle,
 * packed, weights totalled in a job). Unaligned ranges ({@code {partitions}} 3) are still shuffled,
 * and the weight total taken from the parse summaries (no {@code {partitions}}, Parquet and CSV)
 * equals the old path's too. Weights are seeded non-integers, so the order of the sum shows.
 */
class RangeAlignedLoadTest extends SharedSpark {
  static final int D = 4;
  static final int HALF = 300;
  static final LabelRule BINARY = new LabelRule(io.pullback.model.OutputDistribution.BERNOULLI_LOGIT, 1, "logistic");

  @TempDir
  static Path dir;

  static StructType schema() {
    List<StructField> f = new ArrayList<>();
    f.add(DataTypes.createStructField("label", DataTypes.DoubleType, false));
    for (int j = 1; j <= D; j++) f.add(DataTypes.createStructField("x" + j, DataTypes.DoubleType, false));
    f.add(DataTypes.createStructField("w", DataTypes.DoubleType, false));
    return DataTypes.createStructType(f);
  }

  static List<Row> rows(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < HALF; i++) {
      Object[] v = new Object[D + 2];
      v[0] = (double) rnd.nextInt(2);
      for (int j = 1; j <= D; j++) v[j] = rnd.nextGaussian();
      v[D + 1] = rnd.nextDouble() * 3.7;
      out.add(RowFactory.create(v));
    }
    return out;
  }

  /** Two Parquet files of {@code HALF} rows each, in folders part-0 and part-1 of one input folder. */
  Path twoFiles() {
    Path folder = dir.resolve("two.parquet");
    if (!Files.isDirectory(folder)) {
      for (int k = 0; k < 2; k++) {
        spark.createDataFrame(rows(31 + k), schema()).coalesce(1).write().mode(SaveMode.Overwrite)
            .parquet(folder.resolve("part-" + k).toString());
      }
    }
    return folder;
  }

  /** The Parquet files below {@code folder} as Spark reads them (the old path's input). */
  org.apache.spark.sql.Dataset<Row> read(Path folder) {
    try (var files = Files.walk(folder)) {
      return spark.read().parquet(files.map(Path::toString).filter(f -> f.endsWith(".parquet")).sorted().toArray(String[]::new));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static DataLoader.Options options(Path data, InputFormat format, Integer partitions) {
    return new DataLoader.Options(data.toString(), format, null, "w", null, partitions, d -> 64, BINARY);
  }

  static boolean shuffled(RDD<?> rdd) {
    for (Dependency<?> d : scala.jdk.javaapi.CollectionConverters.asJava(rdd.dependencies())) {
      if (d instanceof ShuffleDependency<?, ?, ?> || shuffled(d.rdd())) return true;
    }
    return false;
  }

  @Test
  void parquetFilesHoldingTheRangesAreNotShuffledAndGiveTheShuffledPathsBlocksAndWeights() {
    Path folder = twoFiles();
    assertThat(ParquetLoader.columnar(read(folder))).isNotNull();
    assertThat(read(folder).rdd().getNumPartitions()).as("one file per partition").isEqualTo(2);
    LoadedData ours = DataLoader.load(spark, options(folder, null, 2));
    LoadedData old = DataLoader.load(read(folder), options(folder, null, 2));
    try {
      assertThat(shuffled(ours.blocks().rdd())).as("aligned tasks are not shuffled").isFalse();
      assertThat(shuffled(old.blocks().rdd())).as("the old path shuffles").isTrue();
      assertSame(ours, old);
    } finally {
      ours.release();
      old.release();
    }
  }

  @Test
  void unalignedRangesAreStillShuffledAndEveryPathTotalsTheWeightsAsTheOldOne() throws IOException {
    Path folder = twoFiles();
    for (Integer p : new Integer[] {3, null}) {
      LoadedData ours = DataLoader.load(spark, options(folder, null, p));
      LoadedData old = DataLoader.load(read(folder), options(folder, null, p));
      try {
        assertThat(shuffled(ours.blocks().rdd())).as("partitions " + p).isEqualTo(p != null);
        assertSame(ours, old);
      } finally {
        ours.release();
        old.release();
      }
    }
    Path csv = dir.resolve("weighted.csv");
    StringBuilder text = new StringBuilder("label,x1,x2,x3,x4,w\n");
    for (Row r : rows(31)) text.append(r.mkString(",")).append('\n');
    Files.writeString(csv, text);
    for (Integer p : new Integer[] {null, 2}) {
      LoadedData ours = DataLoader.load(spark, options(csv, InputFormat.CSV, p));
      LoadedData old = DataLoader.load(spark.read().schema(schema()).option("header", "true").csv(csv.toString()),
          options(csv, InputFormat.CSV, p));
      try {
        assertSame(ours, old);
      } finally {
        ours.release();
        old.release();
      }
    }
  }

  private static void assertSame(LoadedData ours, LoadedData old) {
    assertThat(ours.examples()).isEqualTo(old.examples());
    assertThat(ours.partitions()).isEqualTo(old.partitions());
    List<List<ExampleBlock>> a = ours.blocks().glom().collect();
    assertThat(a).isEqualTo(old.blocks().glom().collect());
    assertThat(ours.weightSum()).as("weight total bit for bit").isEqualTo(old.weightSum());
    double naive = 0;
    for (List<ExampleBlock> part : a) {
      double partial = 0;
      for (ExampleBlock b : part) partial += b.weightSum();
      naive += partial;
    }
    assertThat(ours.weightSum()).as("per-partition partials added in order").isEqualTo(naive);
  }
}
