package io.pullback.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.pullback.PullbackException;
import io.pullback.job.TrainJob;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The optimiser flags of {@code train} as a user meets them (no Spark, no data: the checks an
 * experiment runs before writing anything): every bad value, including a flag the chosen optimiser
 * does not use, is refused with exit code 2 and exactly the message the command line prints.
 */
class TrainOptimizerFlagsTest {
  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("ngd", Map.of("optimizer", "sgd"),
            "--optimizer must be one of ngd, gd, momentum, adam, adamw, induced, induced-log, induced-adam, kfac, got sgd"),
        Arguments.of("ngd", Map.of("lr", -1), "--lr must be > 0 and finite, got -1.0"),
        Arguments.of("adam", Map.of("lr", "NaN"), "--lr must be > 0 and finite, got NaN"),
        Arguments.of("ngd", Map.of("damping", -0.001), "--damping must be >= 0 and finite, got -0.001"),
        Arguments.of("ngd", Map.of("damping", 0, "damping-schedule", "levenberg-marquardt"),
            "--damping must be > 0 with --damping-schedule levenberg-marquardt (it is adapted by multiplication), got 0.0;"
                + " try --damping 1e-3"),
        Arguments.of("gd", Map.of("damping-schedule", "adaptive"),
            "--damping-schedule must be one of fixed, levenberg-marquardt, got adaptive"),
        Arguments.of("ngd", Map.of("refresh-every", 0), "--refresh-every must be >= 1, got 0"),
        Arguments.of("adam", Map.of("curvature-scale", 0), "--curvature-scale must be > 0 and finite, got 0.0"),
        Arguments.of("adamw", Map.of("weight-decay", -0.1), "--weight-decay must be >= 0 and finite, got -0.1"),
        Arguments.of("adam", Map.of("weight-decay", 0.01), weightDecay("adam")),
        Arguments.of("ngd", Map.of("weight-decay", 0.01), weightDecay("ngd")),
        Arguments.of("momentum", Map.of("weight-decay", 0.01), weightDecay("momentum")),
        Arguments.of("ngd", Map.of("momentum", 1), "--momentum must be in [0, 1), got 1.0"),
        Arguments.of("gd", Map.of("adam-beta1", -0.1), "--adam-beta1 must be in [0, 1), got -0.1"),
        Arguments.of("ngd", Map.of("adam-beta2", 1.5), "--adam-beta2 must be in [0, 1), got 1.5"),
        Arguments.of("induced", Map.of("adam-epsilon", 0), "--adam-epsilon must be > 0 and finite, got 0.0"),
        Arguments.of("ngd", Map.of("xi", -1), "--xi must be >= 0 and finite, got -1.0"),
        Arguments.of("adam", Map.of("induced-beta", 1), "--induced-beta must be in [0, 1), got 1.0"),
        Arguments.of("gd", Map.of("induced-momentum", "NaN"), "--induced-momentum must be in [0, 1), got NaN"),
        Arguments.of("induced-adam", Map.of("beta-rms", 2), "--beta-rms must be in [0, 1), got 2.0"),
        Arguments.of("ngd", Map.of("induced-epsilon", -1e-8), "--induced-epsilon must be > 0 and finite, got -1.0E-8"),
        Arguments.of("ngd", Map.of("kfac-decay", 1), "--kfac-decay must be in [0, 1), got 1.0"),
        Arguments.of("adam", Map.of("inverse-every", 0), "--inverse-every must be >= 1, got 0"),
        Arguments.of("kfac", Map.of("damping-every", 0), "--damping-every must be >= 1, got 0"),
        Arguments.of("kfac", Map.of("damping", 0), "--damping must be > 0 and finite, got 0.0"),
        Arguments.of("kfac", Map.of("lr", 0.1), "--lr: kfac chooses its learning rate (and momentum) each step from the"
            + " quadratic model; remove --lr 0.1"),
        // the first bad flag in the order the optimiser settings are listed
        Arguments.of("ngd", Map.of("lr", 0, "momentum", 2), "--lr must be > 0 and finite, got 0.0"),
        Arguments.of("adam", Map.of("momentum", 2, "xi", -1), "--momentum must be in [0, 1), got 2.0"));
  }

  static String weightDecay(String optimizer) {
    return "--weight-decay is only supported by adamw, induced, induced-log and induced-adam (decoupled decay); got"
        + " --weight-decay 0.01 with --optimizer " + optimizer + "; use 0 or one of those optimizers";
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("refused")
  void refusedWithTheMessageTheCommandLinePrints(String optimizer, Map<String, Object> flags, String message) {
    Map<String, Object> options = options(optimizer);
    options.putAll(flags);
    assertThatThrownBy(() -> TrainJob.check(TrainCommand.configFrom(options, "unused-out", "test")))
        .isInstanceOf(PullbackException.class)
        .satisfies(e -> assertThat(Flags.message((PullbackException) e)).isEqualTo(message))
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(PullbackException.USAGE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.pullback.optim.OptimizerConfigTest#names")
  void theDefaultsOfEveryOptimizerAreAccepted(String optimizer) {
    assertThatCode(() -> TrainJob.check(TrainCommand.configFrom(options(optimizer), "unused-out", "test")))
        .doesNotThrowAnyException();
  }

  private static Map<String, Object> options(String optimizer) {
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("data", "synthetic:gaussian?rows=10&features=3&seed=1&classes=2");
    options.put("model", "logistic");
    options.put("optimizer", optimizer);
    return options;
  }
}
