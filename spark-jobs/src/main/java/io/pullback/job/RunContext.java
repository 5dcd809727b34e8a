package io.pullback.job;

import io.pullback.io.RunLock;
import io.pullback.linalg.Blas;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * What every job runs with, as one value: the session, the reduce budget derived from its
 * configuration, the numerical libraries in use and the resolved Spark configuration (for the
 * manifest). Made once per command by the {@code cli} layer ({@link #of}); the jobs never read
 * these from Spark themselves.
 *
 * @param spark the session (its master is the launcher's choice, never set here)
 * @param reduceBudgetBytes what one merge task (or the driver) may hold of partial results at once:
 *     half of {@code spark.driver.maxResultSize} (default 1g; 512 MiB when it is unlimited)
 */
public record RunContext(SparkSession spark, long reduceBudgetBytes) {

  /** The context of {@code spark}. */
  public static RunContext of(SparkSession spark) {
    return new RunContext(spark, reduceBudget(spark.sparkContext().getConf()));
  }

  /** Half of {@code spark.driver.maxResultSize} (default 1g; 512 MiB when it is 0, i.e. unlimited). */
  static long reduceBudget(SparkConf conf) {
    long max = conf.getSizeAsBytes("spark.driver.maxResultSize", "1g");
    return max <= 0 ? 512L << 20 : max / 2;
  }

  /** The Hadoop configuration the session's file systems use. */
  public Configuration hadoopConf() {
    return spark.sparkContext().hadoopConfiguration();
  }

  /**
   * For the manifest: Spark's version, the master, the application id and the configuration
   * (every entry, sorted; the manifest redacts secrets).
   */
  public Map<String, Object> sparkInfo() {
    Map<String, String> conf = new TreeMap<>();
    for (Tuple2<String, String> kv : spark.sparkContext().getConf().getAll()) conf.put(kv._1(), kv._2());
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("version", spark.version());
    s.put("master", spark.sparkContext().master());
    s.put("app_id", spark.sparkContext().applicationId());
    s.put("conf", conf);
    return s;
  }

  /**
   * The cluster application attempt this driver runs as, or null outside one: in YARN cluster mode
   * Spark's application id and {@code SparkContext.applicationAttemptId} (1, 2, … as the
   * ResourceManager restarts a lost application master); elsewhere Spark reports no attempt.
   */
  public RunLock.Attempt attempt() {
    return attempt(spark.sparkContext().applicationId(), spark.sparkContext().applicationAttemptId());
  }

  static RunLock.Attempt attempt(String application, scala.Option<String> attempt) {
    if (attempt.isEmpty() || application == null || application.isBlank()) return null;
    try {
      int n = Integer.parseInt(attempt.get());
      return n >= 1 ? new RunLock.Attempt(application, n) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The BLAS and LAPACK in use and the native files mapped now ({@link Blas#report()}). */
  public Map<String, Object> numericLibraries() {
    return Blas.report();
  }
}
