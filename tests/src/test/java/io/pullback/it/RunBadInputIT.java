package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to {@code run}, and above all paths from user input that would leave the run folder:
 * experiment names, arm names, run ids and {@code --set} keys holding {@code ..}, absolute paths or
 * {@code out}, and run folders whose entries are symbolic links pointing outside. Each is refused
 * with exit code 2 and a message naming it, and nothing is written: the test folder, the default
 * {@code runs/} folder and the link targets are byte-for-byte as before.
 */
class RunBadInputIT extends CliHarness {
  static final String TRAIN = "train:\n  data: 'synthetic:uniform?rows=60&features=2&seed=1&noise=0.05'\n  model: mlp\n  hidden: [4]\n"
      + "  steps: 2\n  partitions: 2\n";

  @TempDir
  static Path dir;
  static Path tiny;

  @BeforeAll
  static void writeFiles() throws IOException {
    tiny = dir.resolve("tiny.yaml");
    Files.writeString(tiny, "name: tiny\n" + TRAIN + "arms:\n  - name: adam\n    optimizer: adam\n    lr: 0.01\n");
  }

  static Path experiment(String fileName, String name, String armName) throws IOException {
    Path f = dir.resolve(fileName);
    Files.writeString(f, "name: '" + name + "'\n" + TRAIN + "arms:\n  - name: '" + armName + "'\n    optimizer: adam\n");
    return f;
  }

  /** The command fails with {@code exitCode}, its message holds every part, and nothing changed in {@code watched}. */
  void assertRefused(int exitCode, List<String> parts, List<Path> watched, String... args) {
    List<SortedMap<String, String>> before = new ArrayList<>();
    for (Path w : watched) before.add(snapshot(w));
    Run run = pullback(args);
    assertThat(run.exitCode()).as("exit code; stderr: %s", run.err()).isEqualTo(exitCode);
    for (String part : parts) assertThat(run.err()).as("message").contains(part);
    for (int i = 0; i < watched.size(); i++) assertThat(snapshot(watched.get(i))).as("nothing written in %s", watched.get(i)).isEqualTo(before.get(i));
  }

  @Test
  void armNamesThatWouldLeaveTheRunFolderAreRefused() throws IOException {
    Path abs = dir.resolve("abs-arm");
    String[] names = {"..", "../escaped-arm", abs.toString(), "a/b", ".hidden", "arm name"};
    for (int i = 0; i < names.length; i++) {
      Path yaml = experiment("arm-" + i + ".yaml", "arms-" + i, names[i]);
      Path out = dir.resolve("arm-out-" + i);
      assertRefused(2, List.of("arm", "'" + names[i] + "'", yaml.toString()), List.of(dir), "run", yaml.toString(), "--out", out.toString());
      assertThat(out).doesNotExist();
    }
    assertThat(dir.resolve("escaped-arm")).doesNotExist();
    assertThat(abs).doesNotExist();
  }

  @Test
  void experimentNamesThatWouldLeaveRunsAreRefused() throws IOException {
    Path runs = Path.of("runs").toAbsolutePath();
    Path abs = dir.resolve("abs-experiment");
    String[] names = {"../escaped-experiment", abs.toString(), "..", "a/../../escaped-experiment"};
    for (int i = 0; i < names.length; i++) {
      Path yaml = experiment("name-" + i + ".yaml", names[i], "adam");
      // No --out: the default folder runs/NAME is derived from the name.
      assertRefused(2, List.of("'name'", names[i], yaml.toString()), List.of(dir, runs), "run", yaml.toString());
    }
    assertThat(runs.resolve("../escaped-experiment").normalize()).doesNotExist();
    assertThat(abs).doesNotExist();
  }

  @Test
  void runIdsThatWouldLeaveTheRunFolderAreRefused() throws IOException {
    Path runs = Path.of("runs").toAbsolutePath();
    Path yaml = experiment("ids.yaml", "escape-ids", "adam");
    String[] ids = {"..", "../escaped-id", dir.resolve("abs-id").toString(), "a/../../escaped-id", "a/b", ""};
    for (String id : ids) {
      assertRefused(2, List.of("--run-id", id), List.of(dir, runs), "run", yaml.toString(), "--run-id", id);
    }
    // The same with --out: the id is still checked, and --out is not created.
    Path out = dir.resolve("ids-out");
    assertRefused(2, List.of("--run-id", "../escaped-id"), List.of(dir), "run", yaml.toString(), "--run-id", "../escaped-id", "--out", out.toString());
    assertThat(out).doesNotExist();
    assertThat(runs.resolve("escape-ids")).doesNotExist();
    assertThat(runs.resolve("escaped-id")).doesNotExist();
    assertThat(dir.resolve("abs-id")).doesNotExist();
  }

