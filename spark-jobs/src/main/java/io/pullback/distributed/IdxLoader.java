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
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * {@code {format}} idx: MNIST-style images ({@code {data}}, magic 0x803) and labels
 * ({@code {labels}}, magic 0x801), read by {@link IdxFile} (gzipped or not). Example i has the
 * features {@code pixel/255} (in [0, 1], row-major rows × columns) and the label {@code labels[i]}
 * (0..255; without a labels file, with {@code {target}} inputs, a placeholder 0 that the inputs replace).
 *
 * <p>The files are checked on the driver (one sequential pass each: magic, dimensions, length;
 * MNIST's 60,000 training images are 47 MB) and split into P contiguous index ranges
 * {@code [kM/P, (k+1)M/P)} (P = {@code {partitions}}, else the default parallelism); each task reads
 * its range of both files itself through the session's Hadoop configuration (a gzipped file is
 * decompressed up to the range's end) and converts the bytes to doubles, so no data travels with the
 * tasks; then the common validation and packing ({@link DataLoader}). Limits: each file below 2 GiB
 * decompressed.
 */
final class IdxLoader {
  private IdxLoader() {}

  /** One partition's examples {@code [first, first + rows)}: where to read them. */
  private record Chunk(long first, int rows, int dim, String images, String labels) implements Serializable {
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
      Path labelsPath = qualified(conf, new Path(options.labels()));
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
      chunks.add(new Chunk(from, to - from, dim, imagesPath.toString(), labels == null ? null : paths.get(1)));
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<SerializableConfiguration> confB = jsc.broadcast(new SerializableConfiguration(conf));
    JavaPairRDD<Long, RawExample> indexed = jsc.parallelize(chunks, p)
        .flatMapToPair(c -> examples(c, confB.value().value()));
    return DataLoader.validateAndPack(indexed, dim, options, paths, false, false);
  }

  private static Path qualified(Configuration conf, Path p) {
    try {
      return p.getFileSystem(conf).makeQualified(p);
    } catch (IOException e) {
      throw PullbackException.data("{labels}: cannot read '" + p + "': " + e.getMessage());
    }
  }

  private static byte[] readRange(Configuration conf, String file, int ndims, int itemSize, long from, int items) throws IOException {
    Path path = new Path(file);
    return IdxFile.readRange(path.getFileSystem(conf).open(path), file, ndims, itemSize, from, items);
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

  /** The chunk's examples in index order, read from the files: features {@code byte/255}, label the byte (or 0). */
  private static Iterator<Tuple2<Long, RawExample>> examples(Chunk c, Configuration conf) throws IOException {
    byte[] pixels = readRange(conf, c.images(), 3, c.dim(), c.first(), c.rows());
    byte[] labels = c.labels() == null ? null : readRange(conf, c.labels(), 1, 1, c.first(), c.rows());
    return new Iterator<>() {
      int i = 0;
      @Override public boolean hasNext() { return i < c.rows(); }
      @Override public Tuple2<Long, RawExample> next() {
        double[] x = new double[c.dim()];
        int off = i * c.dim();
        for (int j = 0; j < x.length; j++) x[j] = (pixels[off + j] & 0xFF) / 255.0;
        double y = labels == null ? 0.0 : labels[i] & 0xFF;
        return new Tuple2<>(c.first() + i++, new RawExample(x, new double[] {y}, 1.0));
      }
    };
  }
}
