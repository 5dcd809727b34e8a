package io.pullback.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The IDX reader against bytes this test lays out by hand from the format's definition
 * (big-endian int32 magic, big-endian int32 dimensions, unsigned bytes), plain and gzipped.
 */
class IdxFileTest {

  /** The file's bytes written here, independently of {@link IdxFile#write}. */
  static byte[] handWritten(int magic, int[] dims, byte[] values) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    int[] words = new int[dims.length + 1];
    words[0] = magic;
    System.arraycopy(dims, 0, words, 1, dims.length);
    for (int w : words) {
      o.write((w >> 24) & 0xFF);
      o.write((w >> 16) & 0xFF);
      o.write((w >> 8) & 0xFF);
      o.write(w & 0xFF);
    }
    o.writeBytes(values);
    return o.toByteArray();
  }

  static byte[] gzip(byte[] b) throws Exception {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(o)) {
      z.write(b);
    }
    return o.toByteArray();
  }

  static byte[] randomBytes(long seed, int n) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  @ParameterizedTest(name = "gzip={0}")
  @ValueSource(booleans = {false, true})
  void imagesAndLabelsRoundTrip(boolean gzipped) throws Exception {
    long seed = 5;
    System.out.println("seed " + seed);
    byte[] pixels = randomBytes(seed, 7 * 3 * 4);
    byte[] file = handWritten(0x00000803, new int[] {7, 3, 4}, pixels);
    IdxFile images = IdxFile.read(new ByteArrayInputStream(gzipped ? gzip(file) : file), "img", IdxFile.IMAGES_MAGIC);
    assertThat(images.dims()).containsExactly(7, 3, 4);
    assertThat(images.count()).isEqualTo(7);
    assertThat(images.itemSize()).isEqualTo(12);
    for (int i = 0; i < 7; i++) {
      for (int j = 0; j < 12; j++) assertThat(images.value(i, j)).isEqualTo(pixels[i * 12 + j] & 0xFF);
    }
    byte[] labels = {0, 9, (byte) 255, 3, 1, 1, 7};
    byte[] lf = handWritten(0x00000801, new int[] {7}, labels);
    IdxFile l = IdxFile.read(new ByteArrayInputStream(gzipped ? gzip(lf) : lf), "lab", IdxFile.LABELS_MAGIC);
    assertThat(l.count()).isEqualTo(7);
    assertThat(l.itemSize()).isEqualTo(1);
    assertThat(l.value(2, 0)).isEqualTo(255);

    // The writer produces exactly the hand-laid bytes (and a readable gzip).
    ByteArrayOutputStream w = new ByteArrayOutputStream();
    IdxFile.write(w, new int[] {7, 3, 4}, pixels, gzipped);
    byte[] written = w.toByteArray();
    if (!gzipped) assertThat(written).isEqualTo(file);
    IdxFile back = IdxFile.read(new ByteArrayInputStream(written), "w", IdxFile.IMAGES_MAGIC);
    assertThat(back.values()).isEqualTo(pixels);
  }

  @Test
  void badMagicIsRefusedAtOffsetZero() {
    byte[] labels = handWritten(0x00000801, new int[] {3}, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> IdxFile.read(new ByteArrayInputStream(labels), "train-labels", IdxFile.IMAGES_MAGIC))
        .isInstanceOf(PullbackException.class)
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(PullbackException.DATA))
        .hasMessageContaining("'train-labels'").hasMessageContaining("byte offset 0")
        .hasMessageContaining("0x00000801").hasMessageContaining("expected 0x00000803");
  }

  @Test
  void truncatedFilesAreRefusedWithTheOffsetWhereTheyEnd() throws Exception {
    byte[] full = handWritten(0x00000803, new int[] {2, 2, 2}, new byte[8]);
    byte[] shortData = Arrays.copyOf(full, full.length - 3); // 16 header + 5 of 8 values
    assertThatThrownBy(() -> IdxFile.read(new ByteArrayInputStream(shortData), "img", IdxFile.IMAGES_MAGIC))
        .isInstanceOf(PullbackException.class).hasMessageContaining("'img' is truncated")
        .hasMessageContaining("ends at byte offset 21").hasMessageContaining("8 values (2 x 2 x 2)")
        .hasMessageContaining("byte offset 24");
    byte[] shortHeader = Arrays.copyOf(full, 10);
    assertThatThrownBy(() -> IdxFile.read(new ByteArrayInputStream(gzip(shortHeader)), "img.gz", IdxFile.IMAGES_MAGIC))
        .isInstanceOf(PullbackException.class).hasMessageContaining("'img.gz' (decompressed")
        .hasMessageContaining("ends at byte offset 10").hasMessageContaining("the header (3 dimensions)");
    assertThatThrownBy(() -> IdxFile.read(new ByteArrayInputStream(new byte[] {0, 0}), "tiny", IdxFile.LABELS_MAGIC))
        .isInstanceOf(PullbackException.class).hasMessageContaining("ends at byte offset 2")
        .hasMessageContaining("magic number");
  }

  @Test
  void zeroDimensionAndTrailingBytesAreRefused() {
    byte[] zero = handWritten(0x00000803, new int[] {4, 0, 2}, new byte[0]);
    assertThatThrownBy(() -> IdxFile.read(new ByteArrayInputStream(zero), "z", IdxFile.IMAGES_MAGIC))
        .hasMessageContaining("byte offset 8").hasMessageContaining("dimension 2 is 0");
    byte[] longer = handWritten(0x00000801, new int[] {2}, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> IdxFile.read(new ByteArrayInputStream(longer), "l", IdxFile.LABELS_MAGIC))
        .hasMessageContaining("byte offset 10").hasMessageContaining("1 bytes after the 2 values");
  }
}
