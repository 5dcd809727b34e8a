package io.pullback.loss;

import io.pullback.model.LayeredModel;
import io.pullback.model.Model;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * The {@code --l2} term of the training loss, {@code λ₂ Σ_{i ∉ U} θ_i²}: every coordinate is
 * penalised except the <em>unpenalised</em> set {@code U}, which for a model of affine layers
 * ({@link LayeredModel}: logistic, softmax, mlp) is its biases, and is empty otherwise
 * (linear-basis: every coefficient is penalised). This is the convention of Spark MLlib's
 * {@code LogisticRegression}, which never penalises the intercept: with {@code regParam = 2λ₂},
 * {@code elasticNetParam = 0} and {@code standardization = false}, MLlib minimises
 * {@code (1/Σw) Σ w ℓ + (regParam/2)‖w‖²}, the same objective (docs/optimizers.md).
 *
 * <p>With {@code P = diag(1 − 1_U)}: value {@code λ₂ θᵀPθ}, gradient {@code 2λ₂ Pθ}, curvature
 * {@code 2λ₂ P}. Each costs {@code O(N)}. Immutable; {@code unpenalised} is sorted and copied.
 *
 * @param coefficient λ₂ ≥ 0 and finite
 * @param unpenalised the sorted, distinct indices of θ the penalty leaves out (biases)
 */
public record L2Penalty(double coefficient, int[] unpenalised) {
  /** No penalty. */
  public static final L2Penalty NONE = new L2Penalty(0, new int[0]);

  public L2Penalty {
    if (!(coefficient >= 0) || Double.isInfinite(coefficient)) {
      throw new IllegalArgumentException("l2 coefficient must be finite and >= 0, got " + coefficient);
    }
    unpenalised = unpenalised.clone();
    for (int i = 0; i < unpenalised.length; i++) {
      if (unpenalised[i] < 0 || (i > 0 && unpenalised[i] <= unpenalised[i - 1])) {
        throw new IllegalArgumentException("unpenalised indices must be sorted, distinct and >= 0: "
            + Arrays.toString(unpenalised));
      }
    }
  }

  /** λ₂ on every coordinate of θ. */
  public static L2Penalty all(double coefficient) {
    return new L2Penalty(coefficient, new int[0]);
  }

  /** λ₂ on the weights of {@code model}, not on its biases (the bias of every unit of every affine layer). */
  public static L2Penalty onWeights(double coefficient, Model model) {
    return new L2Penalty(coefficient, biasIndices(model));
  }

  /** The θ indices of the biases {@code b_l[o]} of a {@link LayeredModel}, sorted; none for other models. */
  public static int[] biasIndices(Model model) {
    if (!(model instanceof LayeredModel layered)) return new int[0];
    TreeSet<Integer> biases = new TreeSet<>();
    for (int l = 0; l < layered.layers(); l++) {
      for (int o = 0; o < layered.layerOutputs(l); o++) biases.add(layered.paramIndex(l, o, layered.layerInputs(l)));
    }
    return biases.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The indices the penalty leaves out (a copy). */
  @Override
  public int[] unpenalised() {
    return unpenalised.clone();
  }

  /** Equal when λ₂ and the unpenalised indices are equal (by value, not by array identity). */
  @Override
  public boolean equals(Object o) {
    return o instanceof L2Penalty p && Double.compare(p.coefficient, coefficient) == 0 && Arrays.equals(p.unpenalised, unpenalised);
  }

  @Override
  public int hashCode() {
    return 31 * Double.hashCode(coefficient) + Arrays.hashCode(unpenalised);
  }

  @Override
  public String toString() {
    return "L2Penalty[coefficient=" + coefficient + ", unpenalised=" + Arrays.toString(unpenalised) + "]";
  }

  /** Whether the term is identically zero (λ₂ = 0). */
  public boolean isZero() {
    return coefficient == 0;
  }

  /** {@code λ₂ Σ_{i ∉ U} θ_i²} (exactly 0 when λ₂ = 0). */
  public double value(double[] theta) {
    if (isZero()) return 0;
    return coefficient * penalisedSquares(theta);
  }

  /** {@code Σ_{i ∉ U} v_i²}: the quadratic form of P. */
  public double penalisedSquares(double[] v) {
    double s = 0;
    int next = 0;
    for (int i = 0; i < v.length; i++) {
      if (next < unpenalised.length && unpenalised[next] == i) {
        next++;
        continue;
      }
      s += v[i] * v[i];
    }
    return s;
  }

  /** Adds the gradient {@code 2λ₂ Pθ} to {@code gradient} (modified; nothing when λ₂ = 0). */
  public void addGradient(double[] theta, double[] gradient) {
    if (isZero()) return;
    int next = 0;
    for (int i = 0; i < gradient.length; i++) {
      if (next < unpenalised.length && unpenalised[next] == i) {
        next++;
        continue;
      }
      gradient[i] += 2 * coefficient * theta[i];
    }
  }
}
