package io.pullback.optim;

/**
 * The loss {@code L(θ)} on the current step's examples, as the driver loop measures it (one forward
 * pass over the data). Optimisers that check their own steps (Levenberg–Marquardt) ask it; they
 * never see the data.
 */
@FunctionalInterface
public interface LossOracle {
  /** {@code L(θ)} (including any regularisation term); θ is not modified. */
  double loss(double[] theta);
}