  @Test
  void setCannotRedirectOutputAndBadOptionsLeaveNoOutput() {
    Path out = dir.resolve("set-out");
    Path elsewhere = dir.resolve("elsewhere");
    // 'out' is not an option of an arm: the run folder is --out (or runs/NAME), nothing else.
    assertRefused(2, List.of("'out'", "arm 'adam'"), List.of(dir), "run", tiny.toString(), "--out", out.toString(),
        "--set", "out=" + elsewhere);
    assertRefused(2, List.of("'out'", "arm 'adam'"), List.of(dir), "run", tiny.toString(), "--out", out.toString(),
        "--set", "adam.out=" + elsewhere);
    assertRefused(2, List.of("'../escaped.steps'"), List.of(dir), "run", tiny.toString(), "--out", out.toString(),
        "--set", "../escaped.steps=3");
    assertRefused(2, List.of("'config'"), List.of(dir), "run", tiny.toString(), "--out", out.toString(),
        "--set", "config=" + elsewhere.resolve("x.yaml"));
    // An arm option that only the optimiser checks: refused before the run folder is created.
    assertRefused(2, List.of("lr", "-1"), List.of(dir), "run", tiny.toString(), "--out", out.toString(), "--set", "adam.lr=-1");
    assertThat(out).doesNotExist();
    assertThat(elsewhere).doesNotExist();
  }

  @Test
  void badDataFoundDuringTheRunLeavesNoOutput() throws IOException {
    Path missing = dir.resolve("missing.csv");
    Path out = dir.resolve("data-out");
    assertRefused(3, List.of(missing.toString()), List.of(dir), "run", tiny.toString(), "--out", out.toString(), "--set", "data=" + missing);
    assertThat(out).doesNotExist();
    // With --run-id too, while no arm has progress to resume; an empty --out given stays, empty.
    Files.createDirectories(out);
    assertRefused(3, List.of(missing.toString()), List.of(dir), "run", tiny.toString(), "--out", out.toString(), "--run-id", "r1",
        "--set", "data=" + missing);
    assertThat(snapshot(out)).containsOnlyKeys("");
  }

  @Test
  void resumingARunFolderHoldingALinkThatPointsOutsideIsRefused() throws IOException {
    Path out = dir.resolve("resume");
    String[] args = {"run", tiny.toString(), "--out", out.toString(), "--run-id", "r1"};
    Run first = pullback(args);
    assertThat(first.exitCode()).as(first.err()).isZero();
    Path arm = out.resolve("arms/adam");
    assertThat(arm.resolve("checkpoint")).isDirectory();
    // Interrupted after its last checkpoint (as RunExperimentIT simulates it).
    Files.delete(arm.resolve("summary.json"));
    Files.delete(arm.resolve("params.npy"));
    Files.writeString(out.resolve("run.json"), Files.readString(out.resolve("run.json")).replace("finished", "running"));

    // 1. The arm's checkpoint folder is a link to a copy outside.
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.move(arm.resolve("checkpoint"), outside.resolve("checkpoint"));
    Files.createSymbolicLink(arm.resolve("checkpoint"), outside.resolve("checkpoint"));
    assertRefused(2, List.of(arm.resolve("checkpoint").toString(), outside.resolve("checkpoint").toString(), "symbolic link"),
        List.of(out, outside), args);

    // 2. The whole arms/ folder is a link.
    Files.delete(arm.resolve("checkpoint"));
    Files.move(outside.resolve("checkpoint"), arm.resolve("checkpoint"));
    Files.move(out.resolve("arms"), outside.resolve("arms"));
    Files.createSymbolicLink(out.resolve("arms"), outside.resolve("arms"));
    assertRefused(2, List.of(out.resolve("arms").toString(), outside.resolve("arms").toString()), List.of(out, outside), args);

    // 3. A report file is a (dangling) link: writing the report would create a file outside.
    Files.delete(out.resolve("arms"));
    Files.move(outside.resolve("arms"), out.resolve("arms"));
    Files.delete(out.resolve("report.md"));
    Files.createSymbolicLink(out.resolve("report.md"), outside.resolve("report.md"));
    assertRefused(2, List.of(out.resolve("report.md").toString()), List.of(out, outside), args);
    assertThat(outside.resolve("report.md")).doesNotExist();

    // With the link gone the run resumes and finishes.
    Files.delete(out.resolve("report.md"));
    Run resumed = pullback(args);
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    assertThat(arm.resolve("params.npy")).exists();
    assertThat(Files.isSymbolicLink(out.resolve("report.md"))).isFalse();
    assertThat(Files.exists(out.resolve("report.md"), LinkOption.NOFOLLOW_LINKS)).isTrue();
  }
}
