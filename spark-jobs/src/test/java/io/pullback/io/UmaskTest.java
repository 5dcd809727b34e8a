package io.pullback.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the JVM learns the umask (both routes agree with what the kernel applies to a file this test
 * creates with java.nio) and that it reaches Hadoop's configuration only where the user did not set
 * one. (Modes of real outputs under umask 077 and 002: UmaskIT.)
 */
class UmaskTest {
  @TempDir
  Path dir;

  static int mode(Path p) throws Exception {
    int bits = 0;
    for (PosixFilePermission perm : Files.getPosixFilePermissions(p)) bits |= 1 << (8 - perm.ordinal());
    return bits;
  }

  /** The umask's read and write bits as the kernel applies them to a new file (666 minus the umask). */
  int kernelFileMask() throws Exception {
    Path f = Files.createFile(dir.resolve("reference-" + System.nanoTime()));
    return 0666 & ~mode(f);
  }

  @Test
  void theStatusLineIsParsedAsOctal() {
    assertThat(Umask.fromStatus(List.of("Name:\tjava", "Umask:\t0027", "State:\tR (running)"))).isEqualTo(027);
    assertThat(Umask.fromStatus(List.of("Umask:\t0002"))).isEqualTo(02);
    assertThat(Umask.fromStatus(List.of("Name:\tjava"))).isNull();
    assertThat(Umask.fromStatus(List.of("Umask:\tx"))).isNull();
    assertThat(Umask.octal(077)).isEqualTo("077");
    assertThat(Umask.octal(0)).isEqualTo("000");
  }

  @Test
  void procStatusAndTheProbeFolderAgreeWithTheKernel() throws Exception {
    int fromProc = Umask.read(Path.of("/proc/self/status"), dir);
    int fromProbe = Umask.read(dir.resolve("no-such-status"), dir);
    assertThat(fromProbe).isEqualTo(fromProc);
    assertThat(fromProc & 0666).isEqualTo(kernelFileMask());
    assertThat(Umask.current()).isEqualTo(fromProc);
    try (var left = Files.list(dir)) {
      assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".pullback-umask-probe"));
    }
    assertThat(Umask.read(dir.resolve("no-such-status"), dir.resolve("no-such-folder"))).isEqualTo(Umask.FALLBACK);
  }

  @Test
  void locationsCreateFilesAndFoldersWithTheUmasksModes() throws Exception {
    int u = Umask.current();
    Location folder = Location.local(dir.resolve("a/b"));
    folder.mkdirs();
    Location file = folder.resolve("x.bin");
    try (OutputStream out = file.create()) {
      out.write(1);
    }
    AtomicFiles.writeString(folder.resolve("y.json"), "{}");
    assertThat(mode(dir.resolve("a/b"))).isEqualTo(0777 & ~u);
    assertThat(mode(dir.resolve("a"))).isEqualTo(0777 & ~u);
    assertThat(mode(dir.resolve("a/b/x.bin"))).isEqualTo(0666 & ~u);
    assertThat(mode(dir.resolve("a/b/y.json"))).isEqualTo(0666 & ~u);
  }

  @Test
  void aUmaskTheUserSetIsKept() {
    Configuration defaults = new Configuration();
    assertThat(Umask.applyTo(new Configuration(defaults)).get(Umask.HADOOP_KEY)).isEqualTo(Umask.octal());
    Configuration user = new Configuration(defaults);
    user.set(Umask.HADOOP_KEY, "027");
    assertThat(Umask.applyTo(user).get(Umask.HADOOP_KEY)).isEqualTo("027");

    SparkConf spark = new SparkConf(false);
    Umask.applyTo(spark);
    assertThat(spark.get(Umask.SPARK_KEY)).isEqualTo(Umask.octal());
    SparkConf given = new SparkConf(false).set(Umask.SPARK_KEY, "007");
    Umask.applyTo(given);
    assertThat(given.get(Umask.SPARK_KEY)).isEqualTo("007");
  }
}
