package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, item 5: outputs honour the umask. {@code bin/pullback} runs as a real child process
 * under {@code umask 077} and under {@code umask 002}: a {@code train} (checkpoint, history,
 * parameters, summary, manifest, plots, the folders it creates for {@code --out} and its parent)
 * and a blocked {@code estimate} (whose {@code metric/} Parquet tiles and their checksum files are
 * written by Spark's executors through Hadoop's local file system, which applies its own
 * {@code 022} unless told the umask). Every file must have mode {@code 666 & ~umask} and every
 * folder {@code 777 & ~umask}, {@code manifest.json} included (it used to be forced to 600).
 */
class UmaskIT {
  @TempDir
  Path dir;

  static int mode(Path p) throws IOException {
    int bits = 0;
    for (PosixFilePermission perm : Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)) bits |= 1 << (8 - perm.ordinal());
    return bits;
  }

  /** Every path under {@code root} (itself included) whose mode is not the umask's, as "path mode". */
  static List<String> wrongModes(Path root, int umask) throws IOException {
    List<String> wrong = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        int want = (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? 0777 : 0666) & ~umask;
        if (mode(p) != want) wrong.add(root.relativize(p) + " " + Integer.toOctalString(mode(p)) + " (want " + Integer.toOctalString(want) + ")");
      }
    }
    return wrong;
  }

  @Test
  void everyFileAndFolderOfTrainAndABlockedEstimateHasTheUmasksMode() throws Exception {
    for (String umask : new String[] {"077", "002"}) {
      Path cwd = Files.createDirectories(dir.resolve("umask-" + umask));
      DensityIT.shell(cwd, "umask " + umask + " && bin/pullback train --data 'synthetic:uniform?rows=300&features=2&seed=1&noise=0.05'"
          + " --model mlp --hidden 4 --optimizer adam --steps 3 --checkpoint-every 1 --out runs/new/train"
          + " && bin/pullback estimate --data 'synthetic:gaussian?rows=300&features=3&seed=2&classes=3' --model softmax --classes 3"
          + " --representation blocked --tile-size 4 --partitions 2 --out runs/new/blocked");
      Path runs = cwd.resolve("runs");
      assertThat(runs.resolve("new/train/manifest.json")).exists();
      assertThat(runs.resolve("new/train/checkpoint")).isDirectory();
      try (Stream<Path> s = Files.walk(runs.resolve("new/blocked/metric"))) {
        assertThat(s.filter(p -> p.getFileName().toString().endsWith(".parquet")).count()).as("Parquet tiles").isPositive();
      }
      long entries;
      try (Stream<Path> s = Files.walk(runs)) {
        entries = s.count();
      }
      assertThat(entries).as("files and folders written").isGreaterThan(10);
      assertThat(wrongModes(runs, Integer.parseInt(umask, 8))).as("modes under umask %s", umask).isEmpty();
    }
  }
}
