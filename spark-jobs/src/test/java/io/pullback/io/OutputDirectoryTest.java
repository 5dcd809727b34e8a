package io.pullback.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
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
      assertThatThrownBy(() -> o.resolveInside("../../etc/passwd")).isInstanceOf(PullbackException.class).hasMessageContaining("escape")
          .hasMessageContaining("../../etc/passwd");
      assertThatThrownBy(() -> o.resolveInside("/tmp/x")).isInstanceOf(PullbackException.class).hasMessageContaining("absolute");
    }
  }

  static int exitCode(Throwable e) {
    return ((PullbackException) e).exitCode();
  }

  @Test
  void resolveInsideRefusesDotDotAbsoluteEmptyAndEscapingLinksNamingThem() throws Exception {
    Path runs = Files.createDirectories(dir.resolve("runs"));
    Path outside = Files.createDirectories(dir.resolve("outside"));
    assertThat(OutputDirectory.resolveInside(runs, "seed-basis", "experiment name")).isEqualTo(runs.resolve("seed-basis"));
    assertThat(OutputDirectory.resolveInside(runs, "a..b", "arm name")).isEqualTo(runs.resolve("a..b")); // not a '..' component
    for (String bad : new String[] {"..", "../x", "a/../../x", "a/..", outside.toString(), "", " "}) {
      assertThatThrownBy(() -> OutputDirectory.resolveInside(runs, bad, "arm name")).as(bad)
          .isInstanceOf(PullbackException.class).hasMessageContaining("arm name").hasMessageContaining(bad.isBlank() ? "empty" : "'" + bad + "'")
          .satisfies(e -> assertThat(exitCode(e)).isEqualTo(2));
    }
    Files.createSymbolicLink(runs.resolve("linked"), outside);
    assertThatThrownBy(() -> OutputDirectory.resolveInside(runs, "linked", "--run-id")).isInstanceOf(PullbackException.class)
        .hasMessageContaining("--run-id 'linked'").hasMessageContaining(outside.toString()).hasMessageContaining("symbolic link");
    // Through a link, too: linked/sub is outside.
    assertThatThrownBy(() -> OutputDirectory.resolveInside(runs, "linked/sub", "arm name")).isInstanceOf(PullbackException.class)
        .hasMessageContaining(outside.toString());
    // A link that stays inside is harmless.
    Files.createDirectories(runs.resolve("real"));
    Files.createSymbolicLink(runs.resolve("alias"), runs.resolve("real"));
    assertThat(OutputDirectory.resolveInside(runs, "alias", "arm name")).isEqualTo(runs.resolve("alias"));
    assertThat(entries(outside)).isZero();
  }

  @Test
  void aRunFolderWithALinkPointingOutsideIsRefusedNamingTheLink() throws Exception {
    Path run = Files.createDirectories(dir.resolve("run"));
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.createDirectories(run.resolve("arms/a"));
    Files.writeString(run.resolve("arms/a/history.jsonl"), "{}\n");
    Files.createSymbolicLink(run.resolve("arms/a/alias.jsonl"), run.resolve("arms/a/history.jsonl")); // inside: allowed
    OutputDirectory.requireNoLinkOutside(run);
    OutputDirectory.requireNoLinkOutside(dir.resolve("absent")); // nothing to check

    Path link = run.resolve("arms/a/checkpoint");
    Files.createSymbolicLink(link, outside);
    assertThatThrownBy(() -> OutputDirectory.requireNoLinkOutside(run)).isInstanceOf(PullbackException.class)
        .hasMessageContaining(link.toString()).hasMessageContaining(outside.toString())
        .satisfies(e -> assertThat(exitCode(e)).isEqualTo(2));
    Files.delete(link);

    // A dangling link whose target would be outside is refused as well (writing through it would create the target).
    Files.createSymbolicLink(run.resolve("report.md"), outside.resolve("not-yet.md"));
    assertThatThrownBy(() -> OutputDirectory.requireNoLinkOutside(run)).isInstanceOf(PullbackException.class)
        .hasMessageContaining("report.md").hasMessageContaining("not-yet.md");
    Files.delete(run.resolve("report.md"));

    // The run folder itself may be a link: it is the user's choice of location.
    Path chosen = dir.resolve("chosen");
    Files.createSymbolicLink(chosen, run);
    OutputDirectory.requireNoLinkOutside(chosen);
    assertThat(entries(outside)).isZero();
  }

  @Test
  void aFileSystemRootIsRefusedAsOut() {
    assertThatThrownBy(() -> OutputDirectory.prepare(Path.of("/"))).isInstanceOf(PullbackException.class)
        .satisfies(e -> assertThat(exitCode(e)).isEqualTo(2));
  }
}
