package io.pullback.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import io.pullback.optim.OptimizerConfig.DampingSchedule;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bad configuration value is refused with a usage error naming its flag and the value. */
class OptimizerConfigTest {
  static Stream<Arguments> badValues() {
    OptimizerConfig ngd = OptimizerConfig.defaults("ngd");
    OptimizerConfig adam = OptimizerConfig.defaults("adam");
    OptimizerConfig ind = OptimizerConfig.defaults("induced-adam");
    return Stream.of(
        Arguments.of("--optimizer", "sgd", (Supplier<?>) () -> OptimizerConfig.defaults("sgd")),
        Arguments.of("--lr must be > 0 and finite, got -1.0", "", (Supplier<?>) () -> ngd.withLearningRate(-1)),
        Arguments.of("--lr", "NaN", (Supplier<?>) () -> ngd.withLearningRate(Double.NaN)),
        Arguments.of("--lr", "Infinity", (Supplier<?>) () -> ngd.withLearningRate(Double.POSITIVE_INFINITY)),
        Arguments.of("--damping", "-0.001", (Supplier<?>) () -> ngd.withDamping(-1e-3, DampingSchedule.FIXED)),
        Arguments.of("--damping", "levenberg-marquardt", (Supplier<?>) () -> ngd.withDamping(0, DampingSchedule.LEVENBERG_MARQUARDT)),
        Arguments.of("--damping-schedule", "adaptive", (Supplier<?>) () -> DampingSchedule.parse("adaptive")),
        Arguments.of("--refresh-every", "0", (Supplier<?>) () -> ngd.withRefreshEvery(0)),
        Arguments.of("--curvature-scale", "0.0", (Supplier<?>) () -> ngd.withCurvatureScale(0)),
        Arguments.of("--weight-decay", "-0.1", (Supplier<?>) () -> OptimizerConfig.defaults("adamw").withWeightDecay(-0.1)),
        Arguments.of("--weight-decay", "adam", (Supplier<?>) () -> adam.withWeightDecay(0.01)),
        Arguments.of("--weight-decay", "ngd", (Supplier<?>) () -> ngd.withWeightDecay(0.01)),
        Arguments.of("--momentum", "1.0", (Supplier<?>) () -> ngd.withMomentum(1)),
        Arguments.of("--adam-beta1", "-0.1", (Supplier<?>) () -> adam.withAdam(-0.1, 0.999, 1e-8)),
        Arguments.of("--adam-beta2", "1.5", (Supplier<?>) () -> adam.withAdam(0.9, 1.5, 1e-8)),
        Arguments.of("--adam-epsilon", "0.0", (Supplier<?>) () -> adam.withAdam(0.9, 0.999, 0)),
        Arguments.of("--xi", "-1.0", (Supplier<?>) () -> ind.withInduced(-1, 0.1, 0.9, 0.99, 1e-8)),
        Arguments.of("--induced-beta", "1.0", (Supplier<?>) () -> ind.withInduced(0.1, 1, 0.9, 0.99, 1e-8)),
        Arguments.of("--induced-momentum", "NaN", (Supplier<?>) () -> ind.withInduced(0.1, 0.1, Double.NaN, 0.99, 1e-8)),
        Arguments.of("--beta-rms", "2.0", (Supplier<?>) () -> ind.withInduced(0.1, 0.1, 0.9, 2, 1e-8)),
        Arguments.of("--induced-epsilon", "-1.0E-8", (Supplier<?>) () -> ind.withInduced(0.1, 0.1, 0.9, 0.99, -1e-8)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("badValues")
  void refusedWithTheFlagName(String flag, String value, Supplier<?> make) {
    assertThatThrownBy(make::get)
        .isInstanceOf(PullbackException.class)
        .hasMessageContaining(flag)
        .hasMessageContaining(value)
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(PullbackException.USAGE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void defaultsAreValidForEveryOptimizer(String name) {
    Optimizer opt = Optimizers.create(OptimizerConfig.defaults(name));
    assertThat(opt.name()).isEqualTo(name);
    // ngd refreshes every step by default; the others never need a metric
    assertThat(opt.needsMetric(1)).isEqualTo(name.equals("ngd"));
    assertThat(opt.needsMetric(2)).isEqualTo(name.equals("ngd"));
    assertThat(Double.isNaN(opt.damping())).isEqualTo(!name.equals("ngd"));
  }

  static Stream<String> names() {
    return OptimizerConfig.OPTIMIZERS.stream();
  }
}
