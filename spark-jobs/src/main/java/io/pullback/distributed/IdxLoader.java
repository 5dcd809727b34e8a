package io.pullback.distributed;

import io.pullback.PullbackException;
import io.pullback.data.IdxFile;
import io.pullback.data.RawExample;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * {@code {format}} idx: MNIST-style images ({@code {data}}, magic 0x803) and labels
 * ({@code {labels}}, magic 0x801), read by {@link IdxFile} (gzipped or not). Example i has the
 * features {@code pixel/255} (in [0, 1], row-major rows × columns) and the label {@code labels[i]}
 * (0..255; without a labels file, with {@code {target}} inputs, a placeholder 0 that the inputs replace).
 *
 * <p>The files are read on the driver (one sequential pass each, the images held once as bytes:
 * 47 MB for MNIST's 60,000 training images) and split into P contiguous index ranges
 * {@code [kM/P, (k+1)M/P)} (P = {@code {partitions}}, else the default parallelism), shipped as
 * bytes (one task per range) and converted to doubles in the executors; then the common validation
 * and packing ({@link DataLoader}). Limits: each file below 2 GiB decompressed.
 */
final class IdxLoader {
  private IdxLoader() {}

  /** One partition's examples: pixels and labels of {@code [first, first + rows)}. */
  private record Chunk(long first, int rows, int dim, byte[] pixels, byte[] labels) implements Serializable {
  }

  static LoadedData load(SparkSession spark, DataLoader.Options options, InputFiles input) {
    if (input.files().size() != 1) {
      throw PullbackException.usage("{data}: {format} idx reads one images file, '" + options.data() + "' gives "
          + input.files().size() + " files");
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path imagesPath = input.files().get(0);
    IdxFile images = read(conf, imagesPath, options.data(), IdxFile.IMAGES_MAGIC, "{data}");
    IdxFile labels = null;
    List<String> paths = new ArrayList<>(List.of(imagesPath.toString()));
    if (options.labels() != null) {
      Path labelsPath = new Path(options.labels());
      labels = read(conf, labelsPath, options.labels(), IdxFile.LABELS_MAGIC, "{labels}");
      paths.add(labelsPath.toString());
      if (labels.count() != images.count()) {
        throw PullbackException.data("IDX labels file '" + options.labels() + "' has " + labels.count()
            + " labels but the images file '" + options.data() + "' has " + images.count() + " images");
      }
    } else if (!options.targetInputs()) {
      throw PullbackException.usage("{labels} is required with {format} idx (the labels file, magic 0x801), unless {target} inputs");
    }
    int m = images.count();
    int dim = images.itemSize();
    int p = options.partitions() != null ? options.partitions() : spark.sparkContext().defaultParallelism();
    p = Math.max(1, Math.min(p, m));
    List<Chunk> chunks = new ArrayList<>(p);
    for (int k = 0; k < p; k++) {
      int from = (int) DataLoader.rangeStart(k, p, m);
      int to = (int) DataLoader.rangeStart(k + 1, p, m);
      byte[] px = java.util.Arrays.copyOfRange(images.values(), from * dim, to * dim);
      byte[] lb = labels == null ? null : java.util.Arrays.copyOfRange(labels.values(), from, to);
      chunks.add(new Chunk(from, to - from, dim, px, lb));
    }
    JavaPairRDD<Long, RawExample> indexed = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(chunks, p)
        .flatMapToPair(IdxLoader::examples);
    return DataLoader.validateAndPack(indexed, dim, options, paths, false, false);
  }

  private static IdxFile read(Configuration conf, Path path, String spelled, int magic, String parameter) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      if (!fs.exists(path)) throw PullbackException.data(parameter + ": input '" + spelled + "' does not exist");
      return IdxFile.read(fs.open(path), spelled, magic);
    } catch (IOException e) {
      throw PullbackException.data(parameter + ": cannot read '" + spelled + "': " + e.getMessage());
    }
  }

  /** The chunk's examples in index order: features {@code byte/255}, label the byte (or 0). */
  private static Iterator<Tuple2<Long, RawExample>> examples(Chunk c) {
    return new Iterator<>() {
      int i = 0;
      @Override public boolean hasNext() { return i < c.rows(); }
      @Override public Tuple2<Long, RawExample> next() {
        double[] x = new double[c.dim()];
        int off = i * c.dim();
        for (int j = 0; j < x.length; j++) x[j] = (c.pixels()[off + j] & 0xFF) / 255.0;
        double y = c.labels() == null ? 0.0 : c.labels()[i] & 0xFF;
        return new Tuple2<>(c.first() + i++, new RawExample(x, new double[] {y}, 1.0));
      }
    };
  }
}
