package io.pullback.io;

import io.pullback.PullbackException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Atomic file writes, on any Hadoop file system: a reader sees the old file or the whole new one,
 * never a part. Where rename is atomic (local, HDFS) the content goes to a temporary
 * {@code .NAME.RANDOM.tmp} in the target's folder, which is then renamed over the target; on an
 * object store one PUT is already atomic, so the object is written in place (a rename there would
 * be a second, non-atomic copy). Cost: one create, the writes, one rename (atomic stores).
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /**
   * Writes through {@code writer} into a temporary sibling, then renames it to {@code target}. The
   * file gets the umask's mode ({@link Umask}), like every output.
   */
  public static void write(Location target, IOConsumer<OutputStream> writer) {
    if (!target.atomicRename()) {
      try (OutputStream out = target.create()) {
        writer.accept(out);
      } catch (IOException e) {
        throw writeFailure(target, e);
      }
      return;
    }
    Location tmp = target.parent().resolve("." + target.name() + "." + UUID.randomUUID().toString().replace("-", "").substring(0, 16) + ".tmp");
    boolean renamed = false;
    try {
      try (OutputStream out = tmp.create()) {
        writer.accept(out);
      }
      tmp.renameTo(target, true);
      renamed = true;
    } catch (IOException e) {
      throw writeFailure(target, e);
    } finally {
      if (!renamed) {
        try {
          tmp.deleteRecursively();
        } catch (UncheckedIOException ignored) {
          // best effort: the failure that brought us here is the one to report
        }
      }
    }
  }

  /**
   * A failed write (a full disk, a quota, a lost permission) as the user's to fix: exit 2 naming the
   * file and the store's reason. (A store that cannot be reached at all is reported by {@link Location}.)
   */
  static PullbackException writeFailure(Location target, IOException e) {
    return new PullbackException(PullbackException.USAGE, "cannot write " + target + ": " + e.getMessage()
        + "; free space on its file system (or fix its permissions) and run again", e);
  }

  /** As {@link #write(Location, IOConsumer)} for a local path. */
  public static void write(Path target, IOConsumer<OutputStream> writer) {
    write(Location.local(target), writer);
  }

  /** Writes a UTF-8 string atomically. */
  public static void writeString(Location target, String content) {
    write(target, out -> out.write(content.getBytes(StandardCharsets.UTF_8)));
  }

  /** Writes a UTF-8 string atomically to a local path. */
  public static void writeString(Path target, String content) {
    writeString(Location.local(target), content);
  }

  /** A consumer that may throw {@link IOException}. */
  @FunctionalInterface
  public interface IOConsumer<T> {
    void accept(T t) throws IOException;
  }
}
