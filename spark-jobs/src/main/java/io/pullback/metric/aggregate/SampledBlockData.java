package io.pullback.metric.aggregate;

import io.pullback.data.ExampleBlock;
import io.pullback.data.RowSampler;
import io.pullback.metric.FactorRows;
import java.util.List;

/**
 * The examples a {@link RowSampler} selects at one step, as {@link BlockData}: every sum and
 * collection sees each block already sampled (inside the executors). The sample's size and weight
 * take one extra pass, made when first asked. The dense metric is not offered here (training builds
 * it in its own pass).
 */
public final class SampledBlockData implements BlockData {
  private final BlockData all;
  private final RowSampler sampler;
  private final int step;
  private double[] sizes;

  public SampledBlockData(BlockData all, RowSampler sampler, int step) {
    this.all = all;
    this.sampler = sampler;
    this.step = step;
  }

  private double[] sizes() {
    if (sizes == null) sizes = all.sum(new SizeSum(sampler, step));
    return sizes;
  }

  /** (rows, weight) of the sample. */
  private record SizeSum(RowSampler sampler, int step) implements BlockSum {
    @Override
    public int length() {
      return 2;
    }

    @Override
    public Adder newAdder() {
      return (block, acc) -> {
        ExampleBlock b = sampler.sample(block, step);
        acc[0] += b.rows();
        acc[1] += b.weightSum();
      };
    }
  }

  /** {@code inner} over the sampled blocks. */
  private record SampledSum(BlockSum inner, RowSampler sampler, int step) implements BlockSum {
    @Override
    public int length() {
      return inner.length();
    }

    @Override
    public Adder newAdder() {
      Adder adder = inner.newAdder();
      return new Adder() {
        @Override
        public void add(ExampleBlock block, double[] acc) {
          adder.add(sampler.sample(block, step), acc);
        }

        @Override
        public void finish(double[] acc) {
          adder.finish(acc);
        }
      };
    }
  }

  @Override
  public long examples() {
    return (long) sizes()[0];
  }

  @Override
  public double weightSum() {
    return sizes()[1];
  }

  @Override
  public double[] sum(BlockSum s) {
    return all.sum(new SampledSum(s, sampler, step));
  }

  @Override
  public List<double[]> collect(BlockMapper mapper) {
    RowSampler smp = sampler;
    int t = step;
    return all.collect(block -> mapper.apply(smp.sample(block, t)));
  }

  /** The tiles of all the data, not of the sample (the blocked metric is built once, not per batch). */
  @Override
  public TiledGram tiledMetric(FactorRows rows, double[] theta, int tileSize) {
    return all.tiledMetric(rows, theta, tileSize);
  }

  @Override
  public DenseGram denseMetric(FactorRows rows, double[] theta) {
    throw new UnsupportedOperationException("the dense metric of a sample is computed by the training pass");
  }
}
