package io.pullback.cli;

import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a command gets its {@link SparkSession}. Under spark-submit the job never sets the master:
 * {@link #submitted()} takes the session spark-submit configured. The local runner supplies its own
 * provider that builds a {@code local[*]} session (or connects to {@code --master URL}).
 */
@FunctionalInterface
public interface SessionProvider {

  /**
   * @param master the {@code --master} flag of the command, or null when not given
   */
  SparkSession session(String master);

  /** The session configured by spark-submit ({@code getOrCreate}); a conflicting --master is ignored with a warning. */
  static SessionProvider submitted() {
    return master -> {
      SparkSession.Builder builder = SparkSession.builder().appName("pullback");
      java.util.Map<String, String> auth = AuthSecret.fromEnvironment();
      auth.forEach(builder::config);
      org.apache.spark.SparkConf submitted = new org.apache.spark.SparkConf(); // spark-submit's settings (system properties)
      io.pullback.io.Umask.applyTo(submitted); // Hadoop's writers (driver and executors) honour the process umask
      if (submitted.contains(io.pullback.io.Umask.SPARK_KEY)) builder.config(io.pullback.io.Umask.SPARK_KEY, submitted.get(io.pullback.io.Umask.SPARK_KEY));
      // One BLAS/LAPACK library per executor JVM, chosen before any task (spark-submit's own
      // spark.plugins are kept).
      builder.config("spark.plugins", io.pullback.distributed.NumericsPlugin.pluginsWithThis(new org.apache.spark.SparkConf()));
      if (SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty()) {
        org.apache.spark.SparkConf conf = new org.apache.spark.SparkConf(); // spark-submit's settings (system properties)
        auth.forEach(conf::set);
        StandaloneMasterCheck.check(conf.get("spark.master", null), conf);
      }
      SparkSession spark = builder.getOrCreate();
      String actual = spark.sparkContext().master();
      if (master != null && !master.equals(actual)) {
        Logger log = LoggerFactory.getLogger(SessionProvider.class);
        log.warn("--master {} ignored: under spark-submit the master is {} (set it with spark-submit --master)", master, actual);
      }
      return spark;
    };
  }
}
