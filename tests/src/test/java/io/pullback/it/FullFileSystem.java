package io.pullback.it;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * A test-only Hadoop file system {@code fullfs:///PATH} (the local file system) whose disk is full
 * for files whose name contains {@link #FULL_FOR}: creating them works, writing their first byte
 * fails with "No space left on device", as a full disk does. Registered with
 * {@code fs.fullfs.impl}.
 */
public class FullFileSystem extends RawLocalFileSystem {
  /** The part of a file name the disk is full for. */
  static volatile String FULL_FOR = "checkpoint.json";

  @Override
  public URI getUri() {
    return URI.create("fullfs:///");
  }

  @Override
  public String getScheme() {
    return "fullfs";
  }

  @Override
  public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize, short replication, long blockSize,
                                   Progressable progress) throws IOException {
    return full(f, super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress));
  }

  @Override
  public FSDataOutputStream create(Path f, boolean overwrite, int bufferSize, short replication, long blockSize, Progressable progress)
      throws IOException {
    return full(f, super.create(f, overwrite, bufferSize, replication, blockSize, progress));
  }

  /** {@code real}, or for a file the disk is full for, a stream whose writes fail. */
  private static FSDataOutputStream full(Path f, FSDataOutputStream real) throws IOException {
    if (!f.getName().contains(FULL_FOR)) return real;
    OutputStream full = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("No space left on device");
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        throw new IOException("No space left on device");
      }

      @Override
      public void close() throws IOException {
        real.close();
      }
    };
    return new FSDataOutputStream(full, null);
  }

  /** The same file system for Hadoop's FileContext ({@code fs.AbstractFileSystem.fullfs.impl}), which renames use. */
  public static class Context extends org.apache.hadoop.fs.DelegateToFileSystem {
    public Context(URI uri, org.apache.hadoop.conf.Configuration conf) throws IOException, java.net.URISyntaxException {
      super(uri, new FullFileSystem(), conf, "fullfs", false);
    }
  }
}
