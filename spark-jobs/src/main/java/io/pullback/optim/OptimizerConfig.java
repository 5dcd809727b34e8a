package io.pullback.optim;

import io.pullback.PullbackException;
import java.util.List;
import java.util.Locale;

/**
 * The configuration of one optimiser: one record per optimiser family, each validating its own
 * fields on construction ({@link PullbackException#usage} naming the parameter as a placeholder,
 * e.g. {@code {learningRate}}, and the value), and each making its optimiser with {@link #create()}.
 *
 * <table>
 *   <caption>records and the optimisers they configure</caption>
 *   <tr><th>record</th><th>{@link #name()}</th></tr>
 *   <tr><td>{@link NaturalGradientConfig}</td><td>{@code ngd}</td></tr>
 *   <tr><td>{@link GradientDescentConfig}</td><td>{@code gd}</td></tr>
 *   <tr><td>{@link MomentumConfig}</td><td>{@code momentum}</td></tr>
 *   <tr><td>{@link AdamConfig}</td><td>{@code adam}, {@code adamw}</td></tr>
 *   <tr><td>{@link InducedConfig}</td><td>{@code induced}, {@code induced-log}, {@code induced-adam}</td></tr>
 *   <tr><td>{@link KfacConfig}</td><td>{@code kfac}</td></tr>
 * </table>
 *
 * A configuration is immutable; the optimisers it creates are stateful (see {@link Optimizer}).
 */
public sealed interface OptimizerConfig
    permits NaturalGradientConfig, GradientDescentConfig, MomentumConfig, AdamConfig, InducedConfig, KfacConfig {

  /** The optimiser names, in the order {@code --optimizer} lists them. */
  List<String> OPTIMIZERS = List.of("ngd", "gd", "momentum", "adam", "adamw", "induced", "induced-log", "induced-adam", "kfac");

  /** The optimiser's name ({@code {optimizer}}), one of {@link #OPTIMIZERS}; also the name in its checkpoint state. */
  String name();

  /** The learning rate η &gt; 0. */
  double learningRate();

  /** A new optimiser in its initial state. */
  Optimizer create();

  /**
   * {@code name} lower-cased, checked to be one of {@link #OPTIMIZERS}.
   *
   * @throws PullbackException (usage) naming {@code {optimizer}} and the valid names
   */
  static String parseName(String name) {
    String lower = name == null ? null : name.toLowerCase(Locale.ROOT);
    if (lower == null || !OPTIMIZERS.contains(lower)) {
      throw PullbackException.usage("{optimizer} must be one of " + String.join(", ", OPTIMIZERS) + ", got " + name);
    }
    return lower;
  }

  /** The default configuration of the optimiser {@code name} (see each record's {@code defaults}). */
  static OptimizerConfig defaults(String name) {
    String n = parseName(name);
    return switch (n) {
      case "ngd" -> NaturalGradientConfig.defaults();
      case "gd" -> GradientDescentConfig.defaults();
      case "momentum" -> MomentumConfig.defaults();
      case "adam", "adamw" -> AdamConfig.defaults(n.equals("adamw"));
      case "kfac" -> KfacConfig.defaults();
      default -> InducedConfig.defaults(InducedConfig.Variant.parse(n));
    };
  }

  /**
   * Checks a decoupled weight decay {@code {weightDecay}} for the optimiser {@code name}: it must
   * be ≥ 0 and finite, and non-zero only for adamw and the induced optimisers (the others refuse it
   * rather than ignore it).
   */
  static void checkWeightDecay(String name, double weightDecay) {
    Checks.nonNegative("weightDecay", weightDecay);
    if (weightDecay != 0 && !(name.equals("adamw") || name.startsWith("induced"))) {
      throw PullbackException.usage("{weightDecay} is only supported by adamw, induced, induced-log and induced-adam"
          + " (decoupled decay); got {weightDecay} " + weightDecay + " with {optimizer} " + name
          + "; use 0 or one of those optimizers");
    }
  }
}
