package io.pullback.linalg;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The blocked copy against the plain double loop, for shapes that do and do not divide the tile. */
class TransposeTest {
  @Test
  void equalsThePlainLoopAndWritesNothingElse() {
    SplittableRandom rng = new SplittableRandom(5);
    int[][] shapes = {{1, 1}, {3, 70}, {33, 31}, {64, 64}, {100, 7}};
    for (int[] s : shapes) {
      int rows = s[0];
      int cols = s[1];
      double[] src = new double[rows * cols];
      for (int i = 0; i < src.length; i++) src[i] = rng.nextDouble();
      for (int stride : new int[] {1, 3}) {
        int offset = 2;
        int ld = rows * stride + 1;
        double[] expected = new double[offset + cols * ld];
        Arrays.fill(expected, -7);
        double[] actual = expected.clone();
        for (int c = 0; c < cols; c++) for (int r = 0; r < rows; r++) expected[offset + c * ld + r * stride] = src[r * cols + c];
        Transpose.rowToColumnMajor(src, rows, cols, actual, offset, ld, stride);
        assertThat(actual).as("%d x %d, stride %d", rows, cols, stride).containsExactly(expected);
      }
    }
  }

  @Test
  void columnMajorToRowMajorEqualsThePlainLoop() {
    SplittableRandom rng = new SplittableRandom(6);
    for (int[] s : new int[][] {{1, 1}, {3, 70}, {33, 31}, {100, 7}}) {
      int rows = s[0];
      int cols = s[1];
      double[] src = new double[rows * cols];
      for (int i = 0; i < src.length; i++) src[i] = rng.nextDouble();
      double[] expected = new double[rows * cols + 1];
      expected[rows * cols] = -7;
      double[] actual = expected.clone();
      for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) expected[r * cols + c] = src[c * rows + r];
      Transpose.columnToRowMajor(src, rows, cols, actual);
      assertThat(actual).as("%d x %d", rows, cols).containsExactly(expected);
    }
  }
}
