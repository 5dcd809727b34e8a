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
 * holder's {@code pid}, {@code host}, {@code started} time and {@code command} (and, for a driver
 * that is an attempt of a cluster application, its {@code application} and {@code attempt}). {@code train} (also
 * with {@code --resume}) and {@code run} take it before their first write and release it when they
 * end, also on an error ({@link #close()}).
 *
 * <p>A second writer is refused (exit 2) naming the folder and the holder. A lock left by a process
 * that is gone (same host, no process with its pid: a SIGKILL, a power loss) is taken over with one
 * WARN line. A lock left by an earlier attempt of the same cluster application ({@link Attempt}: a
 * YARN application whose application master was lost and restarted with the same arguments) is
 * taken over too, on whatever host it was taken: YARN starts attempt n only once attempt n − 1's
 * application master container has ended, so its holder cannot still be writing. Limits: any other
 * lock held from another host is never taken over (its process cannot be checked from here), so
 * after a lost machine it is removed by hand, as the message says; on object
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
   * The cluster application attempt a driver runs as (YARN cluster mode: Spark's application id and
   * {@code SparkContext.applicationAttemptId}, 1 for the first); recorded in the lock so that a later
   * attempt of the same application can tell its own predecessor's lock from anyone else's.
   *
   * @param application the application id (e.g. {@code application_1764650000000_0001})
   * @param number the attempt, from 1
   */
  public record Attempt(String application, int number) {
    public Attempt {
      if (application == null || application.isBlank()) throw new IllegalArgumentException("application must be given, got " + application);
      if (number < 1) throw new IllegalArgumentException("number must be >= 1, got " + number);
    }
  }

  /**
   * Takes the lock of {@code folder} (which must exist) for {@code command}.
   *
   * @throws PullbackException (exit 2) when another live process holds it, naming the folder and the holder
   */
  public static RunLock acquire(Location folder, String command) {
    return acquire(folder, command, null);
  }

  /**
   * As {@link #acquire(Location, String)} for a driver running as {@code attempt} of a cluster
   * application (null: none), which also takes over a lock left by an earlier attempt of the same
   * application.
   */
  public static RunLock acquire(Location folder, String command, Attempt attempt) {
    Location file = folder.resolve(FILE_NAME);
    byte[] content = content(command, attempt);
    if (file.createNew(content)) return new RunLock(file);
    JsonNode holder = holder(file);
    if (holder != null && (earlierAttempt(holder, attempt) || isStale(holder))) {
      warnTakeOver(file, holder, attempt);
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

  private static void warnTakeOver(Location file, JsonNode holder, Attempt attempt) {
    if (earlierAttempt(holder, attempt)) {
      LOG.warn("{} was held by attempt {} of {} (pid {} on {} since {}); this is attempt {}, so that one has ended: taking it over", file,
          holder.path("attempt").asText(), attempt.application(), holder.path("pid").asText(), holder.path("host").asText(),
          holder.path("started").asText(), attempt.number());
    } else {
      LOG.warn("{} was held by pid {} on {} since {}, which is no longer running: taking it over", file,
          holder.path("pid").asText(), holder.path("host").asText(), holder.path("started").asText());
    }
  }

  /**
   * Whether {@code folder}'s lock file names an earlier attempt of {@code attempt}'s application
   * (false when there is no lock, no attempt, or the lock records none).
   */
  public static boolean heldByEarlierAttempt(Location folder, Attempt attempt) {
    Location file = folder.resolve(FILE_NAME);
    if (attempt == null || !file.isFile()) return false;
    JsonNode holder = holder(file);
    return holder != null && earlierAttempt(holder, attempt);
  }

  /** Whether the holder is an attempt of {@code attempt}'s application before it. */
  static boolean earlierAttempt(JsonNode holder, Attempt attempt) {
    return attempt != null && attempt.application().equals(holder.path("application").asText())
        && holder.path("attempt").canConvertToInt() && holder.path("attempt").asInt() < attempt.number();
  }

  /** Whether the holder ran on this host and its process is gone. */
  static boolean isStale(JsonNode holder) {
    if (!holder.path("pid").canConvertToLong() || !hostName().equals(holder.path("host").asText())) return false;
    long pid = holder.path("pid").asLong();
    return pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
  }

  private static byte[] content(String command, Attempt attempt) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pid", ProcessHandle.current().pid());
    m.put("host", hostName());
    m.put("started", Instant.now().toString());
    m.put("command", command);
    if (attempt != null) {
      m.put("application", attempt.application());
      m.put("attempt", attempt.number());
    }
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
