package io.pullback.data;

import io.pullback.PullbackException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The IDX format of MNIST and Fashion-MNIST (LeCun et al.): a big-endian int32 magic number
 * {@code 0x000008NN} (type {@code 0x08} = unsigned byte, NN = number of dimensions), NN big-endian
 * int32 dimensions, then the values in row-major order, one unsigned byte each. Images are
 * {@code 0x00000803} (count, rows, columns), labels {@code 0x00000801} (count). A file may be
 * gzipped (recognised by its first two bytes, {@code 1f 8b}, whatever its name); offsets in
 * messages are then offsets in the decompressed content.
 *
 * <p>Cost: the whole (decompressed) file is read into one byte array, so a file must hold fewer
 * than 2³¹ − 8 bytes (MNIST's training images are 47 MB); reading is one sequential pass.
 *
 * <p>Every refusal is a data error (exit 3) naming the file and the byte offset: a wrong magic
 * number (offset 0), a negative or zero dimension (its offset), a file that ends before the header
 * or the values do (the offset where it ends and the bytes expected), bytes after the values.
 */
public final class IdxFile {
  /** Magic number of an IDX file of unsigned-byte images (3 dimensions). */
  public static final int IMAGES_MAGIC = 0x00000803;
  /** Magic number of an IDX file of unsigned-byte labels (1 dimension). */
  public static final int LABELS_MAGIC = 0x00000801;

  private final int[] dims;
  private final byte[] values;

  private IdxFile(int[] dims, byte[] values) {
    this.dims = dims;
    this.values = values;
  }

  /** The dimensions: {@code [count, rows, columns]} for images, {@code [count]} for labels (a copy). */
  public int[] dims() {
    return dims.clone();
  }

  /** The number of items (the first dimension). */
  public int count() {
    return dims[0];
  }

  /** Values per item: the product of the dimensions after the first (rows·columns for images, 1 for labels). */
  public int itemSize() {
    int s = 1;
    for (int i = 1; i < dims.length; i++) s *= dims[i];
    return s;
  }

  /** Value {@code j} of item {@code i}, as the unsigned byte 0..255. */
  public int value(int item, int j) {
    return values[item * itemSize() + j] & 0xFF;
  }

  /** The raw values, row-major {@code count × itemSize} unsigned bytes. Not to be modified. */
  public byte[] values() {
    return values;
  }

  /**
   * Reads an IDX file of unsigned bytes with the given magic number, gzipped or not.
   *
   * @param in the file's bytes (read to the end and closed)
   * @param name the file's name for messages
   * @param magic {@link #IMAGES_MAGIC} or {@link #LABELS_MAGIC}
   * @throws PullbackException (data) naming the file and byte offset when the content is not such a file
   */
  public static IdxFile read(InputStream in, String name, int magic) {
    byte[] bytes;
    boolean gzipped;
    try (BufferedInputStream buf = new BufferedInputStream(in)) {
      buf.mark(2);
      gzipped = buf.read() == 0x1f && buf.read() == 0x8b;
      buf.reset();
      bytes = (gzipped ? new GZIPInputStream(buf) : buf).readAllBytes();
    } catch (IOException | OutOfMemoryError e) {
      throw PullbackException.data("cannot read IDX file '" + name + "': " + e.getMessage());
    }
    return parse(bytes, gzipped ? name + "' (decompressed" : name + "'", magic);
  }

  /**
   * The values of items {@code [from, from + items)} of an IDX file already checked by {@link #read}
   * with {@code ndims} dimensions and {@code itemSize} values per item: the header and the items
   * before {@code from} are skipped (decompressing a gzipped file up to there), then
   * {@code items·itemSize} bytes are read. Cost: one sequential read up to the range's end.
   *
   * @throws PullbackException (data) when the file ends before the range (it changed since it was checked)
   */
  public static byte[] readRange(InputStream in, String name, int ndims, int itemSize, long from, int items) {
    long skip = 4L + 4L * ndims + from * itemSize;
    int length = Math.multiplyExact(items, itemSize);
    try (BufferedInputStream buf = new BufferedInputStream(in)) {
      buf.mark(2);
      boolean gzipped = buf.read() == 0x1f && buf.read() == 0x8b;
      buf.reset();
      InputStream s = gzipped ? new GZIPInputStream(buf) : buf;
      s.skipNBytes(skip);
      byte[] out = s.readNBytes(length);
      if (out.length < length) {
        throw PullbackException.data("IDX file '" + name + "' is truncated: it ends at byte offset " + (skip + out.length)
            + ", before the end of items " + from + ".." + (from + items - 1) + " at byte offset " + (skip + length)
            + " (did it change while it was read?)");
      }
      return out;
    } catch (java.io.EOFException e) {
      throw PullbackException.data("IDX file '" + name + "' is truncated: it ends before byte offset " + skip
          + " (did it change while it was read?)");
    } catch (IOException e) {
      throw PullbackException.data("cannot read IDX file '" + name + "': " + e.getMessage());
    }
  }

  /** {@code where} is the name followed by the closing quote (and a note when decompressed). */
  private static IdxFile parse(byte[] b, String where, int magic) {
    String file = "IDX file '" + where;
    int ndims = magic & 0xFF;
    long header = 4L + 4L * ndims;
    if (b.length < 4) throw truncated(file, b.length, header, "the 4-byte magic number");
    int found = readInt(b, 0);
    if (found != magic) {
      throw PullbackException.data(file + ", byte offset 0: magic number 0x" + hex(found) + ", expected 0x" + hex(magic)
          + (magic == IMAGES_MAGIC ? " (unsigned-byte images: count, rows, columns)" : " (unsigned-byte labels: count)"));
    }
    if (b.length < header) throw truncated(file, b.length, header, "the header (" + ndims + " dimensions)");
    int[] dims = new int[ndims];
    long size = 1;
    for (int i = 0; i < ndims; i++) {
      dims[i] = readInt(b, 4 + 4 * i);
      if (dims[i] < 1) {
        throw PullbackException.data(file + ", byte offset " + (4 + 4 * i) + ": dimension " + (i + 1) + " is " + dims[i]
            + "; every dimension must be >= 1");
      }
      size *= dims[i];
    }
    long expected = header + size;
    if (b.length < expected) {
      throw truncated(file, b.length, expected, size + " values (" + join(dims) + ")");
    }
    if (b.length > expected) {
      throw PullbackException.data(file + ", byte offset " + expected + ": " + (b.length - expected)
          + " bytes after the " + size + " values (" + join(dims) + "); the file is not one IDX array");
    }
    byte[] values = java.util.Arrays.copyOfRange(b, (int) header, b.length);
    return new IdxFile(dims, values);
  }

  private static PullbackException truncated(String file, long length, long expected, String what) {
    return PullbackException.data(file + " is truncated: it ends at byte offset " + length + ", before the end of "
        + what + " at byte offset " + expected);
  }

  private static int readInt(byte[] b, int off) {
    return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
  }

  private static String hex(int v) {
    return String.format("%08x", v);
  }

  private static String join(int[] dims) {
    StringBuilder s = new StringBuilder();
    for (int d : dims) s.append(s.length() == 0 ? "" : " x ").append(d);
    return s.toString();
  }

  /**
   * Writes an IDX file of unsigned bytes (the inverse of {@link #read}), for tests and tools.
   *
   * @param dims the dimensions (images: count, rows, columns; labels: count)
   * @param values row-major, the product of {@code dims} bytes
   * @param gzip whether to gzip the file
   */
  public static void write(OutputStream out, int[] dims, byte[] values, boolean gzip) throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    int magic = 0x00000800 | dims.length;
    writeInt(raw, magic);
    for (int d : dims) writeInt(raw, d);
    raw.write(values);
    if (gzip) {
      try (GZIPOutputStream z = new GZIPOutputStream(out)) {
        raw.writeTo(z);
      }
    } else {
      raw.writeTo(out);
      out.close();
    }
  }

  private static void writeInt(OutputStream o, int v) throws IOException {
    o.write(v >>> 24);
    o.write(v >>> 16);
    o.write(v >>> 8);
    o.write(v);
  }
}
