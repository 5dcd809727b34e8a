package io.pullback.io;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.PullbackException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer per run folder: the lock file {@value #FILE_NAME} inside the folder, created
 * atomically (create-if-absent on the folder's store: {@code O_CREAT|O_EXCL} on the local file
 * system, {@code create(overwrite=false)} on HDFS, whose namenode makes it atomic) and holding the
 * holder's {@code pid}, {@code host}, {@code started} time, {@code heartbeat} time and {@code command}
 * (and, for a driver that is an attempt of a cluster application, its {@code application} and
 * {@code attempt}). {@code train} (also with {@code --resume}) and {@code run} take it before their
 * first write and release it when they end, also on an error ({@link #close()}).
 *
 * <p><b>Heartbeat.</b> While the lock is held, a daemon thread rewrites the file every
 * {@link #HEARTBEAT_INTERVAL} (atomically, {@link AtomicFiles}) with a new {@code heartbeat} time,
 * after checking that the file still names this holder (if another writer took it over, the
 * heartbeat stops with one WARN line and the file is left to its new holder).
 *
 * <p><b>Takeover.</b> A second writer is refused (exit 2) naming the folder and the holder, unless
 * the lock is stale by one of three rules, in which case it is taken over with one WARN line:
 * <ol>
 *   <li>it was taken on this host and no process with its pid is running (a SIGKILL, a power loss);
 *   <li>it names an earlier attempt of the same cluster application ({@link Attempt}: a YARN
 *       application whose application master was lost and restarted with the same arguments), on
 *       whatever host: YARN starts attempt n only once attempt n − 1's application master container
 *       has ended, so its holder cannot still be writing;
 *   <li>its {@code heartbeat} is older than the timeout (on any host): {@value #DEFAULT_TIMEOUT_SECONDS}
 *       s, or the whole number of seconds (at least {@value #MIN_TIMEOUT_SECONDS}) in the
 *       environment variable {@value #TIMEOUT_ENV}.
 * </ol>
 * Limits: the heartbeat rule compares the holder's clock with this one, so hosts' clocks must agree
 * to well within the timeout (NTP); a holder that is suspended (SIGSTOP, a VM paused) for longer than
 * the timeout loses its lock and, when it continues, warns but keeps writing; a lock written by a
 * Pullback without heartbeats is taken over from another host only by rule 2. On object stores
 * (S3A, GCS, ABFS) create-if-absent is atomic only where the store offers conditional writes (S3A
 * with {@code fs.s3a.create.conditional.enabled}), elsewhere two writers starting within the same
 * instant may both proceed. The lock file (and the heartbeat's short-lived {@code .pullback.lock.*.tmp})
 * is not part of a published folder ({@link Publication} skips it). Cost: one create and one write;
 * one read and one atomic rewrite per heartbeat; release is one delete.
 */
public final class RunLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunLock.class);
  /** The lock file inside the run folder. */
  public static final String FILE_NAME = ".pullback.lock";
  /** How often a held lock's {@code heartbeat} is refreshed. */
  public static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(10);
  /** A lock whose heartbeat is older than this (seconds) is taken over, unless {@value #TIMEOUT_ENV} says otherwise. */
  public static final int DEFAULT_TIMEOUT_SECONDS = 120;
  /** The smallest timeout accepted: three heartbeats. */
  public static final int MIN_TIMEOUT_SECONDS = 30;
  /** The environment variable that sets the heartbeat timeout, in whole seconds. */
  public static final String TIMEOUT_ENV = "PULLBACK_LOCK_TIMEOUT";

  private final Location file;
  private final Map<String, Object> record;
  private final ScheduledExecutorService heartbeat;
  private boolean released;
  private boolean lost;
  private boolean failing;

  private RunLock(Location file, Map<String, Object> record, Duration interval) {
    this.file = file;
    this.record = record;
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "pullback-lock-heartbeat");
      t.setDaemon(true);
      return t;
    });
    long ms = interval.toMillis();
    heartbeat.scheduleWithFixedDelay(this::beat, ms, ms, TimeUnit.MILLISECONDS);
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
   *
   * @throws PullbackException (exit 2) when another live process holds it, or when {@value #TIMEOUT_ENV} is not a valid timeout
   */
  public static RunLock acquire(Location folder, String command, Attempt attempt) {
    return acquire(folder, command, attempt, HEARTBEAT_INTERVAL, timeout(System.getenv(TIMEOUT_ENV)));
  }

  /** As {@link #acquire(Location, String, Attempt)} with the heartbeat's interval and timeout given (tests). */
  static RunLock acquire(Location folder, String command, Attempt attempt, Duration interval, Duration timeout) {
    Location file = folder.resolve(FILE_NAME);
    Map<String, Object> record = record(command, attempt);
    byte[] content = bytes(record);
    if (file.createNew(content)) return new RunLock(file, record, interval);
    JsonNode holder = holder(file);
    String reason = holder == null ? null : staleness(holder, attempt, Instant.now(), timeout);
    if (reason != null) {
      if (earlierAttempt(holder, attempt)) { // the wording of the attempt takeover, as before the heartbeat
        LOG.warn("{} was held by {} (pid {} on {} since {}): taking it over", file, reason, holder.path("pid").asText(),
            holder.path("host").asText(), holder.path("started").asText());
      } else {
        LOG.warn("{} was held by pid {} on {} since {} ({}): taking it over", file, holder.path("pid").asText(), holder.path("host").asText(),
            holder.path("started").asText(), reason);
      }
      file.deleteRecursively();
      if (file.createNew(content)) return new RunLock(file, record, interval);
      holder = holder(file);
    }
    String who = holder == null ? "another process (its lock file is being written or cannot be read)"
        : "pid " + holder.path("pid").asText() + " on " + holder.path("host").asText() + " (" + holder.path("command").asText()
            + ", since " + holder.path("started").asText() + heartbeatAge(holder) + ")";
    throw PullbackException.usage("{out} " + folder + " is in use by " + who + "; one command at a time may write a run folder:"
        + " wait for it to finish, or, if that process is gone, delete " + file + " (a lock whose heartbeat is older than "
        + timeout.toSeconds() + " s is taken over by itself)");
  }

  /**
   * The heartbeat timeout from the value of {@value #TIMEOUT_ENV} (null or blank: the default).
   *
   * @throws PullbackException (exit 2) unless it is a whole number of seconds, at least {@value #MIN_TIMEOUT_SECONDS}
   */
  static Duration timeout(String value) {
    if (value == null || value.isBlank()) return Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS);
    long s;
    try {
      s = Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      s = -1;
    }
    if (s < MIN_TIMEOUT_SECONDS) {
      throw PullbackException.usage(TIMEOUT_ENV + "=" + value + " is not a valid lock timeout: give a whole number of seconds, at least "
          + MIN_TIMEOUT_SECONDS + " (three heartbeats; the default is " + DEFAULT_TIMEOUT_SECONDS + ")");
    }
    return Duration.ofSeconds(s);
  }

  /** Why {@code holder} may be taken over by {@code attempt} at {@code now}, or null when it may not. */
  static String staleness(JsonNode holder, Attempt attempt, Instant now, Duration timeout) {
    if (earlierAttempt(holder, attempt)) {
      return "attempt " + holder.path("attempt").asText() + " of " + attempt.application() + "; this is attempt " + attempt.number()
          + ", so that one has ended";
    }
    if (isStale(holder)) return "that process is no longer running";
    Instant beat = heartbeatOf(holder);
    if (beat != null && Duration.between(beat, now).compareTo(timeout) > 0) {
      return "its last heartbeat, " + beat + ", is more than " + timeout.toSeconds() + " s old";
    }
    return null;
  }

  /** The holder's last heartbeat, or null when it records none (an older Pullback) or an unreadable one. */
  private static Instant heartbeatOf(JsonNode holder) {
    try {
      return holder.hasNonNull("heartbeat") ? Instant.parse(holder.get("heartbeat").asText()) : null;
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String heartbeatAge(JsonNode holder) {
    Instant beat = heartbeatOf(holder);
    return beat == null ? "" : ", last heartbeat " + Math.max(0, Duration.between(beat, Instant.now()).toSeconds()) + " s ago";
  }

  /** Refreshes the heartbeat, if the file still names this holder; never throws (a failed write is retried next time). */
  private synchronized void beat() {
    if (released || lost) return;
    try {
      JsonNode now = holder(file);
      if (now == null || !isThisHolder(now)) {
        lost = true;
        LOG.warn("{} is no longer held by this process (it now names {}): its heartbeat stops", file,
            now == null ? "nothing" : "pid " + now.path("pid").asText() + " on " + now.path("host").asText());
        heartbeat.shutdown();
        return;
      }
      record.put("heartbeat", Instant.now().toString());
      byte[] content = bytes(record);
      AtomicFiles.write(file, out -> out.write(content));
      if (failing) LOG.info("the heartbeat of {} is written again", file);
      failing = false;
    } catch (RuntimeException e) {
      if (!failing) LOG.warn("cannot refresh the heartbeat of {}: {}; retrying every {} s", file, e.getMessage(), HEARTBEAT_INTERVAL.toSeconds());
      failing = true;
    }
  }

  private boolean isThisHolder(JsonNode node) {
    return node.path("pid").asText().equals(String.valueOf(record.get("pid"))) && node.path("host").asText().equals(record.get("host"))
        && node.path("started").asText().equals(record.get("started"));
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

  private static Map<String, Object> record(String command, Attempt attempt) {
    Map<String, Object> m = new LinkedHashMap<>();
    String now = Instant.now().toString();
    m.put("pid", ProcessHandle.current().pid());
    m.put("host", hostName());
    m.put("started", now);
    m.put("heartbeat", now);
    m.put("command", command);
    if (attempt != null) {
      m.put("application", attempt.application());
      m.put("attempt", attempt.number());
    }
    return m;
  }

  private static byte[] bytes(Map<String, Object> record) {
    try {
      return (Json.mapper().writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8);
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
    synchronized (this) { // a heartbeat being written finishes first; none is written after
      if (released) return;
      released = true;
    }
    heartbeat.shutdownNow();
    if (lost) return; // another writer holds it now
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
