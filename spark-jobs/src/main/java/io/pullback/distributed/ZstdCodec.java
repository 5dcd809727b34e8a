package io.pullback.distributed;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.pullback.PullbackException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.io.compress.CompressionInputStream;
import org.apache.hadoop.io.compress.CompressionOutputStream;
import org.apache.hadoop.io.compress.Compressor;
import org.apache.hadoop.io.compress.Decompressor;

/**
 * Reads {@code .zst} input (Zstandard frames, several concatenated frames as the {@code zstd} tool
 * writes them) with zstd-jni, the library Spark itself ships for its own compression, instead of
 * Hadoop's {@code ZStandardCodec}, which needs a native libhadoop built with zstd (absent from the
 * Hadoop client jars Spark uses, so it fails in every task with "native zStandard library not available").
 *
 * <p>{@link #register} adds it to a configuration's {@code io.compression.codecs}; codecs named there
 * take the suffix over the service-loaded ones. A {@code .zst} file is not splittable: one task
 * reads it, streaming (zstd-jni's window buffers, no whole-file copy). Decompression only: writing
 * through this codec is refused. When zstd-jni's bundled native library cannot load on this
 * platform, {@link #requireAvailable} refuses the input on the driver, naming the file.
 */
public final class ZstdCodec implements CompressionCodec {
  static final String EXTENSION = ".zst";
  private static final String KEY = "io.compression.codecs";

  /** {@code conf} with this codec added to {@code io.compression.codecs} (in place; returns {@code conf}). */
  static Configuration register(Configuration conf) {
    String name = ZstdCodec.class.getName();
    String codecs = conf.get(KEY);
    if (codecs == null || codecs.isBlank()) conf.set(KEY, name);
    else if (!codecs.contains(name)) conf.set(KEY, codecs + "," + name);
    return conf;
  }

  /** The codec factory of {@code conf} with this codec registered (on a copy; {@code conf} is unchanged). */
  static CompressionCodecFactory factory(Configuration conf) {
    return new CompressionCodecFactory(register(new Configuration(conf)));
  }

  /** Refuses {@code file} (a {@code .zst}) when zstd-jni cannot load its native library here. */
  static void requireAvailable(Path file) {
    try {
      com.github.luben.zstd.util.Native.load();
    } catch (LinkageError | RuntimeException e) {
      throw PullbackException.data("cannot read '" + file + "': a .zst file needs zstd-jni's native library, which does not load"
          + " on this machine (" + e.getMessage() + "); decompress it first (zstd -d)");
    }
  }

  @Override
  public CompressionInputStream createInputStream(InputStream in) throws IOException {
    return createInputStream(in, null);
  }

  @Override
  public CompressionInputStream createInputStream(InputStream in, Decompressor ignored) throws IOException {
    ZstdInputStreamNoFinalizer z = new ZstdInputStreamNoFinalizer(in);
    return new CompressionInputStream(in) {
      @Override public int read() throws IOException {
        return z.read();
      }

      @Override public int read(byte[] b, int off, int len) throws IOException {
        return z.read(b, off, len);
      }

      @Override public void resetState() {
        throw new UnsupportedOperationException("a .zst stream cannot be reset");
      }

      @Override public void close() throws IOException {
        z.close();
        super.close();
      }
    };
  }

  @Override
  public CompressionOutputStream createOutputStream(OutputStream out) {
    throw new UnsupportedOperationException("Pullback reads .zst input only");
  }

  @Override
  public CompressionOutputStream createOutputStream(OutputStream out, Compressor compressor) {
    throw new UnsupportedOperationException("Pullback reads .zst input only");
  }

  @Override
  public Class<? extends Compressor> getCompressorType() {
    return null;
  }

  @Override
  public Compressor createCompressor() {
    return null;
  }

  @Override
  public Class<? extends Decompressor> getDecompressorType() {
    return null;
  }

  @Override
  public Decompressor createDecompressor() {
    return null;
  }

  @Override
  public String getDefaultExtension() {
    return EXTENSION;
  }
}
