package io.pullback.io;

import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * Connection settings under which an unreachable namenode or object store fails within seconds
 * rather than after Hadoop's default minutes of retries (45 connect retries on time-outs for
 * HDFS's IPC client, 20 S3A attempts with back-off). A setting the user gave (in
 * {@code core-site.xml}, {@code --conf spark.hadoop.…} or the code) is kept; only values that come
 * from Hadoop's own defaults are replaced. Worst case with these values: about 2 × 5 s of connect
 * time-outs plus 1 s between retries for HDFS, 2 × 5 s for S3A, i.e. well under a minute.
 */
final class StoreTimeouts {
  /** The replaced defaults: key → value. */
  static final Map<String, String> FAST_FAIL = Map.of(
      "ipc.client.connect.max.retries", "1",
      "ipc.client.connect.max.retries.on.timeouts", "1",
      "ipc.client.connect.timeout", "5000",
      "ipc.client.connect.retry.interval", "1000",
      "fs.s3a.attempts.maximum", "2",
      "fs.s3a.retry.limit", "2",
      "fs.s3a.retry.interval", "500ms",
      "fs.s3a.connection.establish.timeout", "5s",
      "fs.s3a.retry.throttle.limit", "2");

  private StoreTimeouts() {}

  /** A copy of {@code conf} with the fast-fail values where {@code conf} has only Hadoop's defaults. */
  static Configuration applied(Configuration conf) {
    Configuration c = new Configuration(conf);
    FAST_FAIL.forEach((key, value) -> {
      if (!userSet(conf, key)) c.set(key, value, "pullback fast-fail default");
    });
    return c;
  }

  /** Whether {@code key} has a value from anywhere but Hadoop's {@code *-default.xml} files. */
  static boolean userSet(Configuration conf, String key) {
    if (conf.get(key) == null) return false;
    String[] sources = conf.getPropertySources(key);
    if (sources == null) return true;
    for (String s : sources) if (!s.endsWith("-default.xml")) return true;
    return false;
  }
}
