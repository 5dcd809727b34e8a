package io.pullback.distributed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import io.pullback.data.ExampleBlock;
import io.pullback.data.RawExample;
import io.pullback.data.SyntheticSpec;
import io.pullback.model.LabelRule;
import io.pullback.model.OutputDistribution;
import io.pullback.model.SyntheticGenerator;
import io.pullback.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading, validation and packing: layout, determinism and the errors users see. */
class DataLoaderTest extends SharedSpark {
  static final LabelRule BINARY = new LabelRule(OutputDistribution.BERNOULLI_LOGIT, 1, "logistic");
  static final LabelRule REGRESSION = new LabelRule(OutputDistribution.GAUSSIAN, 1, "mlp");

  @TempDir
  Path dir;

  LoadedData load(String data, Integer partitions, int blockRows, LabelRule rule, String weightCol) {
    return DataLoader.load(spark, new DataLoader.Options(data, null, null, weightCol, null, partitions, d -> blockRows, rule));
  }

  @Test
  void syntheticRowsDoNotDependOnThePartitioning() {
    String data = "synthetic:gaussian?rows=101&features=3&seed=4&classes=2";
    SyntheticGenerator gen = new SyntheticGenerator(SyntheticSpec.parse(data));
    for (int p : new int[] {1, 4, 7}) {
      LoadedData loaded = load(data, p, 10, BINARY, null);
      assertThat(loaded.partitions()).isEqualTo(p);
      assertThat(loaded.examples()).isEqualTo(101);
      assertThat(loaded.weightSum()).isEqualTo(101.0);
      List<List<ExampleBlock>> parts = loaded.blocks().glom().collect();
      long expectedIndex = 0;
      for (int k = 0; k < parts.size(); k++) {
        for (ExampleBlock b : parts.get(k)) {
          assertThat(b.firstIndex()).as("partition %d holds a contiguous run", k).isEqualTo(expectedIndex);
          assertThat(b.rows()).isBetween(1, 10);
          for (int r = 0; r < b.rows(); r++) {
            RawExample expected = gen.row(expectedIndex + r);
            for (int j = 0; j < 3; j++) assertThat(b.feature(r, j)).isEqualTo(expected.features()[j]);
            assertThat(b.label(r)).isEqualTo(expected.labels()[0]);
          }
          expectedIndex += b.rows();
        }
      }
      assertThat(expectedIndex).isEqualTo(101);
      loaded.release();
    }
  }

  @Test
  void syntheticClassLabelsAreGeneratedInTheExecutorsAndIdenticalForAnyPartitionCount() {
    // Four classes for a softmax model: labels 0..3, each class present, the same blocks' contents
    // (features and labels, row by row) for 2 and 5 partitions.
    String data = "synthetic:gaussian?rows=3000&features=5&seed=9&classes=4";
    LabelRule softmax4 = new LabelRule(OutputDistribution.CATEGORICAL_SOFTMAX, 4, "softmax");
    double[][] byPartitioning = new double[2][];
    int[] partitionCounts = {2, 5};
    for (int t = 0; t < 2; t++) {
      LoadedData loaded = load(data, partitionCounts[t], 64, softmax4, null);
      assertThat(loaded.partitions()).isEqualTo(partitionCounts[t]);
      // Every partition generated its own rows: no partition is empty and the driver never held them.
      List<Integer> perPartition = loaded.blocks().mapPartitions(it -> {
        int n = 0;
        while (it.hasNext()) n += it.next().rows();
        return List.of(n).iterator();
      }).collect();
      assertThat(perPartition).allSatisfy(n -> assertThat(n).isGreaterThan(0));
      double[] flat = new double[3000 * 6];
      for (ExampleBlock b : loaded.blocks().collect()) {
        for (int r = 0; r < b.rows(); r++) {
          int i = (int) (b.firstIndex() + r);
          for (int j = 0; j < 5; j++) flat[i * 6 + j] = b.feature(r, j);
          flat[i * 6 + 5] = b.label(r);
        }
      }
      byPartitioning[t] = flat;
      loaded.release();
    }
    assertThat(byPartitioning[1]).isEqualTo(byPartitioning[0]);
    int[] counts = new int[4];
    for (int i = 0; i < 3000; i++) {
      double y = byPartitioning[0][i * 6 + 5];
      assertThat(y).isIn(0.0, 1.0, 2.0, 3.0);
      counts[(int) y]++;
    }
    for (int c : counts) assertThat(c).as("examples per class %s", java.util.Arrays.toString(counts)).isGreaterThan(100);
  }

  @Test
  void csvIsRangePartitionedInFileOrderWithWeightsAndMinusOneLabels() throws Exception {
    StringBuilder sb = new StringBuilder("a,label,w,b\n");
    for (int i = 0; i < 23; i++) sb.append(i).append(',').append(i % 2 == 0 ? -1 : 1).append(',').append(0.5 * i).append(',').append(-i).append('\n');
    Path csv = dir.resolve("d.csv");
    Files.writeString(csv, sb.toString());
    LoadedData loaded = load(csv.toString(), 3, 4, BINARY, "w");
    assertThat(loaded.dim()).isEqualTo(2);
    assertThat(loaded.inputPaths()).hasSize(1);
    double weights = 0;
    for (int i = 0; i < 23; i++) weights += 0.5 * i;
    assertThat(loaded.weightSum()).isEqualTo(weights);
    List<List<ExampleBlock>> parts = loaded.blocks().glom().collect();
    assertThat(parts).hasSize(3);
    long next = 0;
    for (List<ExampleBlock> part : parts) {
      for (ExampleBlock b : part) {
        assertThat(b.firstIndex()).isEqualTo(next);
        for (int r = 0; r < b.rows(); r++) {
          long i = next + r;
          assertThat(b.feature(r, 0)).isEqualTo(i);       // column a
          assertThat(b.feature(r, 1)).isEqualTo(-i);      // column b (label and weight skipped)
          assertThat(b.label(r)).isEqualTo(i % 2 == 0 ? 0.0 : 1.0); // -1 read as 0
          assertThat(b.weight(r)).isEqualTo(0.5 * i);
        }
        next += b.rows();
      }
    }
    loaded.release();
  }

