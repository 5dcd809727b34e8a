package io.pullback.distributed;

import io.pullback.data.ExampleBlock;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;

/**
 * Validated input packed into cached blocks.
 *
 * @param blocks cached blocks, contiguous example runs in index order within each partition
 * @param examples M, the number of examples
 * @param weightSum Σ w_x
 * @param dim D, the number of features
 * @param labelDim label values per example
 * @param partitions number of partitions of {@code blocks}
 * @param blockRows examples per block (the last block of a partition may be shorter)
 * @param inputPaths the files read (empty for synthetic data)
 * @param maxAbsFeature the largest |feature value| (to name a likely cause when a result overflows)
 * @param cached the persisted RDD that holds the blocks' arrays: {@code blocks} itself, or the
 *     per-split blocks that {@code blocks} re-indexes without copying (text and Parquet input)
 */
public record LoadedData(JavaRDD<ExampleBlock> blocks, long examples, double weightSum, int dim, int labelDim,
                         int partitions, int blockRows, List<String> inputPaths, double maxAbsFeature, JavaRDD<?> cached) {

  /** Frees the cached blocks. */
  public void release() {
    cached.unpersist(false);
  }
}
