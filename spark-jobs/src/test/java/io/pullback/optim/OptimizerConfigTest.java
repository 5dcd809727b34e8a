package io.pullback.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import io.pullback.cli.Flags;
import io.pullback.loss.L2Penalty;
import io.pullback.optim.InducedConfig.Variant;
import io.pullback.optim.NaturalGradientConfig.DampingSchedule;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bad configuration value is refused with a usage error naming its parameter (as a
 * placeholder, shown by the CLI as its flag) and the value; each record checks its own fields.
 */
class OptimizerConfigTest {
  static NaturalGradientConfig ngd(double lr, double damping, DampingSchedule schedule, int refresh, double c) {
    return new NaturalGradientConfig(lr, damping, schedule, refresh, c, false, L2Penalty.NONE);
  }

  static AdamConfig adam(boolean decoupled, double b1, double b2, double eps, double wd) {
    return new AdamConfig(decoupled, 1e-3, b1, b2, eps, wd);
  }

  static InducedConfig induced(double xi, double beta, double mu, double betaRms, double eps) {
    return new InducedConfig(Variant.ADAM, 0.1, xi, beta, mu, betaRms, eps, 0);
  }

  static Stream<Arguments> badValues() {
    DampingSchedule fixed = DampingSchedule.FIXED;
    return Stream.of(
        Arguments.of("--optimizer", "sgd", (Supplier<?>) () -> OptimizerConfig.defaults("sgd")),
        Arguments.of("--lr must be > 0 and finite, got -1.0", "", (Supplier<?>) () -> ngd(-1, 1e-3, fixed, 1, 1)),
        Arguments.of("--lr", "NaN", (Supplier<?>) () -> new GradientDescentConfig(Double.NaN)),
        Arguments.of("--lr", "Infinity", (Supplier<?>) () -> new MomentumConfig(Double.POSITIVE_INFINITY, 0.9)),
        Arguments.of("--damping", "-0.001", (Supplier<?>) () -> ngd(1, -1e-3, fixed, 1, 1)),
        Arguments.of("--damping", "levenberg-marquardt", (Supplier<?>) () -> ngd(1, 0, DampingSchedule.LEVENBERG_MARQUARDT, 1, 1)),
        Arguments.of("--damping-schedule", "adaptive", (Supplier<?>) () -> DampingSchedule.parse("adaptive")),
        Arguments.of("--refresh-every", "0", (Supplier<?>) () -> ngd(1, 1e-3, fixed, 0, 1)),
        Arguments.of("--curvature-scale", "0.0", (Supplier<?>) () -> ngd(1, 1e-3, fixed, 1, 0)),
        Arguments.of("--weight-decay", "-0.1", (Supplier<?>) () -> adam(true, 0.9, 0.999, 1e-8, -0.1)),
        Arguments.of("--weight-decay", "adam", (Supplier<?>) () -> adam(false, 0.9, 0.999, 1e-8, 0.01)),
        Arguments.of("--weight-decay", "ngd", (Supplier<?>) () -> {
          OptimizerConfig.checkWeightDecay("ngd", 0.01);
          return null;
        }),
        Arguments.of("--momentum", "1.0", (Supplier<?>) () -> new MomentumConfig(0.01, 1)),
        Arguments.of("--adam-beta1", "-0.1", (Supplier<?>) () -> adam(false, -0.1, 0.999, 1e-8, 0)),
        Arguments.of("--adam-beta2", "1.5", (Supplier<?>) () -> adam(false, 0.9, 1.5, 1e-8, 0)),
        Arguments.of("--adam-epsilon", "0.0", (Supplier<?>) () -> adam(false, 0.9, 0.999, 0, 0)),
        Arguments.of("--xi", "-1.0", (Supplier<?>) () -> induced(-1, 0.1, 0.9, 0.99, 1e-8)),
        Arguments.of("--induced-beta", "1.0", (Supplier<?>) () -> induced(0.1, 1, 0.9, 0.99, 1e-8)),
        Arguments.of("--induced-momentum", "NaN", (Supplier<?>) () -> induced(0.1, 0.1, Double.NaN, 0.99, 1e-8)),
        Arguments.of("--beta-rms", "2.0", (Supplier<?>) () -> induced(0.1, 0.1, 0.9, 2, 1e-8)),
        Arguments.of("--induced-epsilon", "-1.0E-8", (Supplier<?>) () -> induced(0.1, 0.1, 0.9, 0.99, -1e-8)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("badValues")
  void refusedWithTheFlagName(String flag, String value, Supplier<?> make) {
    assertThatThrownBy(make::get)
        .isInstanceOf(PullbackException.class)
        .hasMessageContaining(value)
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(PullbackException.USAGE))
        .satisfies(e -> assertThat(Flags.message((PullbackException) e)).contains(flag))
        // the library's own message names the parameter, never a flag
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("--"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void defaultsAreValidForEveryOptimizer(String name) {
    Optimizer opt = OptimizerConfig.defaults(name).create();
    assertThat(opt.name()).isEqualTo(name);
    assertThat(OptimizerConfig.defaults(name).name()).isEqualTo(name);
    // ngd refreshes every step by default, kfac takes the batch's factors every step; the others never need a metric
    boolean curvature = name.equals("ngd") || name.equals("kfac");
    assertThat(opt.needsMetric(1)).isEqualTo(curvature);
    assertThat(opt.needsMetric(2)).isEqualTo(curvature);
    assertThat(Double.isNaN(opt.damping())).isEqualTo(!curvature);
  }

  static Stream<String> names() {
    return OptimizerConfig.OPTIMIZERS.stream();
  }
}
