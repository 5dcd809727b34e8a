package io.pullback.cli;

import io.pullback.PullbackException;
import io.pullback.distributed.NumericsPlugin;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Builds the session for {@code bin/pullback}: {@code local[*]} unless {@code --master URL} is given,
 * with {@code conf/spark-defaults.conf} applied (whitespace-separated {@code key value} lines, as
 * Spark's own file). An already running session (for example in tests) is reused as it is.
 */
public final class LocalSessionProvider implements SessionProvider {
  private final Path defaultsFile;

  /**
   * @param defaultsFile a {@code spark-defaults.conf}, or null for none
   */
  public LocalSessionProvider(Path defaultsFile) {
    this.defaultsFile = defaultsFile;
  }

  @Override
  public SparkSession session(String master) {
    var active = SparkSession.getActiveSession();
    if (active.isDefined()) return active.get();
    SparkConf conf = new SparkConf(false);
    conf.setAppName("pullback");
    conf.set("spark.ui.enabled", "false");
    for (Map.Entry<String, String> e : readDefaults(defaultsFile).entrySet()) conf.set(e.getKey(), e.getValue());
    String m = master != null ? master : conf.get("spark.master", "local[*]");
    conf.setMaster(m);
    if (m.startsWith("local")) {
      conf.setIfMissing("spark.driver.host", "127.0.0.1");
      conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
    } else if (System.getProperty("pullback.app.jar") != null) {
      conf.setIfMissing("spark.jars", System.getProperty("pullback.app.jar")); // executors need Pullback's classes
    }
    AuthSecret.fromEnvironment().forEach(conf::set); // PULLBACK_AUTH_SECRET_FILE
    io.pullback.io.Umask.applyTo(conf); // Hadoop's writers (driver and executors) honour the process umask
    conf.set("spark.plugins", NumericsPlugin.pluginsWithThis(conf)); // one BLAS/LAPACK library per executor
    // Executors choose as the driver was asked to (each resolves it against its own class path).
    conf.setIfMissing("spark.executorEnv.PULLBACK_BLAS", io.pullback.linalg.Blas.selection().requested());
    StandaloneMasterCheck.check(m, conf); // a refused driver fails now, not after a minute of retries
    return SparkSession.builder().config(conf).getOrCreate();
  }

  /** Reads a spark-defaults.conf ({@code key value} per line, {@code #} comments). */
  static Map<String, String> readDefaults(Path file) {
    Map<String, String> out = new TreeMap<>();
    if (file == null || !Files.isRegularFile(file)) return out;
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw PullbackException.usage("cannot read " + file + ": " + e.getMessage());
    }
    for (String k : p.stringPropertyNames()) out.put(k.trim(), p.getProperty(k).trim());
    return out;
  }
}
