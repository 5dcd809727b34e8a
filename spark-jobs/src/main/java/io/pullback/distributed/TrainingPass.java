package io.pullback.distributed;

import io.pullback.data.ExampleBlock;
import io.pullback.data.RowSampler;
import io.pullback.loss.LossGradient;
import io.pullback.metric.FactorSource;
import io.pullback.metric.aggregate.GramAccumulator;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * One data pass of a training step: the loss {@code L = Σ w ℓ / Σ w}, its gradient, and, when asked,
 * the dense metric {@code G}, all from the same pass over the cached blocks.
 *
 * <p>θ is broadcast, each partition accumulates (loss, gradient, optional Gram), the partials are
 * merged by {@link DeterministicTreeReduce} (bit-identical for the same data and partitioning), and the
 * broadcast is destroyed.
 *
 * <p>Sampling: the gradient uses the examples the {@code batch} sampler selects at this step; the
 * metric uses those of them that the {@code metricSample} sampler also selects. Each is normalised by
 * its own weight total.
 *
 * <p>Costs: loss and gradient {@code O(M·K·N)}; the metric adds {@code M_G·r·N²} flops. Shuffled
 * bytes per tree level: {@code 8·N·P}, plus {@code 4·N²·P} with the metric. Driver memory:
 * {@code O(N)}, plus {@code 8·N²} with the metric.
 */
public final class TrainingPass {

  /**
   * What a pass measured. {@code metric} is row-major N×N, or null when not asked;
   * {@code squaredError} is {@code Σ w ‖E[y|x] − y‖² / Σ w} ({@link LossGradient#squaredErrorSum}).
   */
  public record Result(double loss, double[] gradient, double[] metric, double weightSum, long examples,
                       double metricWeightSum, long metricExamples, double squaredError) {}

  private TrainingPass() {}

