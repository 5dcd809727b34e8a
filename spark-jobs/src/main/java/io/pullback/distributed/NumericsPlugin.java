package io.pullback.distributed;

import io.pullback.linalg.Blas;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * A Spark plugin that makes {@link Blas}'s choice of BLAS and LAPACK in every executor JVM as it
 * starts, before any task runs, so that no library (MLlib included) can ask netlib for an instance
 * first and load a second native library beside the one Pullback selects. The driver selects the
 * same way. Pullback's session providers add it to {@code spark.plugins} (after any plugins the
 * user configured); on a cluster it needs nothing else, as it ships in the application jar.
 */
public final class NumericsPlugin implements SparkPlugin {
  /** The value to put in {@code spark.plugins}. */
  public static final String CLASS_NAME = NumericsPlugin.class.getName();

  @Override
  public DriverPlugin driverPlugin() {
    return new DriverPlugin() {
      @Override
      public Map<String, String> init(org.apache.spark.SparkContext sc, PluginContext context) {
        Blas.selection();
        return Map.of();
      }
    };
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      @Override
      public void init(PluginContext ctx, Map<String, String> extraConf) {
        Blas.selection();
      }
    };
  }

  /**
   * {@code spark.plugins} with this plugin added after what {@code conf} already lists (unchanged
   * when it is listed).
   */
  public static String pluginsWithThis(SparkConf conf) {
    String existing = conf.get("spark.plugins", "").trim();
    if (existing.isEmpty()) return CLASS_NAME;
    for (String p : existing.split(",")) if (p.trim().equals(CLASS_NAME)) return existing;
    return existing + "," + CLASS_NAME;
  }
}
