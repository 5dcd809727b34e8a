package io.pullback.distributed;

import java.io.Externalizable;
import java.io.IOException;
import java.io.ObjectInput;
import java.io.ObjectOutput;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;

/**
 * A {@code double[]} that Java serialization writes as raw little-endian bytes in bulk.
 *
 * <p>Java serialization converts a {@code double[]} one element at a time on both sides (a few hundred
 * MB/s), which dominated shuffling and re-reading metric tiles from disk (8 MiB each at T = 1024).
 * Here the values are copied through a 64 KiB buffer with {@link DoubleBuffer} bulk copies: same
 * bits, 2–4× faster here (measured on 8 MiB arrays). Spark's Kryo serializer (when configured) ignores this and writes the
 * array field directly.
 */
public final class BulkDoubles implements Externalizable {
  private static final long serialVersionUID = 1L;
  /** Doubles per copy through the byte buffer. */
  private static final int CHUNK = 8192;

  private double[] values;

  /** For deserialization only. */
  public BulkDoubles() {}

  public BulkDoubles(double[] values) {
    this.values = values;
  }

  /** The wrapped array (not a copy). */
  public double[] values() {
    return values;
  }

  @Override
  public void writeExternal(ObjectOutput out) throws IOException {
    write(out, values);
  }

  @Override
  public void readExternal(ObjectInput in) throws IOException {
    values = read(in);
  }

  /** Writes the length, then the values as little-endian bytes. */
  static void write(ObjectOutput out, double[] v) throws IOException {
    out.writeInt(v.length);
    byte[] buf = new byte[8 * Math.min(CHUNK, Math.max(1, v.length))];
    DoubleBuffer db = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
    for (int off = 0; off < v.length; off += CHUNK) {
      int k = Math.min(CHUNK, v.length - off);
      db.clear();
      db.put(v, off, k);
      out.write(buf, 0, 8 * k);
    }
  }

  /** Reads what {@link #write} wrote. */
  static double[] read(ObjectInput in) throws IOException {
    int n = in.readInt();
    if (n < 0) throw new IOException("negative array length " + n);
    double[] v = new double[n];
    byte[] buf = new byte[8 * Math.min(CHUNK, Math.max(1, n))];
    DoubleBuffer db = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
    for (int off = 0; off < n; off += CHUNK) {
      int k = Math.min(CHUNK, n - off);
      in.readFully(buf, 0, 8 * k);
      db.clear();
      db.get(v, off, k);
    }
    return v;
  }
}