  /**
   * @param metricSource factor rows at θ, or null for no metric
   * @param step the 1-based step number (it seeds the samplers)
   */
  public static Result run(LoadedData data, LossGradient lossGradient, double[] theta, FactorSource metricSource,
                           RowSampler batch, RowSampler metricSample, int step, long reduceBudgetBytes) {
    int n = lossGradient.model().numParams();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.blocks().context());
    Broadcast<double[]> thetaB = sc.broadcast(theta);
    boolean withMetric = metricSource != null;
    Broadcast<FactorSource> sourceB = withMetric ? sc.broadcast(metricSource) : null;
    try {
      JavaPairRDD<Integer, Partial> partials = data.blocks()
          .mapPartitionsWithIndex((Integer index, Iterator<ExampleBlock> blocks) -> {
            double[] th = thetaB.value();
            FactorSource src = withMetric ? sourceB.value().forTask() : null;
            Partial p = new Partial(n, withMetric ? new GramAccumulator(n) : null);
            double[] factors = new double[0];
            while (blocks.hasNext()) {
              ExampleBlock sampled = batch.sample(blocks.next(), step);
              p.loss += lossGradient.accumulate(th, sampled, p.gradient);
              p.squaredError += lossGradient.squaredErrorSum();
              p.weight += sampled.weightSum();
              p.count += sampled.rows();
              if (withMetric) {
                factors = DenseMetricEstimator.addBlock(src, src.prefersRowMajor(), metricSample.sample(sampled, step),
                    factors, p.gram);
              }
            }
            return List.of(new Tuple2<>(index, p.pack())).iterator();
          }, true)
          .mapToPair(t -> t);
      long partialBytes = 8L * n + (withMetric ? 4L * n * (n + 1) : 0);
      int fanIn = DeterministicTreeReduce.chooseFanIn(data.partitions(), partialBytes, reduceBudgetBytes);
      Partial total = DeterministicTreeReduce.reduce(partials, Partial::merge, fanIn);
      if (!(total.weight > 0)) {
        throw new IllegalStateException("step " + step + ": the batch sample is empty (batchFraction too small for the data)");
      }
      double[] gradient = total.gradient;
      for (int i = 0; i < n; i++) gradient[i] /= total.weight;
      double[] metric = null;
      if (withMetric) {
        if (!(total.packedGram.weightSum > 0)) {
          throw new IllegalStateException("step " + step + ": the metric sample is empty (metricFraction too small for the data)");
        }
        metric = GramAccumulator.finishPacked(total.packedGram.packed, n, total.packedGram.weightSum);
      }
      return new Result(total.loss / total.weight, gradient, metric, total.weight, total.count,
          withMetric ? total.packedGram.weightSum : 0, withMetric ? total.packedGram.count : 0, total.squaredError / total.weight);
    } finally {
      thetaB.destroy();
      if (sourceB != null) sourceB.destroy();
    }
  }

  /** A held-out evaluation: the mean loss and the accuracy (NaN when the model has none, {@link LossGradient#hasAccuracy}). */
  public record Evaluation(double loss, double accuracy) {}

  /**
   * The mean loss and the accuracy at θ over all of {@code data} (held-out examples): one data pass,
   * one forward pass per block, two numbers per partition collected (summed in partition order:
   * deterministic).
   */
  public static Evaluation evaluate(LoadedData data, LossGradient lossGradient, double[] theta) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.blocks().context());
    Broadcast<double[]> thetaB = sc.broadcast(theta);
    try {
      List<double[]> parts = data.blocks().mapPartitions((Iterator<ExampleBlock> blocks) -> {
        double[] sums = new double[3];
        while (blocks.hasNext()) {
          ExampleBlock b = blocks.next();
          double[] lc = lossGradient.lossAndCorrect(thetaB.value(), b);
          sums[0] += lc[0];
          sums[1] += lc[1];
          sums[2] += b.weightSum();
        }
        return List.of(sums).iterator();
      }).collect();
      double[] total = new double[3];
      for (double[] p : parts) for (int i = 0; i < 3; i++) total[i] += p[i];
      return new Evaluation(total[0] / total[2], lossGradient.hasAccuracy() ? total[1] / total[2] : Double.NaN);
    } finally {
      thetaB.destroy();
    }
  }

  /** The loss alone at θ over the batch sample of {@code step} (one forward pass, no Jacobian). */
  public static double loss(LoadedData data, LossGradient lossGradient, double[] theta, RowSampler batch, int step) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.blocks().context());
    Broadcast<double[]> thetaB = sc.broadcast(theta);
    try {
      // collect() returns partitions in index order: a deterministic sum.
      List<double[]> parts = data.blocks().mapPartitions((Iterator<ExampleBlock> blocks) -> {
        double l = 0;
        double w = 0;
        while (blocks.hasNext()) {
          ExampleBlock b = batch.sample(blocks.next(), step);
          l += lossGradient.lossOnly(thetaB.value(), b);
          w += b.weightSum();
        }
        return List.of(new double[] {l, w}).iterator();
      }).collect();
      double l = 0;
      double w = 0;
      for (double[] p : parts) {
        l += p[0];
        w += p[1];
      }
      return l / w;
    } finally {
      thetaB.destroy();
    }
  }

  /** A partition's sums (mutable while accumulating). */
  static final class Partial implements Serializable {
    private static final long serialVersionUID = 1L;
    double loss;
    double squaredError;
    double weight;
    long count;
    final double[] gradient;
    transient GramAccumulator gram;
    PackedGram packedGram;

    Partial(int n, GramAccumulator gram) {
      this.gradient = new double[n];
      this.gram = gram;
    }

    Partial pack() {
      if (gram != null) packedGram = PackedGram.of(gram);
      gram = null;
      return this;
    }

    Partial merge(Partial o) {
      loss += o.loss;
      squaredError += o.squaredError;
      weight += o.weight;
      count += o.count;
      for (int i = 0; i < gradient.length; i++) gradient[i] += o.gradient[i];
      if (packedGram != null) packedGram.merge(o.packedGram);
      return this;
    }
  }
}
