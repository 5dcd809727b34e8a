package io.pullback.optim;

import io.pullback.PullbackException;
import org.slf4j.LoggerFactory;

/**
 * A driver-loop optimiser. The driver calls, for each step {@code t = 1, 2, …}:
 * <ol>
 *   <li>{@link #needsMetric(int) needsMetric(t)}: if true, it estimates the metric at {@code θ_t}
 *       and passes it in the {@link StepInput}; otherwise it may pass {@code null};</li>
 *   <li>{@link #step(StepInput)} with {@code (t, θ_t, L_t, g_t, metric)}, which returns
 *       {@code θ_{t+1}};</li>
 *   <li>after evaluating {@code L_{t+1}} at {@code θ_{t+1}}: {@link #rejectLastStep(double)
 *       rejectLastStep(L_{t+1})}. If it returns true, the driver discards {@code θ_{t+1}} (and
 *       {@code L_{t+1}}, {@code g_{t+1}}), keeps {@code θ_t} and calls {@code step()} again with the
 *       <em>same</em> {@code StepInput} (same step number, same metric); the optimiser has already
 *       raised its damping, so the new step is shorter. Otherwise step {@code t+1} proceeds with
 *       {@code L_{t+1}} as its loss.</li>
 * </ol>
 * Only the Levenberg–Marquardt natural-gradient optimiser ever rejects; for the others
 * {@code rejectLastStep} returns false and costs nothing, so the driver can call it uniformly.
 * Optimisers are stateful and not thread-safe.
 */
public interface Optimizer {
  /** Most re-solves of one step before {@link #acceptedStep} gives up. */
  int MAX_REJECTIONS = 30;

  /** The new parameters θ_{t+1} (a new array; the input arrays are not modified). */
  double[] step(StepInput in);

  /** The optimiser name as given on the command line ({@code --optimizer}). */
  String name();

  /** Current damping λ (NaN when not applicable, the default), for {@code history.jsonl}. */
  default double damping() {
    return Double.NaN;
  }

  /** Current learning rate η, for {@code history.jsonl}. */
  double learningRate();

  /** Full optimiser state for checkpoints, as named arrays, scalars and counters (copies). */
  OptimizerState state();

  /** Restores a state produced by {@link #state()} of an optimiser with the same configuration. */
  void restore(OptimizerState s);

  /** Whether this optimiser needs the metric at this (1-based) step (default: never). */
  default boolean needsMetric(int step) {
    return false;
  }

  /**
   * Called with the loss at the parameters the last {@link #step} returned. Returns true when
   * that step must be discarded and {@link #step} called again with the same input (see the
   * class comment). The default never rejects.
   */
  default boolean rejectLastStep(double newLoss) {
    return false;
  }

  /**
   * Whether this optimiser checks each step against the loss it reaches (then
   * {@link #acceptedStep} measures {@code L(θ_{t+1})} with one oracle call per try). Default: no.
   */
  default boolean checksSteps() {
    return false;
  }

  /**
   * {@code θ_{t+1}} after the re-solves this optimiser's schedule asks for: {@link #step}; then, if it
   * {@link #checksSteps()}, the loss at the new point from {@code oracle} and, while
   * {@link #rejectLastStep} discards it, {@link #step} again with the same input (at most
   * {@link #MAX_REJECTIONS} times).
   *
   * @throws PullbackException (data) when no damping up to the last one tried reduces the loss
   */
  default double[] acceptedStep(StepInput in, LossOracle oracle) {
    double[] next = step(in);
    if (!checksSteps()) return next;
    int rejections = 0;
    while (true) {
      double newLoss = oracle.loss(next);
      if (!rejectLastStep(newLoss)) return next;
      if (++rejections > MAX_REJECTIONS) {
        throw PullbackException.data("step " + in.step() + ": no damping up to λ = " + damping() + " reduced the loss");
      }
      LoggerFactory.getLogger(Optimizer.class).info("step {}: rejected (loss {} → {}), damping raised to {}",
          in.step(), in.loss(), newLoss, damping());
      next = step(in);
    }
  }
}
