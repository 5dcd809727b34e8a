package io.pullback.bench;

import dev.ludovic.netlib.blas.BLAS;
import io.pullback.linalg.Blas;
import io.pullback.metric.aggregate.GramAccumulator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The Gram kernel ({@link GramAccumulator#add}) against the same BLAS's own {@code dgemm} on the same
 * shape, single-threaded, in this JVM (whatever {@link Blas} selected).
 *
 * <p>Flop counts: the Gram kernel is credited with the flops of the result it produces, the
 * symmetric {@code AᵀA} ({@code rows·N·(N+1)}, the LAPACK count for {@code dsyrk}), whatever it
 * does internally (so computing the full square with dgemm scores at most half of dgemm's rate);
 * {@code dgemm("T","N")} of two different {@code rows × N} blocks is credited {@code 2·rows·N²}.
 * Each is timed in interleaved rounds (kernel, dgemm, kernel, dgemm, …, so both see the same machine
 * load) and the best round of each is reported, with the median of the per-round ratios.
 */
public final class KernelBench {

  /** One measured shape ({@code ratioBest}: best kernel rate over best dgemm rate; {@code ratioMedian}: median of the per-round ratios). */
  public record Point(String kernel, int n, int rows, int tile, double kernelGflops, double dgemmGflops,
                      double ratioBest, double ratioMedian) {
    Map<String, Object> toMap() {
      return RecordMaps.of(this);
    }
  }

  private KernelBench() {}

  /**
   * Measures one kernel on one shape.
   *
   * @param rounds interleaved rounds (≥ 1); each round runs each side for at least {@code minSeconds}
   */
  public static Point measure(GramAccumulator.Kernel kernel, int n, int rows, int tile, int rounds, double minSeconds, long seed) {
    BLAS blas = Blas.get();
    SplittableRandom rng = new SplittableRandom(seed);
    double[] a = new double[rows * n];
    double[] b = new double[rows * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = rng.nextDouble(-1, 1);
      b[i] = rng.nextDouble(-1, 1);
    }
    double[] c = new double[n * n];
    GramAccumulator acc = new GramAccumulator(n, kernel, Math.max(1, tile), 0);
    double kernelFlops = (double) rows * n * (n + 1);
    double gemmFlops = 2.0 * rows * n * n;
    // Warm-up: JIT, page faults, OpenBLAS buffers.
    acc.add(a, rows, rows, rows);
    blas.dgemm("T", "N", n, n, rows, 1.0, a, rows, b, rows, 1.0, c, n);
    double bestK = 0;
    double bestG = 0;
    double[] ratios = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      double k = rate(() -> acc.add(a, rows, rows, rows), kernelFlops, minSeconds);
      double g = rate(() -> blas.dgemm("T", "N", n, n, rows, 1.0, a, rows, b, rows, 1.0, c, n), gemmFlops, minSeconds);
      bestK = Math.max(bestK, k);
      bestG = Math.max(bestG, g);
      ratios[r] = k / g;
    }
    Arrays.sort(ratios);
    return new Point(kernel.name().toLowerCase(java.util.Locale.ROOT), n, rows, tile, bestK, bestG, bestK / bestG, ratios[rounds / 2]);
  }

  /**
   * Aggregate GFLOP/s of {@code threads} Gram kernels running at once on private {@code rows × N}
   * blocks (the shape and thread count of an estimate's tasks), each for at least {@code minSeconds}
   * after a warm-up call: the most any Gram implementation can get from this machine's cores with
   * this BLAS. Flops counted as {@link #measure} does ({@code rows·N·(N+1)} per call).
   */
  public static double concurrentRate(GramAccumulator.Kernel kernel, int n, int rows, int threads, double minSeconds)
      throws InterruptedException {
    double flopsPerCall = (double) rows * n * (n + 1);
    double[] flops = new double[threads];
    long[] nanos = new long[threads];
    java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread w = new Thread(() -> {
        SplittableRandom rng = new SplittableRandom(id + 1);
        double[] a = new double[rows * n];
        for (int i = 0; i < a.length; i++) a[i] = rng.nextDouble(-1, 1);
        GramAccumulator acc = new GramAccumulator(n, kernel, GramAccumulator.DEFAULT_TILE, 0);
        acc.add(a, rows, rows, rows); // warm-up
        try {
          start.await();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        long t0 = System.nanoTime();
        int calls = 0;
        do {
          acc.add(a, rows, rows, rows);
          calls++;
        } while (System.nanoTime() - t0 < minSeconds * 1e9);
        nanos[id] = System.nanoTime() - t0;
        flops[id] = flopsPerCall * calls;
      }, "kernel-bench-" + t);
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) w.join();
    double total = 0;
    long longest = 0;
    for (int t = 0; t < threads; t++) {
      total += flops[t];
      longest = Math.max(longest, nanos[t]);
    }
    return total / longest;
  }

  /** GFLOP/s of {@code op} repeated until at least {@code minSeconds} have passed. */
  static double rate(Runnable op, double flopsPerCall, double minSeconds) {
    long t0 = System.nanoTime();
    int calls = 0;
    long elapsed;
    do {
      op.run();
      calls++;
      elapsed = System.nanoTime() - t0;
    } while (elapsed < minSeconds * 1e9);
    return flopsPerCall * calls / elapsed;
  }

  /**
   * Entry point for a child JVM (one BLAS per JVM): {@code KernelBench N1,N2 ROWS1,ROWS2 TILE1,TILE2 ROUNDS MINSECONDS [native-only]}
   * prints one JSON object: the BLAS selected and every point for every kernel ({@code native-only}: no
   * points when the selected BLAS is not native).
   */
  public static void main(String[] args) throws Exception {
    int[] ns = ints(args[0]);
    int[] rowsList = ints(args[1]);
    int[] tiles = ints(args[2]);
    int rounds = Integer.parseInt(args[3]);
    double minSeconds = Double.parseDouble(args[4]);
    boolean nativeOnly = args.length > 5 && args[5].equals("native-only");
    List<Map<String, Object>> points = new ArrayList<>();
    String impl = Blas.implementationName();
    // A native provider that did not load would measure the Java fallback: report it unavailable at once.
    if (nativeOnly && !Blas.isNative()) ns = new int[0];
    for (int n : ns) {
      for (int rows : rowsList) {
        points.add(measure(GramAccumulator.Kernel.SYRK, n, rows, 0, rounds, minSeconds, 1).toMap());
        points.add(measure(GramAccumulator.Kernel.GEMM, n, rows, 0, rounds, minSeconds, 1).toMap());
        for (int t : tiles) {
          if (t < n) points.add(measure(GramAccumulator.Kernel.GEMM_TILES, n, rows, t, rounds, minSeconds, 1).toMap());
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("blas", impl);
    out.put("native", Blas.isNative());
    out.put("points", points);
    System.out.println("KERNEL-JSON " + io.pullback.io.Json.mapper().writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
  }

  static int[] ints(String csv) {
    return Arrays.stream(csv.split(",")).filter(s -> !s.isBlank()).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
  }
}
