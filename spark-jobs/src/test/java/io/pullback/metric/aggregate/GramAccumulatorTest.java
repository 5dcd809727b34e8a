package io.pullback.metric.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The accumulator against a naive sum of per-row outer products, with no Spark. */
class GramAccumulatorTest {

  static Stream<Arguments> cases() {
    // seed, N, block sizes
    return Stream.of(
        Arguments.of(1L, 1, new int[] {3}),
        Arguments.of(2L, 7, new int[] {5, 1, 9}),
        Arguments.of(3L, 33, new int[] {16, 16, 4}),
        Arguments.of(4L, 64, new int[] {100}),
        Arguments.of(5L, 17, new int[] {0, 2, 40}));
  }

  /** Column-major rows × n random block. */
  static double[] randomBlock(SplittableRandom rng, int rows, int n) {
    double[] a = new double[rows * n];
    for (int i = 0; i < a.length; i++) a[i] = rng.nextDouble(-1, 1);
    return a;
  }

  static void addNaive(double[] g, double[] a, int rows, int n) {
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) g[i * n + j] += a[i * rows + r] * a[j * rows + r];
      }
    }
  }

  /** Row-major copy of a column-major rows × n block. */
  static double[] rowMajor(double[] a, int rows, int n) {
    double[] t = new double[rows * n];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < n; j++) t[r * n + j] = a[j * rows + r];
    }
    return t;
  }

  /** How the blocks of a case are handed to the accumulator. */
  enum Layout { COLUMN_MAJOR, ROW_MAJOR, ALTERNATING }

  @ParameterizedTest(name = "seed={0} N={1}")
  @MethodSource("cases")
  void equalsNaiveSumOfOuterProductsForEveryKernelTileChunkAndLayout(long seed, int n, int[] blocks) {
    System.out.println("seed " + seed);
    // Tiles that divide N, do not divide it, and exceed it; chunks off, smaller and larger than blocks.
    // tile, chunk (min rows per call), max rows per call (row slices of big blocks). Alternating layouts
    // (odd seeds start row-major) switch the chunk buffer's layout between blocks.
    int[][] tileAndChunk = {{256, 0, 0}, {4, 0, 7}, {5, 8, 0}, {1, 3, 2}, {64, 256, 0}, {3, 4, 16}};
    for (Layout layout : Layout.values()) {
      for (GramAccumulator.Kernel kernel : GramAccumulator.Kernel.values()) {
        for (int[] tc : tileAndChunk) {
          SplittableRandom rng = new SplittableRandom(seed);
          GramAccumulator acc = new GramAccumulator(n, kernel, tc[0], tc[1], tc[2]);
          double[] naive = new double[n * n];
          double weight = 0;
          for (int b = 0; b < blocks.length; b++) {
            int rows = blocks[b];
            double[] a = randomBlock(rng, rows, n);
            boolean asRows = layout == Layout.ROW_MAJOR || (layout == Layout.ALTERNATING && (b + seed) % 2 == 1);
            if (asRows) acc.addRowMajor(rowMajor(a, rows, n), rows, rows, rows); else acc.add(a, rows, rows, rows);
            addNaive(naive, a, rows, n);
            weight += rows;
          }
          double[] g = acc.finish();
          // Tolerance: sums of <=100 products of values in [-1,1]; rounding ~1e-16 * 100.
          for (int k = 0; k < n * n; k++) {
            assertThat(g[k]).as("%s kernel %s tile %d chunk %d max rows %d entry %d", layout, kernel, tc[0], tc[1], tc[2], k)
                .isCloseTo(naive[k] / weight, org.assertj.core.api.Assertions.within(1e-13));
          }
          assertThat(acc.count()).isEqualTo(java.util.Arrays.stream(blocks).sum());
        }
      }
    }
  }

  @Test
  void rowMajorRejectsShortFactorBuffer() {
    assertThatThrownBy(() -> new GramAccumulator(4).addRowMajor(new double[7], 2, 2, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rows*N = 8");
  }

  @Test
  void packedSmallBlocksSurviveSerialisationAndMerge() throws Exception {
    SplittableRandom rng = new SplittableRandom(77);
    int n = 9;
    GramAccumulator acc = new GramAccumulator(n, GramAccumulator.Kernel.GEMM_TILES, 4, 50);
    double[] naive = new double[n * n];
    for (int rows : new int[] {3, 7, 2}) { // 12 rows, all still in the chunk buffer
      double[] a = randomBlock(rng, rows, n);
      acc.add(a, rows, rows, rows);
      addNaive(naive, a, rows, n);
    }
    var bytes = new java.io.ByteArrayOutputStream();
    try (var out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(acc);
    }
    GramAccumulator copy;
    try (var in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (GramAccumulator) in.readObject();
    }
    double[] a = randomBlock(rng, 4, n);
    copy.add(a, 4, 4, 4);
    addNaive(naive, a, 4, n);
    double[] g = new GramAccumulator(n, GramAccumulator.Kernel.SYRK).merge(copy).finish();
    for (int k = 0; k < n * n; k++) {
      assertThat(g[k]).isCloseTo(naive[k] / 16, org.assertj.core.api.Assertions.within(1e-13));
    }
  }

  @ParameterizedTest(name = "seed={0} N={1}")
  @MethodSource("cases")
  void mergingTwoHalvesEqualsAddingEverything(long seed, int n, int[] blocks) {
    SplittableRandom rng = new SplittableRandom(seed);
    GramAccumulator all = new GramAccumulator(n);
    GramAccumulator left = new GramAccumulator(n);
    GramAccumulator right = new GramAccumulator(n);
    for (int b = 0; b < blocks.length; b++) {
      double[] a = randomBlock(rng, blocks[b], n);
      all.add(a, blocks[b], blocks[b], blocks[b]);
      (b % 2 == 0 ? left : right).add(a, blocks[b], blocks[b], blocks[b]);
    }
    GramAccumulator viaPacked = new GramAccumulator(n).mergePacked(left.packedUpper(), left.weightSum(), left.count())
        .mergePacked(right.packedUpper(), right.weightSum(), right.count());
    left.merge(right);
    assertThat(left.count()).isEqualTo(all.count());
    assertThat(left.weightSum()).isEqualTo(all.weightSum());
    double[] expected = all.finish();
    double[] merged = left.finish();
    double[] packed = viaPacked.finish();
    for (int k = 0; k < n * n; k++) {
      assertThat(merged[k]).isCloseTo(expected[k], org.assertj.core.api.Assertions.within(1e-13));
      assertThat(packed[k]).isEqualTo(merged[k]);
    }
  }

  @Test
  void finishWithoutWeightIsAClearError() {
    assertThatThrownBy(() -> new GramAccumulator(3).finish())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("at least one example");
  }

  @Test
  void rejectsShortFactorBuffer() {
    assertThatThrownBy(() -> new GramAccumulator(3).add(new double[5], 2, 2, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rows*N");
  }
}
