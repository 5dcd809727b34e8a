package io.pullback.distributed;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.ZstdOutputStream;
import io.pullback.data.ExampleBlock;
import io.pullback.data.InputFormat;
import io.pullback.metric.BoundFactorRows;
import io.pullback.metric.FactorRows;
import io.pullback.metric.MetricKind;
import io.pullback.model.Model;
import io.pullback.model.ModelSpec;
import io.pullback.model.Models;
import io.pullback.testing.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code .zst} input (LIBSVM and CSV, two concatenated Zstandard frames as {@code zstd} writes when
 * files are joined, the split inside a line) loads to the same blocks and the same dense metric, bit
 * for bit, as the uncompressed file, with and without {@code {partitions}} and, for LIBSVM, without
 * {@code {numFeatures}} (its feature-count pass reads the compressed text too). Hadoop's own
 * ZStandardCodec fails here ("native zStandard library not available"); the rows are the seeded rows
 * of {@link ReaderEquivalenceTest}.
 */
class ZstdInputTest extends SharedSpark {
  @TempDir
  static Path dir;

  /** {@code text} as two Zstandard frames, cut in the middle of a line. */
  static byte[] twoFrames(String text) throws IOException {
    byte[] raw = text.getBytes(StandardCharsets.UTF_8);
    int cut = raw.length / 2 + 3;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int[] part : new int[][] {{0, cut}, {cut, raw.length}}) {
      ByteArrayOutputStream frame = new ByteArrayOutputStream();
      try (OutputStream z = new ZstdOutputStream(frame, 3)) {
        z.write(raw, part[0], part[1] - part[0]);
      }
      out.write(frame.toByteArray());
    }
    return out.toByteArray();
  }

  @ParameterizedTest(name = "{0} partitions={1} features={2}")
  @CsvSource(nullValues = "none", value = {"libsvm, none, 6", "libsvm, 2, none", "csv, none, none", "csv, 3, none"})
  void aZstFileLoadsAsTheUncompressedFileBitForBit(String format, Integer partitions, Integer features) throws IOException {
    List<String[]> rows = ReaderEquivalenceTest.rows(2026);
    String text = format.equals("libsvm") ? ReaderEquivalenceTest.libsvm(rows, false) : ReaderEquivalenceTest.csv(rows);
    Path plain = dir.resolve("plain-" + partitions + "." + format);
    Path zst = dir.resolve("packed-" + partitions + "." + format + ".zst");
    Files.writeString(plain, text);
    Files.write(zst, twoFrames(text));
    assertThat(Files.size(zst)).isLessThan(Files.size(plain));
    LoadedData ours = DataLoader.load(spark, options(zst, features, partitions));
    LoadedData ref = DataLoader.load(spark, options(plain, features, partitions));
    try {
      assertThat(ours.examples()).isEqualTo(ReaderEquivalenceTest.ROWS);
      assertThat(ours.dim()).isEqualTo(ReaderEquivalenceTest.D);
      List<List<ExampleBlock>> a = ours.blocks().glom().collect();
      assertThat(a).isEqualTo(ref.blocks().glom().collect());
      Model model = Models.create(ModelSpec.logistic(ReaderEquivalenceTest.D));
      var source = new BoundFactorRows(new FactorRows(model, MetricKind.FISHER, 1, 3), model.initialParams(9));
      assertThat(DenseMetricEstimator.estimate(ours, source, 1L << 30).values()).as("metric bit for bit")
          .isEqualTo(DenseMetricEstimator.estimate(ref, source, 1L << 30).values());
    } finally {
      ours.release();
      ref.release();
    }
  }

  static DataLoader.Options options(Path data, Integer features, Integer partitions) {
    return new DataLoader.Options(data.toString(), (InputFormat) null, null, null, features, partitions, d -> 64,
        ReaderEquivalenceTest.BINARY);
  }
}
