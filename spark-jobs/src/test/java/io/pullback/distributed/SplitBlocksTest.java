package io.pullback.distributed;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.data.ExampleBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/**
 * The block builder and the re-packing of range slices, without Spark, against rows written one by
 * one into plain arrays (seed 31).
 */
class SplitBlocksTest {

  @Test
  void builderGrowsPastItsFirstAllocationAndKeepsEveryRow() {
    SplittableRandom rnd = new SplittableRandom(31);
    int dim = 3;
    int rows = 1000;
    double[] x = new double[rows * dim];
    double[] y = new double[rows];
    double[] w = new double[rows];
    // Capacity 700 rows, first allocation 5 rows: grows 5, 10, 20, ..., 640, 700.
    SplitBlocks.Builder b = new SplitBlocks.Builder(dim, 1, true, 700, 5);
    List<ExampleBlock> blocks = new ArrayList<>();
    long first = 0;
    for (int i = 0; i < rows; i++) {
      int offset = b.reserve();
      for (int j = 0; j < dim; j++) b.features()[offset + j] = x[i * dim + j] = rnd.nextGaussian();
      y[i] = rnd.nextInt(2);
      w[i] = rnd.nextDouble();
      b.commit(new double[] {y[i]}, w[i]);
      if (b.full()) {
        blocks.add(b.build(first));
        first += b.rows();
        b = new SplitBlocks.Builder(dim, 1, true, 700, 5);
      }
    }
    blocks.add(b.build(first));
    assertThat(blocks).extracting(ExampleBlock::rows).containsExactly(700, 300);
    int i = 0;
    for (ExampleBlock block : blocks) {
      assertThat(block.firstIndex()).isEqualTo(i);
      for (int r = 0; r < block.rows(); r++, i++) {
        for (int j = 0; j < dim; j++) assertThat(block.feature(r, j)).isEqualTo(x[i * dim + j]);
        assertThat(block.label(r)).isEqualTo(y[i]);
        assertThat(block.weight(r)).isEqualTo(w[i]);
      }
    }
  }

  @Test
  void repackJoinsSlicesIntoBlocksOfTheGivenRows() {
    int dim = 2;
    List<Tuple2<Long, ExampleBlock>> slices = new ArrayList<>();
    long next = 10;
    for (int len : new int[] {3, 1, 7, 2}) {
      double[] x = new double[len * dim];
      double[] y = new double[len];
      for (int r = 0; r < len; r++) {
        x[r * dim] = next + r;
        x[r * dim + 1] = -(next + r);
        y[r] = (next + r) % 2;
      }
      slices.add(new Tuple2<>(next, new ExampleBlock(next, len, dim, 1, x, y, null)));
      next += len;
    }
    List<ExampleBlock> out = new ArrayList<>();
    SplitBlocks.repack(slices.iterator(), 4).forEachRemaining(out::add);
    assertThat(out).extracting(ExampleBlock::rows).containsExactly(4, 4, 4, 1);
    long i = 10;
    for (ExampleBlock b : out) {
      assertThat(b.firstIndex()).isEqualTo(i);
      for (int r = 0; r < b.rows(); r++, i++) {
        assertThat(b.feature(r, 0)).isEqualTo(i);
        assertThat(b.feature(r, 1)).isEqualTo(-i);
        assertThat(b.label(r)).isEqualTo(i % 2);
      }
    }
    assertThat(i).isEqualTo(23);
  }
}
