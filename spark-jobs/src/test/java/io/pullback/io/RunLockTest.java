package io.pullback.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullback.PullbackException;
import java.nio.file.Files;
import java.nio.file.Path;
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

  @Test
  void attemptsAreValidated() {
    assertThatThrownBy(() -> new RunLock.Attempt(APP, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("number");
    assertThatThrownBy(() -> new RunLock.Attempt(" ", 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("application");
  }
}
