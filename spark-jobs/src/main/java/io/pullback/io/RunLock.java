package io.pullback.io;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.PullbackException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer per run folder: the lock file {@value #FILE_NAME} inside the folder, created
 * atomically (create-if-absent on the folder's store: {@code O_CREAT|O_EXCL} on the local file
 * system, {@code create(overwrite=false)} on HDFS, whose namenode makes it atomic) and holding the
 * holder's {@code pid}, {@code host}, {@code started} time and {@code command}. {@code train} (also
 * with {@code --resume}) and {@code run} take it before their first write and release it when they
 * end, also on an error ({@link #close()}).
 *
 * <p>A second writer is refused (exit 2) naming the folder and the holder. A lock left by a process
 * that is gone (same host, no process with its pid: a SIGKILL, a power loss) is taken over with one
 * WARN line. Limits: a lock held from another host is never taken over (its process cannot be
 * checked from here), so after a lost machine it is removed by hand, as the message says; on object
 * stores (S3A, GCS, ABFS) create-if-absent is atomic only where the store offers conditional writes
 * (S3A with {@code fs.s3a.create.conditional.enabled}), elsewhere two writers starting within the
 * same instant may both proceed. The lock file is not part of a published folder
 * ({@link Publication} skips it). Cost: one create and one write; release is one delete.
 */
public final class RunLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunLock.class);
  /** The lock file inside the run folder. */
  public static final String FILE_NAME = ".pullback.lock";

  private final Location file;
  private boolean released;

  private RunLock(Location file) {
    this.file = file;
  }

  /**
   * Takes the lock of {@code folder} (which must exist) for {@code command}.
   *
   * @throws PullbackException (exit 2) when another live process holds it, naming the folder and the holder
   */
  public static RunLock acquire(Location folder, String command) {
    Location file = folder.resolve(FILE_NAME);
    byte[] content = content(command);
    if (file.createNew(content)) return new RunLock(file);
    JsonNode holder = holder(file);
    if (holder != null && isStale(holder)) {
      LOG.warn("{} was held by pid {} on {} since {}, which is no longer running: taking it over", file,
          holder.path("pid").asText(), holder.path("host").asText(), holder.path("started").asText());
      file.deleteRecursively();
      if (file.createNew(content)) return new RunLock(file);
      holder = holder(file);
    }
    String who = holder == null ? "another process (its lock file is being written or cannot be read)"
        : "pid " + holder.path("pid").asText() + " on " + holder.path("host").asText() + " (" + holder.path("command").asText()
            + ", since " + holder.path("started").asText() + ")";
    throw PullbackException.usage("{out} " + folder + " is in use by " + who + "; one command at a time may write a run folder:"
        + " wait for it to finish, or, if that process is gone, delete " + file);
  }

  /** The holder's record, or null when the file is gone or unreadable (a writer is between create and write). */
  private static JsonNode holder(Location file) {
    try {
      String text = file.readString();
      return text.isBlank() ? null : Json.mapper().readTree(text);
    } catch (IOException | UncheckedIOException e) {
      return null;
    }
  }

  /** Whether the holder ran on this host and its process is gone. */
  static boolean isStale(JsonNode holder) {
    if (!holder.path("pid").canConvertToLong() || !hostName().equals(holder.path("host").asText())) return false;
    long pid = holder.path("pid").asLong();
    return pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
  }

  private static byte[] content(String command) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pid", ProcessHandle.current().pid());
    m.put("host", hostName());
    m.put("started", Instant.now().toString());
    m.put("command", command);
    try {
      return (Json.mapper().writeValueAsString(m) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** Releases the lock (deletes the file; nothing when the folder was removed meanwhile). Idempotent. */
  @Override
  public void close() {
    if (released) return;
    released = true;
    try {
      file.deleteRecursively();
    } catch (RuntimeException e) {
      LOG.warn("cannot release the lock {}: {}; delete it by hand", file, e.getMessage());
    }
  }

  /** For tests and messages: where the lock lives. */
  public Location file() {
    return file;
  }
}
