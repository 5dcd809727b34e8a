package io.pullback.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;

/**
 * The process's file-mode creation mask (umask), which every file and folder Pullback writes
 * honours: files get {@code 666} and folders {@code 777} minus the umask, on the local file system
 * and on HDFS, as for any Unix program ({@code manifest.json} included).
 *
 * <p><b>How it is learnt</b> (once per JVM; Java has no call for it): from the {@code Umask:} line of
 * {@code /proc/self/status} (Linux 4.7+, for {@code bin/pullback} and a spark-submit driver alike);
 * else by creating a probe folder in {@code java.io.tmpdir} without stated permissions (the system
 * gives it {@code 777} minus the umask) and reading its mode; else {@value #FALLBACK_TEXT}.
 *
 * <p><b>How it reaches Hadoop.</b> Hadoop ignores the process umask: its local file system and its
 * HDFS client apply {@value #HADOOP_KEY} (default {@code 022}) to every file and folder they create.
 * So {@link Location}'s local file system is configured with the umask, and the Spark session gets
 * {@value #SPARK_KEY} ({@link #applyTo(SparkConf)}), which Spark passes to the driver's and the
 * executors' Hadoop configuration (Parquet tiles, HDFS outputs). A value the user set (in
 * {@code core-site.xml} or as {@value #SPARK_KEY}) is kept.
 *
 * <p>Limits: object stores have no modes; default ACLs on a folder can widen the result; in YARN
 * cluster mode the driver's umask is its container's. Cost: one small file read (or one probe folder)
 * per JVM.
 */
public final class Umask {
  /** Hadoop's umask setting. */
  public static final String HADOOP_KEY = "fs.permissions.umask-mode";
  /** The same as a Spark setting (copied into every Hadoop configuration Spark makes). */
  public static final String SPARK_KEY = "spark.hadoop." + HADOOP_KEY;
  static final int FALLBACK = 022;
  static final String FALLBACK_TEXT = "022";

  private static volatile Integer current;

  private Umask() {}

  /** The process's umask (bits 0–0777). */
  public static int current() {
    Integer u = current;
    if (u == null) {
      u = read(Path.of("/proc/self/status"), Path.of(System.getProperty("java.io.tmpdir")));
      current = u;
    }
    return u;
  }

  /** The umask as Hadoop writes it: three or four octal digits ({@code 022}, {@code 0077} → {@code 077}). */
  public static String octal() {
    return octal(current());
  }

  static String octal(int umask) {
    return String.format("%03o", umask);
  }

  /** The umask from {@code procStatus}, else from a probe folder in {@code probeDir}, else {@value #FALLBACK_TEXT}. */
  static int read(Path procStatus, Path probeDir) {
    try {
      Integer u = fromStatus(Files.readAllLines(procStatus));
      if (u != null) return u;
    } catch (IOException | RuntimeException e) {
      // not Linux, or an old kernel: probe
    }
    Path probe = probeDir.resolve(".pullback-umask-probe-" + UUID.randomUUID());
    try {
      Files.createDirectory(probe);
      try {
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(probe);
        int bits = 0;
        for (PosixFilePermission p : mode) bits |= 1 << (8 - p.ordinal());
        return 0777 & ~bits;
      } finally {
        Files.deleteIfExists(probe);
      }
    } catch (IOException | RuntimeException e) {
      return FALLBACK;
    }
  }

  /** The {@code Umask:} value of a {@code /proc/PID/status} file's lines, or null when there is none. */
  static Integer fromStatus(List<String> lines) {
    for (String line : lines) {
      if (line.startsWith("Umask:")) {
        try {
          return Integer.parseInt(line.substring(6).strip(), 8) & 0777;
        } catch (NumberFormatException e) {
          return null;
        }
      }
    }
    return null;
  }

  /** Sets {@value #HADOOP_KEY} in {@code conf} to the process umask unless the user set it (not a {@code *-default.xml} value). */
  public static Configuration applyTo(Configuration conf) {
    if (!StoreTimeouts.userSet(conf, HADOOP_KEY)) conf.set(HADOOP_KEY, octal(), "the process umask (pullback)");
    return conf;
  }

  /**
   * Sets {@value #SPARK_KEY} in {@code conf} to the process umask, unless it is there already or the
   * Hadoop configuration on the class path ({@code core-site.xml}) sets {@value #HADOOP_KEY}.
   */
  public static void applyTo(SparkConf conf) {
    if (conf.contains(SPARK_KEY) || StoreTimeouts.userSet(new Configuration(), HADOOP_KEY)) return;
    conf.set(SPARK_KEY, octal());
  }
}
