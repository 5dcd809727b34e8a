package io.pullback.model;

import java.util.Arrays;

/** Builds models from a {@link ModelSpec}. */
public final class Models {
  private Models() {}

  /** The valid {@code kind} names. */
  public static final String[] KINDS = {"linear-basis", "logistic", "softmax", "mlp"};

  /**
   * Validates the spec and builds the model.
   *
   * @throws IllegalArgumentException naming the parameter and the value, and listing what is valid,
   *     for an unknown kind/basis/activation/distribution, {@code inputDim < 1}, {@code degree < 0},
   *     K out of range for the kind, or a hidden width &lt; 1
   */
  public static Model create(ModelSpec spec) {
    if (spec == null) throw new IllegalArgumentException("model spec must be given");
    String kind = spec.kind();
    if (kind == null || Arrays.stream(KINDS).noneMatch(kind::equals)) {
      throw new IllegalArgumentException("unknown model kind '" + kind + "'; valid: " + String.join(", ", KINDS));
    }
    if (spec.inputDim() < 1) {
      throw new IllegalArgumentException("inputDim must be >= 1, got " + spec.inputDim());
    }
    switch (kind) {
      case "linear-basis": {
        if (spec.basis() == null) {
          throw new IllegalArgumentException("basis must be given for linear-basis; valid: monomial, legendre, fourier");
        }
        BasisFamily family = BasisFamily.parse(spec.basis());
        if (spec.degree() < 0) {
          throw new IllegalArgumentException("degree must be >= 0 for linear-basis, got " + spec.degree());
        }
        if (spec.outputs() < 1) {
          throw new IllegalArgumentException("outputs (K) must be >= 1 for linear-basis, got " + spec.outputs());
        }
        return new LinearBasisModel(family, spec.inputDim(), spec.outputs(), spec.degree());
      }
      case "logistic":
        if (spec.outputs() != 1 && spec.outputs() != 0) {
          throw new IllegalArgumentException("outputs (K) must be 1 for logistic (one logit), got " + spec.outputs()
              + "; use softmax for K >= 2 classes");
        }
        return new LogisticModel(spec.inputDim());
      case "softmax":
        if (spec.outputs() < 2) {
          throw new IllegalArgumentException("outputs (K, classes) must be >= 2 for softmax, got " + spec.outputs()
              + "; use logistic for one logit");
        }
        return new SoftmaxModel(spec.inputDim(), spec.outputs());
      case "mlp": {
        if (spec.activation() == null) {
          throw new IllegalArgumentException("activation must be given for mlp; valid: " + ModelChecks.activationNames());
        }
        int hiddenLayers = spec.hidden() == null ? 0 : spec.hidden().length;
        Activation[] act = Activation.parseList(spec.activation(), hiddenLayers);
        if (spec.outputs() < 1) {
          throw new IllegalArgumentException("outputs (K) must be >= 1 for mlp, got " + spec.outputs());
        }
        OutputDistribution dist = parseDistribution(spec.distribution());
        return new MlpModel(spec.inputDim(), spec.hidden(), spec.outputs(), act, dist);
      }
      default:
        throw new AssertionError(kind);
    }
  }

  /** {@code gaussian} (also null), {@code categorical}, {@code bernoulli}. */
  static OutputDistribution parseDistribution(String name) {
    if (name == null || name.equals("gaussian")) return OutputDistribution.GAUSSIAN;
    if (name.equals("categorical")) return OutputDistribution.CATEGORICAL_SOFTMAX;
    if (name.equals("bernoulli")) return OutputDistribution.BERNOULLI_LOGIT;
    throw new IllegalArgumentException("unknown distribution '" + name + "' for mlp; valid: gaussian, categorical, bernoulli");
  }
}
