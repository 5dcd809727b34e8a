package io.pullback.bench.jmh;

import dev.ludovic.netlib.blas.BLAS;
import io.pullback.linalg.Blas;
import io.pullback.metric.aggregate.GramAccumulator;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * {@link GramAccumulator#add} for each kernel against the BLAS's own {@code dgemm("T","N")} of two
 * blocks of the same shape (the roofline the Gram kernel is held to). Single thread; the BLAS is the
 * one {@link Blas} selects ({@code -Dpullback.blas=openblas-jar|system|java}, passed with
 * {@code -jvmArgsAppend}). Divide {@code rows·N·(N+1)} (kernel) or {@code 2·rows·N²} (dgemm) by the
 * time per operation for GFLOP/s.
 */
public class GramKernelBenchmark extends KernelBenchmarkDefaults {
  @Param({"512", "1024"})
  int n;

  @Param({"256", "1024", "2048"})
  int rows;

  @Param({"SYRK", "GEMM", "GEMM_TILES"})
  GramAccumulator.Kernel kernel;

  @Param({"256"})
  int tile;

  double[] a;
  double[] b;
  double[] c;
  GramAccumulator acc;
  BLAS blas;

  @Setup
  public void setUp() {
    SplittableRandom rng = new SplittableRandom(1);
    a = new double[rows * n];
    b = new double[rows * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = rng.nextDouble(-1, 1);
      b[i] = rng.nextDouble(-1, 1);
    }
    c = new double[n * n];
    acc = new GramAccumulator(n, kernel, tile, 0, 0);
    blas = Blas.get();
  }

  @Benchmark
  public GramAccumulator gramKernel() {
    return acc.add(a, rows, rows, rows);
  }

  @Benchmark
  public double[] ownDgemm() {
    blas.dgemm("T", "N", n, n, rows, 1.0, a, rows, b, rows, 1.0, c, n);
    return c;
  }
}
