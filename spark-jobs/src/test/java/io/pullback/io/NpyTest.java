package io.pullback.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The .npy writer and reader against the format specification (and numpy itself when present). */
class NpyTest {
  @TempDir
  Path dir;

  @ParameterizedTest(name = "{0}x{1}")
  @CsvSource({"0,0", "1,1", "3,5", "100,100", "2,9000"})
  void matrixRoundTripsBitForBit(int rows, int cols) {
    SplittableRandom rng = new SplittableRandom(rows * 31L + cols);
    double[] a = new double[rows * cols];
    for (int i = 0; i < a.length; i++) a[i] = rng.nextGaussian();
    if (a.length > 2) {
      a[0] = Double.MIN_VALUE;
      a[1] = -0.0;
    }
    Path f = dir.resolve("m.npy");
    Npy.writeMatrix(f, a, rows, cols);
    Npy.Array back = Npy.readMatrix(f);
    assertThat(back.shape()).containsExactly(rows, cols);
    assertThat(Arrays.equals(back.data(), a)).isTrue();
  }

  @Test
  void headerFollowsTheSpecification() throws Exception {
    Path f = dir.resolve("v.npy");
    Npy.writeVector(f, new double[] {1.5, -2});
    byte[] bytes = Files.readAllBytes(f);
    assertThat(Arrays.copyOf(bytes, 6)).containsExactly((byte) 0x93, 'N', 'U', 'M', 'P', 'Y');
    assertThat(bytes[6]).isEqualTo((byte) 1);
    assertThat(bytes[7]).isEqualTo((byte) 0);
    int headerLength = (bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8;
    assertThat((10 + headerLength) % 64).isZero();
    String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
    assertThat(header).startsWith("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }").endsWith("\n");
    assertThat(bytes.length).isEqualTo(10 + headerLength + 16);
    ByteBuffer data = ByteBuffer.wrap(bytes, 10 + headerLength, 16).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(data.getDouble()).isEqualTo(1.5);
    assertThat(data.getDouble()).isEqualTo(-2.0);
  }

  @Test
  void numpyReadsWhatWeWrite() throws Exception {
    Assumptions.assumeTrue(hasNumpy(), "python3 with numpy is not installed");
    Path f = dir.resolve("g.npy");
    Npy.writeMatrix(f, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Process p = new ProcessBuilder("python3", "-c",
        "import numpy as np,sys; a=np.load(sys.argv[1]); print(a.shape, a.dtype, a[1,2], a.sum())", f.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(out).isEqualTo("(2, 3) float64 6.0 21.0");
  }

  static boolean hasNumpy() {
    try {
      Process p = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (Exception e) {
      return false;
    }
  }

  Path withHeader(String dict, int values) throws Exception {
    byte[] h = dict.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(10 + h.length + 8 * values).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length).put(h);
    Path f = dir.resolve("bad-" + System.nanoTime() + ".npy");
    Files.write(f, b.array());
    return f;
  }

  void assertRefused(Path f, String messagePart) {
    assertThatThrownBy(() -> Npy.read(f)).isInstanceOf(PullbackException.class)
        .hasMessageContaining(f.getFileName().toString()).hasMessageContaining(messagePart)
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(3));
  }

  @Test
  void corruptOrUnsupportedFilesAreRefusedNamingTheFile() throws Exception {
    Path notNpy = dir.resolve("text.npy");
    Files.writeString(notNpy, "hello, this is not numpy");
    assertRefused(notNpy, "bad magic");
    assertRefused(withHeader("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }\n", 1), ">f8");
    assertRefused(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 1), "<f4");
    assertRefused(withHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (1, 1), }\n", 1), "Fortran");
    assertRefused(withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n", 2), "truncated");
    assertRefused(withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n", 2), "past");
    assertRefused(withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }\n", 1), "rank 3");
    assertRefused(dir.resolve("missing.npy"), "does not exist");
  }

  @Test
  void readVectorRefusesAMatrix() {
    Path f = dir.resolve("mat.npy");
    Npy.writeMatrix(f, new double[4], 2, 2);
    assertThatThrownBy(() -> Npy.readVector(f)).isInstanceOf(PullbackException.class).hasMessageContaining("2 x 2");
  }
}
