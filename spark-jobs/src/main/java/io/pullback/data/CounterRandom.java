package io.pullback.data;

/**
 * A counter-based random generator: every draw is a pure function of
 * {@code (seed, index, sample, stream)}, so per-example randomness does not depend on how examples
 * are partitioned into blocks, on block sizes, on task retries, or on evaluation order.
 *
 * <p>Construction: three rounds of the SplitMix64 finaliser (Stafford's "Mix13", a bijection of
 * 64-bit words), chaining {@code seed}, then {@code index}, then {@code (sample, stream)} packed
 * into one word. Distinct counters collide with probability ≈ 2⁻⁶⁴; the output passes the same
 * statistical tests as SplitMix64 on sequential counters.
 *
 * <p>{@link #uniform} returns the top 53 bits scaled to {@code [0, 1)}; {@link #normal} is
 * Box–Muller (cosine branch) on the two uniforms of streams {@code 2·stream} and
 * {@code 2·stream + 1}.
 */
public final class CounterRandom {
  private CounterRandom() {}

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  /** SplitMix64's finaliser (a bijection on 64-bit words). */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** 64 random bits for the counter {@code (seed, index, sample, stream)}. */
  public static long bits(long seed, long index, int sample, int stream) {
    long h = mix64(seed * GOLDEN + 0x632BE59BD9B4E019L);
    h = mix64(h ^ index);
    h = mix64(h ^ ((((long) sample) << 32) | (stream & 0xFFFFFFFFL)));
    return h;
  }

  /** A uniform double in {@code [0, 1)} (multiples of 2⁻⁵³). */
  public static double uniform(long seed, long index, int sample, int stream) {
    return (bits(seed, index, sample, stream) >>> 11) * 0x1.0p-53;
  }

  /** A standard normal draw (Box–Muller on streams {@code 2·stream}, {@code 2·stream+1}). */
  public static double normal(long seed, long index, int sample, int stream) {
    double u1 = 1.0 - uniform(seed, index, sample, 2 * stream); // (0, 1]: log is finite
    double u2 = uniform(seed, index, sample, 2 * stream + 1);
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
  }
}
