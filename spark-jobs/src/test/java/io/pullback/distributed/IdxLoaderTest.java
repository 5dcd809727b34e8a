package io.pullback.distributed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import io.pullback.data.ExampleBlock;
import io.pullback.data.IdxFile;
import io.pullback.data.InputFormat;
import io.pullback.model.LabelRule;
import io.pullback.model.OutputDistribution;
import io.pullback.testing.SharedSpark;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --format idx} and {@code --target inputs} on files this test writes. */
class IdxLoaderTest extends SharedSpark {
  static final LabelRule DIGITS = new LabelRule(OutputDistribution.CATEGORICAL_SOFTMAX, 10, "mlp");

  @TempDir
  Path dir;

  Path write(String name, int[] dims, byte[] values, boolean gzip) throws Exception {
    Path p = dir.resolve(name);
    try (OutputStream o = Files.newOutputStream(p)) {
      IdxFile.write(o, dims, values, gzip);
    }
    return p;
  }

  LoadedData load(Path images, Path labels, LabelRule rule, boolean targetInputs, int partitions) {
    return DataLoader.load(spark, new DataLoader.Options(images.toString(), InputFormat.IDX, null, null, null, partitions,
        d -> 4, rule, labels == null ? null : labels.toString(), targetInputs));
  }

  @Test
  void imagesAreScaledToUnitIntervalWithTheirLabelsInFileOrder() throws Exception {
    long seed = 11;
    System.out.println("seed " + seed);
    SplittableRandom rng = new SplittableRandom(seed);
    int m = 23;
    byte[] px = new byte[m * 6];
    rng.nextBytes(px);
    byte[] lb = new byte[m];
    for (int i = 0; i < m; i++) lb[i] = (byte) rng.nextInt(10);
    Path images = write("train-images-idx3-ubyte.gz", new int[] {m, 2, 3}, px, true);
    Path labels = write("train-labels-idx1-ubyte", new int[] {m}, lb, false);
    LoadedData d = load(images, labels, DIGITS, false, 3);
    assertThat(d.examples()).isEqualTo(m);
    assertThat(d.dim()).isEqualTo(6);
    assertThat(d.partitions()).isEqualTo(3);
    assertThat(d.inputPaths()).hasSize(2);
    int seen = 0;
    for (ExampleBlock b : d.blocks().collect()) {
      assertThat(b.firstIndex()).isEqualTo(seen);
      for (int r = 0; r < b.rows(); r++) {
        int i = seen + r;
        for (int j = 0; j < 6; j++) assertThat(b.feature(r, j)).isEqualTo((px[i * 6 + j] & 0xFF) / 255.0);
        assertThat(b.label(r)).isEqualTo(lb[i]);
      }
      seen += b.rows();
    }
    assertThat(seen).isEqualTo(m);
    d.release();
  }

  @Test
  void targetInputsMakesEveryLabelTheExampleItself() throws Exception {
    byte[] px = {0, (byte) 255, 51, 102, 10, 20, 30, 40};
    Path images = write("x-ubyte", new int[] {2, 2, 2}, px, false);
    LabelRule bernoulli4 = new LabelRule(OutputDistribution.BERNOULLI_LOGIT, 4, "mlp");
    LoadedData d = load(images, null, bernoulli4, true, 2);
    assertThat(d.labelDim()).isEqualTo(4);
    for (ExampleBlock b : d.blocks().collect()) {
      assertThat(b.labelDim()).isEqualTo(4);
      assertThat(b.labels()).containsExactly(b.features());
    }
    d.release();
    LabelRule wrongWidth = new LabelRule(OutputDistribution.BERNOULLI_LOGIT, 3, "mlp");
    assertThatThrownBy(() -> load(images, null, wrongWidth, true, 2)).isInstanceOf(PullbackException.class)
        .hasMessageContaining("target inputs").hasMessageContaining("set outputs 4");
  }

  @Test
  void labelsAreRequiredAndMustMatchTheImages() throws Exception {
    Path images = write("i-ubyte", new int[] {3, 1, 2}, new byte[6], false);
    Path labels = write("l-ubyte", new int[] {2}, new byte[2], false);
    assertThatThrownBy(() -> load(images, null, DIGITS, false, 1))
        .isInstanceOf(PullbackException.class).hasMessageContaining("labels is required");
    assertThatThrownBy(() -> load(images, labels, DIGITS, false, 1))
        .isInstanceOf(PullbackException.class).hasMessageContaining("has 2 labels").hasMessageContaining("has 3 images");
    Path badLabel = write("l3-ubyte", new int[] {3}, new byte[] {1, 12, 3}, false);
    assertThatThrownBy(() -> load(images, badLabel, DIGITS, false, 1))
        .isInstanceOf(PullbackException.class).hasMessageContaining("row 2").hasMessageContaining("12.0");
    // A labels file given as images: its magic is refused at offset 0, naming the file.
    assertThatThrownBy(() -> load(labels, null, DIGITS, true, 1))
        .isInstanceOf(PullbackException.class).hasMessageContaining("l-ubyte").hasMessageContaining("byte offset 0");
  }

  @Test
  void targetInputsWorksForTextInputsTooAndChecksTheValues() throws Exception {
    Path csv = dir.resolve("pixels.csv");
    Files.writeString(csv, "a,b,label\n0.5,1,7\n0,0.25,3\n");
    LabelRule bernoulli2 = new LabelRule(OutputDistribution.BERNOULLI_LOGIT, 2, "mlp");
    LoadedData d = DataLoader.load(spark, new DataLoader.Options(csv.toString(), null, null, null, null, 1, x -> 8,
        bernoulli2, null, true));
    ExampleBlock b = d.blocks().first();
    assertThat(b.labels()).containsExactly(0.5, 1, 0, 0.25);
    d.release();
    Path raw = dir.resolve("raw.csv");
    Files.writeString(raw, "a,b,label\n0.5,1,7\n0,16,3\n");
    assertThatThrownBy(() -> DataLoader.load(spark, new DataLoader.Options(raw.toString(), null, null, null, null, 1, x -> 8,
        bernoulli2, null, true)))
        .isInstanceOf(PullbackException.class).hasMessageContaining("row 2").hasMessageContaining("16.0")
        .hasMessageContaining("[0, 1]");
  }
}
