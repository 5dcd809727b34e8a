package io.pullback.io;

import io.pullback.PullbackException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files of float64, the exchange format for θ and dense metrics
 * ({@code numpy.load} reads them directly).
 *
 * <p>Format (version 1.0): the magic {@code \x93NUMPY}, bytes {@code 1, 0}, a little-endian uint16
 * header length, the header — a Python dict literal
 * {@code {'descr': '<f8', 'fortran_order': False, 'shape': (r, c), }} padded with spaces and ended
 * by {@code \n} so that magic + length + header is a multiple of 64 bytes — then the values,
 * little-endian, C (row-major) order. Only {@code <f8}, C order, 1-D and 2-D arrays are read; anything
 * else is refused with exit code 3 naming the file.
 *
 * <p>Writes are atomic ({@link AtomicFiles}) and stream the values in 64 KiB chunks.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
  private static final int CHUNK = 8192;
  /** Most values of one array (Java's array limit). */
  static final long MAX_VALUES = Integer.MAX_VALUE - 8;

  /** An array read from a file: its shape and row-major values. */
  public record Array(int[] shape, double[] data) {
    public int rows() {
      return shape.length == 0 ? 1 : shape[0];
    }

    public int cols() {
      return shape.length < 2 ? 1 : shape[1];
    }
  }

  private Npy() {}

  /** Writes a row-major {@code rows × cols} matrix. */
  public static void writeMatrix(Location file, double[] rowMajor, int rows, int cols) {
    if ((long) rows * cols != rowMajor.length) {
      throw new IllegalArgumentException("matrix of " + rowMajor.length + " values is not " + rows + " x " + cols);
    }
    write(file, rowMajor, "(" + rows + ", " + cols + ")");
  }

  /** As {@link #writeMatrix(Location, double[], int, int)} for a local path. */
  public static void writeMatrix(Path file, double[] rowMajor, int rows, int cols) {
    writeMatrix(Location.local(file), rowMajor, rows, cols);
  }

  /** As {@link #writeVector(Location, double[])} for a local path. */
  public static void writeVector(Path file, double[] values) {
    writeVector(Location.local(file), values);
  }

  /** As {@link #readVector(Location)} for a local path. */
  public static double[] readVector(Path file) {
    return readVector(Location.local(file));
  }

  /** As {@link #vectorLength(Location)} for a local path. */
  public static long vectorLength(Path file) {
    return vectorLength(Location.local(file));
  }

  /** As {@link #readMatrix(Location)} for a local path. */
  public static Array readMatrix(Path file) {
    return readMatrix(Location.local(file));
  }

  /** As {@link #header(Location)} for a local path. */
  public static Header header(Path file) {
    return header(Location.local(file));
  }

  /** As {@link #read(Location)} for a local path. */
  public static Array read(Path file) {
    return read(Location.local(file));
  }

  /** Writes a vector (shape {@code (n,)}). */
  public static void writeVector(Location file, double[] values) {
    write(file, values, "(" + values.length + ",)");
  }

  /** The header bytes (magic to newline) for a shape literal such as {@code (3, 4)}. */
  static byte[] header(String shape) {
    String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
    int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
    int padding = (64 - unpadded % 64) % 64;
    String text = dict + " ".repeat(padding) + "\n";
    ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + text.length()).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length()).put(text.getBytes(StandardCharsets.US_ASCII));
    return b.array();
  }

  private static void write(Location file, double[] values, String shape) {
    AtomicFiles.write(file, raw -> {
      OutputStream out = new BufferedOutputStream(raw, 1 << 16);
      out.write(header(shape));
      ByteBuffer chunk = ByteBuffer.allocate(CHUNK * 8).order(ByteOrder.LITTLE_ENDIAN);
      for (int start = 0; start < values.length; start += CHUNK) {
        int end = Math.min(values.length, start + CHUNK);
        chunk.clear();
        chunk.asDoubleBuffer().put(values, start, end - start);
        out.write(chunk.array(), 0, (end - start) * 8);
      }
      out.flush();
    });
  }

  /** Reads a vector; a 2-D array with one row or one column is accepted too. */
  public static double[] readVector(Location file) {
    Array a = read(file);
    if (a.shape().length == 2 && a.shape()[0] != 1 && a.shape()[1] != 1) {
      throw PullbackException.data(file + ": expected a vector, found a " + a.shape()[0] + " x " + a.shape()[1] + " matrix");
    }
    return a.data();
  }

  /** The length of the vector a file holds (checked as {@link #readVector} would, from the header only). */
  public static long vectorLength(Location file) {
    int[] shape = header(file).shape();
    if (shape.length == 2 && shape[0] != 1 && shape[1] != 1) {
      throw PullbackException.data(file + ": expected a vector, found a " + shape[0] + " x " + shape[1] + " matrix");
    }
    long n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  /** Reads a 2-D array. */
  public static Array readMatrix(Location file) {
    Array a = read(file);
    if (a.shape().length != 2) throw PullbackException.data(file + ": expected a 2-D array, found shape of rank " + a.shape().length);
    return a;
  }

  /**
   * A validated header: the shape, where the values start and how many there are.
   *
   * @param shape the dimensions (rank 0, 1 or 2), each ≥ 0
   * @param dataOffset bytes before the first value
   * @param count the number of values, {@code Π shape}
   */
  public record Header(int[] shape, long dataOffset, long count) {}

  /**
   * Reads and validates the header of a {@code .npy} file without reading its values: magic and
   * version, dtype {@code <f8}, C order, a shape of rank ≤ 2 with no negative dimension, a value
   * count that fits one Java array, and a file size of exactly header + 8 bytes per value. Anything
   * else is a data error (exit 3) naming the file and what is wrong, so nothing is allocated for a
   * file that cannot be what it says.
   */
  public static Header header(Location file) {
    if (file.isDirectory()) throw PullbackException.data("'" + file + "' is a folder, not a .npy file");
    if (!file.isFile()) throw PullbackException.data("file '" + file + "' does not exist");
    try (InputStream in = file.open()) {
      byte[] pre = in.readNBytes(10);
      if (pre.length < 10) throw PullbackException.data(file + ": not a .npy file (too short)");
      for (int i = 0; i < MAGIC.length; i++) {
        if (pre[i] != MAGIC[i]) throw PullbackException.data(file + ": not a .npy file (bad magic)");
      }
      int major = pre[6];
      long headerLength;
      long prefix = 10;
      if (major == 1) {
        headerLength = (pre[8] & 0xFF) | (pre[9] & 0xFF) << 8;
      } else if (major == 2 || major == 3) {
        byte[] more = in.readNBytes(2);
        if (more.length < 2) throw PullbackException.data(file + ": truncated .npy header");
        headerLength = ((pre[8] & 0xFFL) | (pre[9] & 0xFFL) << 8 | (more[0] & 0xFFL) << 16 | (more[1] & 0xFFL) << 24);
        prefix = 12;
      } else {
        throw PullbackException.data(file + ": unsupported .npy version " + major + "." + pre[7]);
      }
      long size = file.length();
      if (headerLength > Math.min(size - prefix, 1 << 20)) {
        throw PullbackException.data(file + ": truncated .npy header (it announces " + headerLength + " bytes, the file has "
            + size + ")");
      }
      byte[] headerBytes = in.readNBytes((int) headerLength);
      if (headerBytes.length < headerLength) throw PullbackException.data(file + ": truncated .npy header");
      String header = new String(headerBytes, StandardCharsets.ISO_8859_1);
      String descr = group(DESCR, header, file, "descr");
      if (!descr.equals("<f8")) {
        throw PullbackException.data(file + ": dtype '" + descr + "' is not supported; save float64 little-endian ('<f8'), e.g. np.save(f, a.astype('<f8'))");
      }
      if (group(FORTRAN, header, file, "fortran_order").equals("True")) {
        throw PullbackException.data(file + ": Fortran-order arrays are not supported; save with np.ascontiguousarray");
      }
      int[] shape = parseShape(group(SHAPE, header, file, "shape"), file);
      long count = 1;
      for (int s : shape) {
        count *= s;
        if (count > MAX_VALUES) throw PullbackException.data(file + ": shape " + shapeText(shape) + " holds more values than one array can (" + MAX_VALUES + ")");
      }
      long offset = prefix + headerLength;
      long expected = offset + 8 * count;
      if (size != expected) {
        throw PullbackException.data(file + ": the header announces shape " + shapeText(shape) + ", " + count + " values ("
            + expected + " bytes with the header), but the file has " + size + " bytes"
            + (size < expected ? " (truncated?)" : " (bytes past the values)"));
      }
      return new Header(shape, offset, count);
    } catch (IOException e) {
      throw PullbackException.data("cannot read '" + file + "': " + e.getMessage());
    }
  }

  /** Reads a 1-D or 2-D float64 C-order array, validating everything it relies on ({@link #header}) first. */
  public static Array read(Location file) {
    Header h = header(file);
    try (InputStream in = file.open()) {
      in.skipNBytes(h.dataOffset());
      double[] data = new double[(int) h.count()];
      ByteBuffer chunk = ByteBuffer.allocate(CHUNK * 8).order(ByteOrder.LITTLE_ENDIAN);
      for (int start = 0; start < data.length; start += CHUNK) {
        int n = Math.min(CHUNK, data.length - start);
        int got = in.readNBytes(chunk.array(), 0, n * 8);
        if (got < n * 8) {
          throw PullbackException.data(file + ": truncated: the header announces " + h.count() + " values but the file ends early");
        }
        chunk.clear();
        chunk.asDoubleBuffer().get(data, start, n);
      }
      if (in.read() != -1) throw PullbackException.data(file + ": has bytes past the " + h.count() + " values its header announces");
      return new Array(h.shape(), data);
    } catch (IOException e) {
      throw PullbackException.data("cannot read '" + file + "': " + e.getMessage());
    }
  }

  private static String shapeText(int[] shape) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? ", " : "").append(shape[i]);
    return sb.append(shape.length == 1 ? ",)" : ")").toString();
  }

  private static String group(Pattern p, String header, Location file, String key) {
    Matcher m = p.matcher(header);
    if (!m.find()) throw PullbackException.data(file + ": .npy header has no '" + key + "': " + header.trim());
    return m.group(1);
  }

  private static int[] parseShape(String text, Location file) {
    String t = text.trim();
    if (t.isEmpty()) return new int[0];
    String[] parts = t.split(",");
    int count = 0;
    for (String p : parts) if (!p.isBlank()) count++;
    if (count > 2) throw PullbackException.data(file + ": arrays of rank " + count + " are not supported (shape (" + t + "))");
    int[] shape = new int[count];
    int k = 0;
    for (String p : parts) {
      if (p.isBlank()) continue;
      try {
        shape[k++] = Integer.parseInt(p.trim().replace("L", ""));
      } catch (NumberFormatException e) {
        throw PullbackException.data(file + ": bad shape (" + t + "): dimensions must be integers below 2^31");
      }
      if (shape[k - 1] < 0) throw PullbackException.data(file + ": bad shape (" + t + "): dimension " + shape[k - 1] + " is negative");
    }
    return shape;
  }
}
