package io.pullback.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.PullbackException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which locks a writer takes over: those of an earlier attempt of its own cluster application (on
 * any host), and nothing else held from another host. The holders are lock files written as the
 * killed driver of another node would have left them (a host name that is not this one, a pid that
 * may well be alive here).
 */
class RunLockTest {
  static final String APP = "application_1764650000000_0007";

  @TempDir
  Path dir;

  Location folderHeldBy(String application, Integer attempt) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("run"));
    String extra = application == null ? "" : ", \"application\": \"" + application + "\", \"attempt\": " + attempt;
    Files.writeString(folder.resolve(RunLock.FILE_NAME), "{\"pid\": " + ProcessHandle.current().pid()
        + ", \"host\": \"node-17.elsewhere.example\", \"started\": \"2026-12-02T07:00:00Z\", \"command\": \"train\"" + extra + "}\n");
    return Location.local(folder);
  }

  JsonNode lockOf(Location folder) throws Exception {
    return Json.mapper().readTree(Files.readString(folder.localPath().resolve(RunLock.FILE_NAME)));
  }

  @Test
  void aLaterAttemptOfTheSameApplicationTakesOverTheLockOfAnEarlierOneOnAnotherHost() throws Exception {
    Location folder = folderHeldBy(APP, 1);
    RunLock.Attempt second = new RunLock.Attempt(APP, 2);
    assertThat(RunLock.heldByEarlierAttempt(folder, second)).isTrue();
    try (RunLock lock = RunLock.acquire(folder, "train", second)) {
      JsonNode held = lockOf(folder);
      assertThat(held.get("application").asText()).isEqualTo(APP);
      assertThat(held.get("attempt").asInt()).isEqualTo(2);
      assertThat(held.get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
      assertThat(held.get("host").asText()).isEqualTo(RunLock.hostName());
    }
    assertThat(folder.localPath().resolve(RunLock.FILE_NAME)).doesNotExist();
  }

  @Test
  void aLockFromAnotherHostIsKeptForTheSameOrALaterAttemptAnotherApplicationOrNoAttempt() throws Exception {
    record Case(String holderApp, Integer holderAttempt, RunLock.Attempt me) {}
    for (Case c : new Case[] {
        new Case(APP, 2, new RunLock.Attempt(APP, 2)),
        new Case(APP, 3, new RunLock.Attempt(APP, 2)),
        new Case("application_1764650000000_0008", 1, new RunLock.Attempt(APP, 2)),
        new Case(null, null, new RunLock.Attempt(APP, 2)),
        new Case(APP, 1, null)}) {
      Location folder = folderHeldBy(c.holderApp(), c.holderAttempt());
      byte[] before = Files.readAllBytes(folder.localPath().resolve(RunLock.FILE_NAME));
      assertThat(RunLock.heldByEarlierAttempt(folder, c.me())).as(c.toString()).isFalse();
      assertThatThrownBy(() -> RunLock.acquire(folder, "train", c.me())).as(c.toString())
          .isInstanceOf(PullbackException.class).hasMessageContaining("node-17.elsewhere.example");
      assertThat(Files.readAllBytes(folder.localPath().resolve(RunLock.FILE_NAME))).as(c.toString()).isEqualTo(before);
    }
  }

  /** A lock as another host's live writer (or its hung or lost machine) leaves it, with a heartbeat {@code age} old. */
  Location folderWithHeartbeat(Duration age) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("beat"));
    Files.writeString(folder.resolve(RunLock.FILE_NAME), "{\"pid\": 4242, \"host\": \"node-18.elsewhere.example\", \"started\":"
        + " \"2026-12-02T07:00:00Z\", \"heartbeat\": \"" + Instant.now().minus(age) + "\", \"command\": \"train\"}\n");
    return Location.local(folder);
  }

  @Test
  void aLockFromAnotherHostWhoseHeartbeatIsOlderThanTheTimeoutIsTakenOver() throws Exception {
    Location folder = folderWithHeartbeat(Duration.ofSeconds(121));
    try (RunLock lock = RunLock.acquire(folder, "train, resumed", null)) {
      JsonNode held = lockOf(folder);
      assertThat(held.get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
      assertThat(held.get("host").asText()).isEqualTo(RunLock.hostName());
      assertThat(held.get("command").asText()).isEqualTo("train, resumed");
      assertThat(Instant.parse(held.get("heartbeat").asText())).isEqualTo(Instant.parse(held.get("started").asText()));
    }
    assertThat(folder.localPath().resolve(RunLock.FILE_NAME)).doesNotExist();
  }

  @Test
  void aLockFromAnotherHostWithAFreshHeartbeatIsRefusedNamingTheHolder() throws Exception {
    for (Duration age : new Duration[] {Duration.ZERO, Duration.ofSeconds(100)}) {
      Location folder = folderWithHeartbeat(age);
      byte[] before = Files.readAllBytes(folder.localPath().resolve(RunLock.FILE_NAME));
      assertThatThrownBy(() -> RunLock.acquire(folder, "train", null)).as("heartbeat %s old", age).isInstanceOf(PullbackException.class)
          .hasMessageContaining("pid 4242 on node-18.elsewhere.example (train, since 2026-12-02T07:00:00Z, last heartbeat")
          .hasMessageContaining(folder.toString()).hasMessageContaining("120 s")
          .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(2));
      assertThat(Files.readAllBytes(folder.localPath().resolve(RunLock.FILE_NAME))).isEqualTo(before);
    }
    // A longer timeout (PULLBACK_LOCK_TIMEOUT=600) keeps a 121 s old heartbeat's lock.
    Location folder = folderWithHeartbeat(Duration.ofSeconds(121));
    assertThatThrownBy(() -> RunLock.acquire(folder, "train", null, RunLock.HEARTBEAT_INTERVAL, RunLock.timeout("600")))
        .isInstanceOf(PullbackException.class).hasMessageContaining("node-18.elsewhere.example");
  }

  @Test
  void theHeartbeatAdvancesWhileHeldAndNoLockIsLeftAfterRelease() throws Exception {
    Location folder = Location.local(Files.createDirectories(dir.resolve("held")));
    RunLock lock = RunLock.acquire(folder, "train", null, Duration.ofMillis(50), Duration.ofSeconds(120));
    Instant first = Instant.parse(lockOf(folder).get("heartbeat").asText());
    Instant started = Instant.parse(lockOf(folder).get("started").asText());
    assertThat(first).isEqualTo(started);
    long deadline = System.nanoTime() + 10_000_000_000L;
    Instant later = first;
    while (!later.isAfter(first) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      later = Instant.parse(lockOf(folder).get("heartbeat").asText());
    }
    assertThat(later).as("a later heartbeat").isAfter(first);
    assertThat(Instant.parse(lockOf(folder).get("started").asText())).isEqualTo(started);
    lock.close();
    Thread.sleep(300); // six heartbeat intervals: none may bring the file back
    try (var files = Files.list(folder.localPath())) {
      assertThat(files).as("no lock and no heartbeat temporary left").isEmpty();
    }
  }

  @Test
  void theHeartbeatStopsWhenAnotherWriterTookTheLockOver() throws Exception {
    Location folder = Location.local(Files.createDirectories(dir.resolve("taken")));
    try (RunLock lock = RunLock.acquire(folder, "train", null, Duration.ofMillis(50), Duration.ofSeconds(120))) {
      String other = "{\"pid\": 4243, \"host\": \"node-19.elsewhere.example\", \"started\": \"2026-12-02T08:00:00Z\","
          + " \"heartbeat\": \"2026-12-02T08:00:00Z\", \"command\": \"train\"}\n";
      Files.writeString(folder.localPath().resolve(RunLock.FILE_NAME), other);
      Thread.sleep(300);
      assertThat(Files.readString(folder.localPath().resolve(RunLock.FILE_NAME))).isEqualTo(other);
      lock.close();
      assertThat(Files.readString(folder.localPath().resolve(RunLock.FILE_NAME))).as("release leaves the new holder's lock").isEqualTo(other);
    }
  }

  @Test
  void theTimeoutIsAWholeNumberOfSecondsOfAtLeastThirty() {
    assertThat(RunLock.timeout(null)).isEqualTo(Duration.ofSeconds(120));
    assertThat(RunLock.timeout("")).isEqualTo(Duration.ofSeconds(120));
    assertThat(RunLock.timeout("30")).isEqualTo(Duration.ofSeconds(30));
    for (String bad : new String[] {"29", "0", "-5", "2m", "1.5", "ten"}) {
      assertThatThrownBy(() -> RunLock.timeout(bad)).as(bad).isInstanceOf(PullbackException.class)
          .hasMessageContaining(RunLock.TIMEOUT_ENV + "=" + bad).hasMessageContaining("at least 30")
          .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(2));
    }
  }

  @Test
  void attemptsAreValidated() {
    assertThatThrownBy(() -> new RunLock.Attempt(APP, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("number");
    assertThatThrownBy(() -> new RunLock.Attempt(" ", 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("application");
  }
}
