package io.pullback.distributed;

import io.pullback.distributed.BlockedMetricEstimator.BlockedMetric;
import io.pullback.distributed.BlockedMetricEstimator.Tile;
import io.pullback.io.Location;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The on-disk form of a blocked metric: a Parquet folder {@code metric/} with one row per upper tile
 * ({@code I ≤ J}; the lower tiles are their transposes):
 *
 * <pre>
 *   tile_row INT, tile_col INT       tile indices I, J
 *   row_offset LONG, col_offset LONG first global row / column of the tile (I·T, J·T)
 *   rows INT, cols INT               tile shape (the last tile row/column may be smaller than T)
 *   n LONG, tile_size INT            N and T, repeated on every row
 *   values ARRAY&lt;DOUBLE&gt;            the tile, row-major: G[row_offset + a, col_offset + b] = values[a·cols + b]
 * </pre>
 *
 * Python: {@code pandas.read_parquet("metric")} then place each tile.
 */
public final class MetricTiles {
  public static final StructType SCHEMA = new StructType()
      .add("tile_row", DataTypes.IntegerType, false)
      .add("tile_col", DataTypes.IntegerType, false)
      .add("row_offset", DataTypes.LongType, false)
      .add("col_offset", DataTypes.LongType, false)
      .add("rows", DataTypes.IntegerType, false)
      .add("cols", DataTypes.IntegerType, false)
      .add("n", DataTypes.LongType, false)
      .add("tile_size", DataTypes.IntegerType, false)
      .add("values", DataTypes.createArrayType(DataTypes.DoubleType, false), false);

  private MetricTiles() {}

  /**
   * Writes the tiles as Parquet into {@code folder} (which must not exist), on any Hadoop file
   * system: the executors write their partitions straight to the folder's store, so on a cluster
   * the tiles land on the cluster's storage, not on the nodes' local disks.
   */
  public static void write(SparkSession spark, BlockedMetric metric, Location folder) {
    int t = metric.tileSize();
    long n = metric.n();
    JavaRDD<Row> rows = metric.tiles().map(tile -> RowFactory.create(tile.i(), tile.j(), (long) tile.i() * t, (long) tile.j() * t,
        tile.rows(), tile.cols(), n, t, boxed(tile.values())));
    Dataset<Row> df = spark.createDataFrame(rows, SCHEMA);
    df.write().parquet(folder.uri());
  }

  /** Reads tiles back (for tests and export); the folder's rows in tile order. */
  public static List<Tile> read(SparkSession spark, Path folder) {
    return read(spark, Location.local(folder));
  }

  /** Reads tiles back from any Hadoop file system; the folder's rows in tile order. */
  public static List<Tile> read(SparkSession spark, Location folder) {
    return spark.read().schema(SCHEMA).parquet(folder.uri())
        .orderBy("tile_row", "tile_col")
        .javaRDD()
        .map(r -> {
          List<Double> values = r.getList(8);
          double[] v = new double[values.size()];
          for (int k = 0; k < v.length; k++) v[k] = values.get(k);
          return new Tile(r.getInt(0), r.getInt(1), r.getInt(4), r.getInt(5), v);
        })
        .collect();
  }

  private static Object boxed(double[] v) {
    Double[] b = new Double[v.length];
    for (int k = 0; k < v.length; k++) b[k] = v[k];
    return b;
  }
}
