package io.pullback.bench.jmh;

import dev.ludovic.netlib.blas.BLAS;
import io.pullback.linalg.Blas;
import io.pullback.metric.aggregate.GramAccumulator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link GramAccumulator#add} for each kernel against the BLAS's own {@code dgemm("T","N")} of two
 * blocks of the same shape (the roofline the Gram kernel is held to). Single thread; the BLAS is the
 * one {@link Blas} selects ({@code -Dpullback.blas=openblas-jar|system|java}, passed with
 * {@code -jvmArgsAppend}). Divide {@code rows·N·(N+1)} (kernel) or {@code 2·rows·N²} (dgemm) by the
 * time per operation for GFLOP/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class GramKernelBenchmark {
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
