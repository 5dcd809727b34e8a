package io.pullback.distributed;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.distributed.BlockedMetricEstimator.Tile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Bulk serialization of doubles and tiles keeps every bit. */
class BulkDoublesTest {

  @SuppressWarnings("unchecked")
  static <T> T roundTrip(T value) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (T) in.readObject();
    }
  }

  static double[] awkward(int n, long seed) {
    Random rnd = new Random(seed);
    double[] v = new double[n];
    for (int k = 0; k < n; k++) v[k] = Double.longBitsToDouble(rnd.nextLong());
    if (n > 3) {
      v[0] = -0.0;
      v[1] = Double.longBitsToDouble(0x7ff8_0000_0000_1234L); // a NaN with a payload
      v[2] = Double.MIN_VALUE;
    }
    return v;
  }

  @Test
  void doublesSurviveBitForBitAcrossChunkBoundaries() throws Exception {
    for (int n : new int[] {0, 1, 5, 8191, 8192, 8193, 3 * 8192 + 7}) {
      double[] v = awkward(n, n);
      double[] back = roundTrip(new BulkDoubles(v)).values();
      assertThat(back).hasSize(n);
      for (int k = 0; k < n; k++) {
        assertThat(Double.doubleToRawLongBits(back[k])).as("n=%d k=%d", n, k).isEqualTo(Double.doubleToRawLongBits(v[k]));
      }
    }
  }

  @Test
  void tilesSurviveAndSerializeCompactly() throws Exception {
    double[] v = awkward(300 * 257, 3);
    Tile t = new Tile(4, 9, 300, 257, v);
    Tile back = roundTrip(t);
    assertThat(new int[] {back.i(), back.j(), back.rows(), back.cols()}).containsExactly(4, 9, 300, 257);
    for (int k = 0; k < v.length; k++) assertThat(Double.doubleToRawLongBits(back.values()[k])).isEqualTo(Double.doubleToRawLongBits(v[k]));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(t);
    }
    // Raw bytes plus block-data headers (5 bytes per KiB) and the class descriptor.
    assertThat(bytes.size()).isBetween(8 * v.length, (int) (8 * v.length * 1.01) + 1024);
  }
}
