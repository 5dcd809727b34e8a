package io.pullback.data;

import io.pullback.PullbackException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A synthetic data set generated inside the executors:
 * {@code synthetic:NAME?rows=M&features=D&seed=S[&classes=K][&outputs=K][&noise=σ]}.
 *
 * <p>Generators (every row is a pure function of {@code (seed, row index)}, so the data do not depend
 * on the partitioning):
 * <ul>
 *   <li>{@code gaussian}: {@code x ~ N(0, I_D)};</li>
 *   <li>{@code uniform}: {@code x ~ U[-1,1]^D} (the measure the Legendre basis is orthonormal for);</li>
 *   <li>{@code gauss-legendre}: the {@code rows} Gauss–Legendre nodes on [-1, 1] (D = 1), weighted by
 *       their quadrature weights: sums over these examples integrate polynomials of degree
 *       {@code < 2·rows} exactly against the uniform measure, so a Legendre basis of degree
 *       {@code < rows} has metric exactly I;</li>
 *   <li>{@code teacher}: {@code x ~ N(0, I_D)}, {@code y = g(x) + noise·ε} with g a seeded random tanh MLP
 *       with one hidden layer of {@code width} units (default 8) and {@code outputs} outputs — the
 *       teacher–student set-up.</li>
 * </ul>
 * Labels come from a seeded random linear teacher {@code t(x) = Vx + c}: with {@code classes=K ≥ 2},
 * the label is the argmax class of {@code t(x)} (K = 2: class 1 when {@code t_1(x) > t_0(x)}, ready for
 * logistic regression), or with {@code noise=ν > 0} a draw from {@code softmax(t(x)/ν)} (so the classes
 * overlap and maximum likelihood has a finite optimum); otherwise {@code outputs} real targets
 * {@code sin(t(x)) + noise·ε}.
 */
public record SyntheticSpec(String generator, long rows, int features, long seed, int classes, int outputs, double noise, int width)
    implements java.io.Serializable {
  private static final Set<String> GENERATORS = Set.of("gaussian", "uniform", "gauss-legendre", "teacher");
  private static final Set<String> KEYS = Set.of("rows", "features", "seed", "classes", "outputs", "noise", "width");
  public static final String PREFIX = "synthetic:";

  public SyntheticSpec {
    if (!GENERATORS.contains(generator)) {
      throw PullbackException.usage("{data}: unknown synthetic generator '" + generator + "'; valid: " + GENERATORS);
    }
    if (rows <= 0) throw PullbackException.usage("{data}: synthetic rows must be > 0, got " + rows);
    if (features <= 0) throw PullbackException.usage("{data}: synthetic features must be > 0, got " + features);
    if (generator.equals("gauss-legendre") && features != 1) {
      throw PullbackException.usage("{data}: synthetic gauss-legendre has features=1, got " + features);
    }
    if (generator.equals("gauss-legendre") && rows > 10_000) {
      throw PullbackException.usage("{data}: synthetic gauss-legendre supports at most 10000 nodes, got " + rows);
    }
    if (width < 1) throw PullbackException.usage("{data}: synthetic width must be >= 1, got " + width);
    if (generator.equals("teacher") && classes != 0) throw PullbackException.usage("{data}: synthetic teacher is a regression set; remove classes");
    if (classes == 1 || classes < 0) throw PullbackException.usage("{data}: synthetic classes must be 0 (regression) or >= 2, got " + classes);
    if (outputs <= 0) throw PullbackException.usage("{data}: synthetic outputs must be >= 1, got " + outputs);
    if (!(noise >= 0) || Double.isInfinite(noise)) throw PullbackException.usage("{data}: synthetic noise must be finite and >= 0, got " + noise);
  }

  public static boolean isSynthetic(String data) {
    return data.startsWith(PREFIX);
  }

  /** Whether rows carry weights other than 1. */
  public boolean weighted() {
    return generator.equals("gauss-legendre");
  }

  /** Number of label values per row. */
  public int labelDim() {
    return classes >= 2 ? 1 : outputs;
  }

  /** Parses {@code synthetic:NAME?key=value&...}; unknown keys are errors. */
  public static SyntheticSpec parse(String data) {
    if (!isSynthetic(data)) throw PullbackException.usage("{data}: not a synthetic source: " + data);
    String rest = data.substring(PREFIX.length());
    int q = rest.indexOf('?');
    String name = q < 0 ? rest : rest.substring(0, q);
    Map<String, String> params = new LinkedHashMap<>();
    if (q >= 0 && q + 1 < rest.length()) {
      for (String kv : rest.substring(q + 1).split("&")) {
        int eq = kv.indexOf('=');
        if (eq <= 0) throw PullbackException.usage("{data}: malformed synthetic parameter '" + kv + "' (expected key=value)");
        String key = kv.substring(0, eq);
        if (!KEYS.contains(key)) {
          throw PullbackException.usage("{data}: unknown synthetic parameter '" + key + "'; valid: " + KEYS);
        }
        params.put(key, kv.substring(eq + 1));
      }
    }
    try {
      return new SyntheticSpec(name,
          Long.parseLong(params.getOrDefault("rows", "1000")),
          Integer.parseInt(params.getOrDefault("features", "4")),
          Long.parseLong(params.getOrDefault("seed", "0")),
          Integer.parseInt(params.getOrDefault("classes", "0")),
          Integer.parseInt(params.getOrDefault("outputs", "1")),
          Double.parseDouble(params.getOrDefault("noise", "0")),
          Integer.parseInt(params.getOrDefault("width", "8")));
    } catch (NumberFormatException e) {
      throw PullbackException.usage("{data}: synthetic parameter is not a number: " + e.getMessage() + " in " + data);
    }
  }
}
