package io.pullback.it;

import io.pullback.cli.LocalSessionProvider;
import io.pullback.cli.PullbackCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * Runs {@code pullback} commands in-process against one shared {@code local[2]} session per test
 * class, capturing exit code, stdout and stderr.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CliHarness {
  protected SparkSession spark;

  /** Outcome of one command line. */
  record Run(int exitCode, String out, String err) {}

  @BeforeAll
  void startSpark() throws Exception {
    Path scratch = Path.of("target", "spark-scratch");
    Files.createDirectories(scratch);
    spark = SparkSession.builder()
        .master("local[2]")
        .appName(getClass().getSimpleName())
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.local.dir", scratch.toAbsolutePath().toString())
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
  }

  @AfterAll
  void stopSpark() {
    if (spark != null) spark.stop();
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  /**
   * Every entry under {@code root} (links not followed) with its content: files by their bytes'
   * hash, folders as such, links by their target. Equal snapshots before and after a command show
   * that it wrote, deleted and followed nothing there.
   */
  static java.util.SortedMap<String, String> snapshot(Path root) {
    java.util.SortedMap<String, String> out = new java.util.TreeMap<>();
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return out;
    try (java.util.stream.Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String key = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          out.put(key, "link -> " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p)) {
          out.put(key, "dir");
        } else {
          out.put(key, Integer.toHexString(java.util.Arrays.hashCode(Files.readAllBytes(p))) + " " + Files.size(p));
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }

  Run pullback(String... args) {
    SparkSession.setActiveSession(spark);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PullbackCli.execute(args, new LocalSessionProvider(null), new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }
}
