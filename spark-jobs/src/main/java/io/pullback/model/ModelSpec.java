package io.pullback.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * What model to build, as read from configuration; {@link Models#create} validates it.
 *
 * <p>Fields used per kind (others are ignored):
 * <ul>
 *   <li>{@code linear-basis}: inputDim, outputs (K ≥ 1), basis ({@code monomial|legendre|fourier}),
 *       degree (≥ 0);</li>
 *   <li>{@code logistic}: inputDim; outputs must be 1 (or 0 = unset);</li>
 *   <li>{@code softmax}: inputDim, outputs = number of classes (K ≥ 2);</li>
 *   <li>{@code mlp}: inputDim, hidden widths (each ≥ 1, may be empty), outputs (K ≥ 1),
 *       activation ({@code tanh|relu|gelu|sigmoid|linear}: one name for every hidden layer, or a
 *       comma list with one name per hidden layer, e.g. {@code sigmoid,sigmoid,linear}),
 *       distribution ({@code gaussian} (default, also when null), {@code categorical} (K ≥ 2) or
 *       {@code bernoulli} (K ≥ 1 independent outputs)).</li>
 * </ul>
 *
 * @param kind {@code linear-basis}, {@code logistic}, {@code softmax} or {@code mlp}
 * @param inputDim D ≥ 1
 * @param outputs K (classes for softmax)
 * @param basis the linear-basis family name
 * @param degree the linear-basis total degree
 * @param hidden the MLP hidden widths (null = none)
 * @param activation the MLP activation name, or one name per hidden layer separated by commas
 * @param distribution the MLP output distribution name (null = gaussian)
 */
public record ModelSpec(String kind, int inputDim, int outputs, String basis, int degree, int[] hidden,
                        String activation, String distribution) implements java.io.Serializable {

  public static ModelSpec linearBasis(int inputDim, int outputs, String basis, int degree) {
    return new ModelSpec("linear-basis", inputDim, outputs, basis, degree, null, null, null);
  }

  public static ModelSpec logistic(int inputDim) {
    return new ModelSpec("logistic", inputDim, 1, null, 0, null, null, null);
  }

  public static ModelSpec softmax(int inputDim, int classes) {
    return new ModelSpec("softmax", inputDim, classes, null, 0, null, null, null);
  }

  public static ModelSpec mlp(int inputDim, int[] hidden, int outputs, String activation) {
    return new ModelSpec("mlp", inputDim, outputs, null, 0, hidden, activation, null);
  }

  public static ModelSpec mlp(int inputDim, int[] hidden, int outputs, String activation, String distribution) {
    return new ModelSpec("mlp", inputDim, outputs, null, 0, hidden, activation, distribution);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSpec s && Objects.equals(kind, s.kind) && inputDim == s.inputDim && outputs == s.outputs
        && Objects.equals(basis, s.basis) && degree == s.degree && Arrays.equals(hidden, s.hidden)
        && Objects.equals(activation, s.activation) && Objects.equals(distribution, s.distribution);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, inputDim, outputs, basis, degree, Arrays.hashCode(hidden), activation, distribution);
  }

  @Override
  public String toString() {
    return "ModelSpec[kind=" + kind + ", inputDim=" + inputDim + ", outputs=" + outputs + ", basis=" + basis
        + ", degree=" + degree + ", hidden=" + Arrays.toString(hidden) + ", activation=" + activation
        + ", distribution=" + distribution + "]";
  }
}