  @Test
  void firstBadRowIsReportedByIndex() throws Exception {
    Path csv = dir.resolve("bad.csv");
    Files.writeString(csv, "x,label\n1,0.5\n2,0.25\n3,NaN\n4,Inf\n");
    assertThatThrownBy(() -> load(csv.toString(), 2, 2, REGRESSION, null))
        .isInstanceOf(PullbackException.class)
        .hasMessageContaining("bad.csv").hasMessageContaining("line 4").hasMessageContaining("label value 0 is NaN")
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(3));
  }

  @Test
  void negativeWeightIsRefused() throws Exception {
    Path csv = dir.resolve("w.csv");
    Files.writeString(csv, "x,label,w\n1,0.5,1\n2,0.25,-2\n");
    assertThatThrownBy(() -> load(csv.toString(), null, 2, REGRESSION, "w"))
        .isInstanceOf(PullbackException.class).hasMessageContaining("line 3").hasMessageContaining("weight -2.0");
  }

  @Test
  void missingWeightColumnIsAUsageError() throws Exception {
    Path csv = dir.resolve("nw.csv");
    Files.writeString(csv, "x,label\n1,0.5\n");
    assertThatThrownBy(() -> load(csv.toString(), null, 2, REGRESSION, "weight"))
        .isInstanceOf(PullbackException.class).hasMessageContaining("[x, label]")
        .satisfies(e -> assertThat(io.pullback.cli.Flags.message((PullbackException) e)).startsWith("--weight-col: column 'weight'"))
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(2));
  }

  /** The rows Spark's own readers give (the reference), in file order, as label followed by features. */
  static List<double[]> sparkRows(org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> df, boolean libsvm) {
    List<double[]> out = new java.util.ArrayList<>();
    for (org.apache.spark.sql.Row r : df.collectAsList()) {
      if (libsvm) {
        double[] x = ((org.apache.spark.ml.linalg.Vector) r.get(1)).toArray();
        double[] row = new double[x.length + 1];
        row[0] = r.getDouble(0);
        System.arraycopy(x, 0, row, 1, x.length);
        out.add(row);
      } else {
        double[] row = new double[r.length()];
        row[0] = ((Number) r.get(r.length() - 1)).doubleValue(); // label is the last column
        for (int j = 0; j + 1 < r.length(); j++) row[j + 1] = ((Number) r.get(j)).doubleValue();
        out.add(row);
      }
    }
    return out;
  }

  static List<double[]> loadedRows(LoadedData loaded) {
    List<double[]> out = new java.util.ArrayList<>();
    for (ExampleBlock b : loaded.blocks().collect()) {
      for (int r = 0; r < b.rows(); r++) {
        double[] row = new double[b.dim() + 1];
        row[0] = b.label(r);
        for (int j = 0; j < b.dim(); j++) row[j + 1] = b.feature(r, j);
        out.add(row);
      }
    }
    return out;
  }

  @Test
  void textReadersGiveSparksOwnValuesBitForBitInFileOrder() throws Exception {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(77);
    StringBuilder svm = new StringBuilder("# comment line\n");
    StringBuilder csv = new StringBuilder("a,b,c,label\n");
    for (int i = 0; i < 300; i++) {
      double a = rnd.nextGaussian() * 1e3;
      double b = Math.scalb(rnd.nextDouble(), rnd.nextInt(-60, 60));
      double c = rnd.nextInt(-5, 5) / 8.0;
      int y = i % 2;
      svm.append(y).append(" 1:").append(a).append(" 2:").append(String.format(java.util.Locale.ROOT, "%.17g", b));
      if (c != 0) svm.append(" 4:").append(c);
      svm.append(i % 7 == 0 ? "\r\n" : "\n");
      if (i % 50 == 0) svm.append("\n");
      csv.append(a).append(',').append(b).append(',').append(c).append(',').append(y).append('\n');
    }
    Path lib = dir.resolve("ref.libsvm");
    Files.writeString(lib, svm.toString());
    Path c = dir.resolve("ref.csv");
    Files.writeString(c, csv.toString());
    List<double[]> refSvm = sparkRows(spark.read().format("libsvm").option("numFeatures", 4).load(lib.toString()), true);
    List<double[]> refCsv = sparkRows(spark.read().option("header", "true").option("inferSchema", "true").csv(c.toString()), false);
    for (Integer p : new Integer[] {null, 3}) {
      LoadedData a = DataLoader.load(spark, new DataLoader.Options(lib.toString(), null, null, null, 4, p, d -> 16, BINARY));
      assertThat(loadedRows(a)).as("LIBSVM, partitions %s", p).containsExactlyElementsOf(refSvm);
      a.release();
      LoadedData b = load(c.toString(), p, 16, BINARY, null);
      assertThat(loadedRows(b)).as("CSV, partitions %s", p).containsExactlyElementsOf(refCsv);
      b.release();
    }
    LoadedData scanned = load(lib.toString(), 2, 16, BINARY, null);
    assertThat(scanned.dim()).as("D found by the scan without --features").isEqualTo(4);
    scanned.release();
  }

  @Test
  void unknownSyntheticParameterIsAUsageError() {
    assertThatThrownBy(() -> SyntheticSpec.parse("synthetic:gaussian?rows=10&colums=3"))
        .isInstanceOf(PullbackException.class).hasMessageContaining("colums");
  }
}
