package io.pullback.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.job.PullbackException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Publishing a run folder all at once, and leaving nothing behind otherwise. */
class OutputDirectoryTest {
  @TempDir
  Path dir;

  static long entries(Path p) throws IOException {
    try (Stream<Path> s = Files.list(p)) {
      return s.count();
    }
  }

  @Test
  void publishMovesTheStagedFilesIntoPlace() throws Exception {
    Path out = dir.resolve("run");
    try (OutputDirectory o = OutputDirectory.prepare(out)) {
      AtomicFiles.writeString(o.staging().resolve("a.txt"), "x");
      assertThat(out).doesNotExist();
      o.publish();
    }
    assertThat(Files.readString(out.resolve("a.txt"))).isEqualTo("x");
    assertThat(entries(dir)).isEqualTo(1);
  }

  @Test
  void closingWithoutPublishingLeavesNothing() throws Exception {
    Path out = dir.resolve("run");
    try (OutputDirectory o = OutputDirectory.prepare(out)) {
      AtomicFiles.writeString(o.staging().resolve("sub/a.txt"), "x");
    }
    assertThat(out).doesNotExist();
    assertThat(entries(dir)).isZero();
  }

  @Test
  void anExistingNonEmptyFolderIsRefusedUntouched() throws Exception {
    Path out = dir.resolve("run");
    Files.createDirectories(out);
    Files.writeString(out.resolve("keep"), "k");
    assertThatThrownBy(() -> OutputDirectory.prepare(out)).isInstanceOf(PullbackException.class)
        .hasMessageContaining(out.toString()).hasMessageContaining("not empty")
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(2));
    assertThat(entries(dir)).isEqualTo(1);
    assertThat(Files.readString(out.resolve("keep"))).isEqualTo("k");
  }

  @Test
  void anExistingEmptyFolderIsReplaced() throws Exception {
    Path out = dir.resolve("run");
    Files.createDirectories(out);
    try (OutputDirectory o = OutputDirectory.prepare(out)) {
      AtomicFiles.writeString(o.staging().resolve("a.txt"), "x");
      o.publish();
    }
    assertThat(out.resolve("a.txt")).exists();
  }

  @Test
  void namesEscapingTheFolderAreRefused() {
    try (OutputDirectory o = OutputDirectory.prepare(dir.resolve("run"))) {
      assertThat(o.resolveInside("ok/metric.npy").startsWith(o.staging())).isTrue();
      assertThatThrownBy(() -> o.resolveInside("../../etc/passwd")).isInstanceOf(PullbackException.class).hasMessageContaining("escapes");
      assertThatThrownBy(() -> o.resolveInside("/tmp/x")).isInstanceOf(PullbackException.class);
    }
  }
}
