package io.pullback.model;

import io.pullback.Names;

/** Hidden-layer activations of {@link MlpModel}: value σ(z) and derivative σ'(z). */
public enum Activation {
  /** {@code tanh z}; {@code σ' = 1 − tanh² z}. */
  TANH("tanh"),
  /** {@code max(0, z)}; {@code σ'(z) = 1} for z &gt; 0, else 0 (the derivative at 0 is taken as 0). */
  RELU("relu"),
  /**
   * Exact GELU {@code z·Φ(z)} with {@code Φ(z) = ½(1 + erf(z/√2))}; {@code σ' = Φ(z) + z·φ(z)},
   * {@code φ} the standard normal density. Φ is computed by {@link NormalCdf} (Cody's rational
   * approximations, a few ulps accurate including the tails).
   */
  GELU("gelu"),
  /**
   * Logistic {@code σ(z) = 1/(1 + e^{−z})} (computed without overflow for large |z|);
   * {@code σ' = σ(z)(1 − σ(z))}.
   */
  SIGMOID("sigmoid"),
  /** The identity {@code σ(z) = z}, {@code σ' = 1}: a linear hidden layer (e.g. an autoencoder's code layer). */
  LINEAR("linear");

  private static final double INV_SQRT2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

  private final String cliName;

  Activation(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  /** σ(z). */
  public double value(double z) {
    switch (this) {
      case TANH: return Math.tanh(z);
      case RELU: return z > 0 ? z : 0.0;
      case GELU: return z * normalCdf(z);
      case SIGMOID: return logistic(z);
      case LINEAR: return z;
      default: throw new AssertionError(this);
    }
  }

  /** σ'(z). */
  public double derivative(double z) {
    switch (this) {
      case TANH: { double t = Math.tanh(z); return 1.0 - t * t; }
      case RELU: return z > 0 ? 1.0 : 0.0;
      case GELU: return normalCdf(z) + z * INV_SQRT2PI * Math.exp(-0.5 * z * z);
      case SIGMOID: { double s = logistic(z); return s * (1.0 - s); }
      case LINEAR: return 1.0;
      default: throw new AssertionError(this);
    }
  }

  /**
   * In place over {@code n} entries starting at {@code off}: {@code z ← σ(z)}, and {@code deriv ← σ'(z)}.
   */
  void apply(double[] z, int off, int n, double[] deriv, int derivOff) {
    switch (this) {
      case TANH:
        for (int i = 0; i < n; i++) {
          double t = Math.tanh(z[off + i]);
          z[off + i] = t;
          deriv[derivOff + i] = 1.0 - t * t;
        }
        break;
      case RELU:
        for (int i = 0; i < n; i++) {
          double v = z[off + i];
          boolean pos = v > 0;
          z[off + i] = pos ? v : 0.0;
          deriv[derivOff + i] = pos ? 1.0 : 0.0;
        }
        break;
      case GELU:
        for (int i = 0; i < n; i++) {
          double v = z[off + i];
          double cdf = normalCdf(v);
          z[off + i] = v * cdf;
          deriv[derivOff + i] = cdf + v * INV_SQRT2PI * Math.exp(-0.5 * v * v);
        }
        break;
      case SIGMOID:
        for (int i = 0; i < n; i++) {
          double s = logistic(z[off + i]);
          z[off + i] = s;
          deriv[derivOff + i] = s * (1.0 - s);
        }
        break;
      case LINEAR:
        java.util.Arrays.fill(deriv, derivOff, derivOff + n, 1.0);
        break;
      default:
        throw new AssertionError(this);
    }
  }

  /** {@code 1/(1 + e^{−z})}, evaluated as {@code e^z/(1 + e^z)} for z &lt; 0 so that nothing overflows. */
  public static double logistic(double z) {
    if (z >= 0) return 1.0 / (1.0 + Math.exp(-z));
    double e = Math.exp(z);
    return e / (1.0 + e);
  }

  /** Φ(z). */
  static double normalCdf(double z) {
    return NormalCdf.cdf(z);
  }

  /**
   * Parses a list of names: one per hidden layer ({@code layers} of them), or a single name for
   * every hidden layer. With no hidden layer, one name (unused) is accepted.
   *
   * @throws IllegalArgumentException for an unknown name or a count that is neither 1 nor {@code layers}
   */
  public static Activation[] parseList(String names, int layers) {
    String[] parts = names.split(",", -1);
    Activation[] parsed = new Activation[parts.length];
    for (int i = 0; i < parts.length; i++) parsed[i] = parse(parts[i].trim());
    if (parts.length == 1) {
      Activation[] all = new Activation[layers];
      java.util.Arrays.fill(all, parsed[0]);
      return all;
    }
    if (parts.length != layers) {
      throw new IllegalArgumentException("activations: " + parts.length + " names (" + names + ") for " + layers
          + " hidden layers; give one per hidden layer, or one for all");
    }
    return parsed;
  }

  /** Parses a CLI name, with an error listing the valid names. */
  public static Activation parse(String name) {
    Activation found = Names.find(values(), Activation::cliName, name);
    if (found != null) return found;
    throw new IllegalArgumentException("unknown activation '" + name + "'; valid: " + Names.list(values(), Activation::cliName));
  }

  @Override
  public String toString() {
    return cliName;
  }
}
