package io.pullback.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import io.pullback.linalg.DenseMetricSolver;
import io.pullback.linalg.MetricSolver;
import io.pullback.cli.Flags;
import io.pullback.loss.L2Penalty;
import io.pullback.optim.NaturalGradientConfig.DampingSchedule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint round trips (bit-identical continuation) and refusal of damaged files. */
class CheckpointTest {
  @TempDir
  Path dir;

  /** A θ-dependent problem: L = ½ Σ a_i θ_i² + ¼ Σ θ_i⁴, metric diag(a + 3θ²) + a fixed coupling. */
  static final double[] A = {3.0, 1.0, 0.2, 0.05};

  static double loss(double[] th) {
    double s = 0;
    for (int i = 0; i < th.length; i++) {
      s += 0.5 * A[i] * th[i] * th[i] + 0.25 * Math.pow(th[i], 4);
    }
    return s;
  }

  static double[] grad(double[] th) {
    double[] g = new double[th.length];
    for (int i = 0; i < th.length; i++) {
      g[i] = A[i] * th[i] + th[i] * th[i] * th[i];
    }
    return g;
  }

  static MetricSolver metric(double[] th) {
    int n = th.length;
    double[] g = new double[n * n];
    for (int i = 0; i < n; i++) {
      g[i * n + i] = A[i] + 3 * th[i] * th[i];
      if (i + 1 < n) {
        g[i * n + i + 1] = 0.01;
        g[(i + 1) * n + i] = 0.01;
      }
    }
    return new DenseMetricSolver(g, n, false);
  }

  /** Runs steps from..to (inclusive) with the driver protocol, returning the final θ. */
  static double[] drive(Optimizer opt, double[] theta, int from, int to) {
    double l = loss(theta);
    for (int t = from; t <= to; t++) {
      StepInput in = new StepInput(t, theta, l, grad(theta), opt.needsMetric(t) ? metric(theta) : null);
      double[] next = opt.step(in);
      double nl = loss(next);
      int tries = 0;
      while (opt.rejectLastStep(nl) && ++tries < 30) {
        next = opt.step(in);
        nl = loss(next);
      }
      theta = next;
      l = nl;
    }
    return theta;
  }

  void assertBitIdenticalContinuation(Supplier<Optimizer> factory) {
    double[] theta0 = {1.5, -2.0, 0.7, 3.0};
    Optimizer straight = factory.get();
    double[] expected = drive(straight, theta0.clone(), 1, 8);

    Optimizer first = factory.get();
    double[] mid = drive(first, theta0.clone(), 1, 5);
    Checkpoint.write(dir, new CheckpointData(5, mid, first.state(), 1234L, 99L, first.damping()));
    CheckpointData back = Checkpoint.read(dir);
    assertThat(back.step()).isEqualTo(5);
    assertThat(back.rngSeed()).isEqualTo(1234L);
    assertThat(back.rngCounter()).isEqualTo(99L);
    assertThat(Double.doubleToRawLongBits(back.damping())).isEqualTo(Double.doubleToRawLongBits(first.damping()));
    assertThat(Arrays.equals(back.theta(), mid)).isTrue();
    Optimizer resumed = factory.get();
    resumed.restore(back.optimizer());
    double[] actual = drive(resumed, back.theta(), 6, 8);
    for (int i = 0; i < expected.length; i++) {
      assertThat(Double.doubleToRawLongBits(actual[i])).as("entry %d: %s vs %s", i, actual[i], expected[i])
          .isEqualTo(Double.doubleToRawLongBits(expected[i]));
    }
    assertThat(Double.valueOf(resumed.damping())).isEqualTo(Double.valueOf(straight.damping()));
  }

  @Test
  void adamContinuesBitIdentically() {
    assertBitIdenticalContinuation(() -> new AdamConfig(false, 0.05, 0.9, 0.999, 1e-8, 0).create());
  }

  @Test
  void ngdLevenbergMarquardtWithRefreshContinuesBitIdentically() {
    // refresh every 2: step 6 uses the metric kept from step 5, which the checkpoint must carry
    NaturalGradientConfig c = new NaturalGradientConfig(1.0, 1e-4, DampingSchedule.LEVENBERG_MARQUARDT, 2, 1.0, false,
        L2Penalty.NONE);
    assertBitIdenticalContinuation(c::create);
    Optimizer probe = c.create();
    drive(probe, new double[] {1.5, -2.0, 0.7, 3.0}, 1, 5);
    assertThat(probe.state().arrays()).containsKey("metric");
  }

  @Test
  void everyInducedVariantAndMomentumContinueBitIdentically() {
    for (String name : new String[] {"induced", "induced-log", "induced-adam", "momentum", "adamw"}) {
      OptimizerConfig c = switch (name) {
        case "momentum" -> new MomentumConfig(0.01, 0.9);
        case "adamw" -> new AdamConfig(true, 0.01, 0.9, 0.999, 1e-8, 0);
        default -> new InducedConfig(InducedConfig.Variant.parse(name), 0.01, 0.1, 0.1, 0.9, 0.99, 1e-8, 0);
      };
      assertBitIdenticalContinuation(c::create);
    }
  }

  @Test
  void nonFiniteScalarsRoundTrip() {
    OptimizerState s = new OptimizerState("ngd", Map.of("x", new double[] {-0.0, Double.MIN_VALUE, 1e308}),
        Map.of("a", Double.NaN, "b", Double.POSITIVE_INFINITY, "c", -1e-300), Map.of("t", Long.MAX_VALUE));
    Checkpoint.write(dir, new CheckpointData(0, new double[0], s, Long.MIN_VALUE, 0, Double.NaN));
    CheckpointData back = Checkpoint.read(dir);
    assertThat(back.optimizer().scalars().get("a")).isNaN();
    assertThat(back.optimizer().scalars().get("b")).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(back.optimizer().scalars().get("c")).isEqualTo(-1e-300);
    assertThat(Double.doubleToRawLongBits(back.optimizer().arrays().get("x")[0])).isEqualTo(Double.doubleToRawLongBits(-0.0));
    assertThat(back.optimizer().counters().get("t")).isEqualTo(Long.MAX_VALUE);
    assertThat(back.rngSeed()).isEqualTo(Long.MIN_VALUE);
    assertThat(back.damping()).isNaN();
  }

  /**
   * θ and the optimiser's arrays of the paper's MNIST autoencoder (N = 2,837,314: base64 strings of
   * about 3.8 million characters per million parameters) read back bit for bit. Jackson's default
   * limit of 20,000,000 characters per string used to refuse them as "corrupt", so no model of more
   * than about 1.87 million parameters could resume.
   */
  @Test
  void checkpointsOfMillionsOfParametersRoundTrip() {
    int n = 2_837_314;
    java.util.SplittableRandom rng = new java.util.SplittableRandom(19);
    double[] theta = new double[n];
    double[] previous = new double[n];
    for (int i = 0; i < n; i++) {
      theta[i] = rng.nextGaussian();
      previous[i] = rng.nextGaussian() * 1e-3;
    }
    OptimizerState s = new OptimizerState("kfac", Map.of("previous", previous), Map.of("lambda", 150.0), Map.of("t", 250L));
    Checkpoint.write(dir, new CheckpointData(250, theta, s, 1, 250, 150.0));
    CheckpointData back = Checkpoint.read(dir);
    assertThat(back.step()).isEqualTo(250);
    assertThat(back.theta()).isEqualTo(theta);
    assertThat(back.optimizer().arrays().get("previous")).isEqualTo(previous);
  }

  private byte[] writeSample() throws Exception {
    Optimizer opt = OptimizerConfig.defaults("adam").create();
    double[] theta = drive(opt, new double[] {1, 2, 3, 4}, 1, 2);
    // With recorded settings, so that the byte flips below cover them too.
    Checkpoint.write(dir, new CheckpointData(2, theta, opt.state(), 7, 3, opt.damping(), SETTINGS));
    return Files.readAllBytes(dir.resolve(Checkpoint.FILE_NAME));
  }

  static final Map<String, String> SETTINGS = settings();

  private static Map<String, String> settings() {
    Map<String, String> s = new java.util.LinkedHashMap<>();
    s.put("data", "synthetic:uniform?rows=60&features=2");
    s.put("seed", "1");
    s.put("activation", "tanh");
    s.put("learningRate", "0.01");
    return s;
  }

  /** Settings come back as written, in order; a file of an older build (no settings field) reads with none. */
  @Test
  void settingsRoundTripAndOlderFilesHaveNone() throws Exception {
    writeSample();
    assertThat(new java.util.ArrayList<>(Checkpoint.read(dir).settings().entrySet())).isEqualTo(new java.util.ArrayList<>(SETTINGS.entrySet()));
    Optimizer opt = OptimizerConfig.defaults("gd").create();
    Checkpoint.write(dir, new CheckpointData(1, new double[] {1}, opt.state(), 7, 1, opt.damping()));
    assertThat(Files.readString(dir.resolve(Checkpoint.FILE_NAME))).doesNotContain("settings");
    assertThat(Checkpoint.read(dir).settings()).isEmpty();
  }

  private void assertRefused(String what) {
    assertThatThrownBy(() -> Checkpoint.read(dir)).as(what)
        .isInstanceOf(PullbackException.class)
        .hasMessageContaining(dir.resolve(Checkpoint.FILE_NAME).toString())
        .hasMessageContaining("checksum does not match")
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(PullbackException.DATA));
  }

  @Test
  void aFlippedByteAnywhereIsRefused() throws Exception {
    byte[] good = writeSample();
    System.out.println("checkpoint of " + good.length + " bytes: " + new String(good, StandardCharsets.UTF_8));
    Path file = dir.resolve(Checkpoint.FILE_NAME);
    for (int flip : new int[] {0x01, 0x20, 0x80}) {
      for (int offset = 0; offset < good.length; offset++) {
        byte[] bad = good.clone();
        bad[offset] ^= (byte) flip;
        Files.write(file, bad);
        assertRefused("byte " + offset + " xor " + flip);
      }
    }
    Files.write(file, good);
    assertThat(Checkpoint.read(dir).step()).isEqualTo(2);
  }

  @Test
  void truncatedFilesAreRefused() throws Exception {
    byte[] good = writeSample();
    Path file = dir.resolve(Checkpoint.FILE_NAME);
    for (int len : new int[] {0, 1, good.length / 2, good.length - 2, good.length - 1}) {
      Files.write(file, Arrays.copyOf(good, len));
      assertRefused("truncated to " + len);
    }
  }

  @Test
  void anotherVersionIsRefused() throws Exception {
    byte[] good = writeSample();
    String text = new String(good, StandardCharsets.UTF_8).replace("\"version\":1,", "\"version\":2,");
    Files.writeString(dir.resolve(Checkpoint.FILE_NAME), text);
    assertThatThrownBy(() -> Checkpoint.read(dir))
        .isInstanceOf(PullbackException.class)
        .hasMessageContaining("unsupported version 2")
        .hasMessageContaining(Checkpoint.FILE_NAME)
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(PullbackException.DATA));
  }

  @Test
  void restoringIntoAnotherOptimizerIsAUsageError() throws Exception {
    writeSample();
    Optimizer ngd = OptimizerConfig.defaults("ngd").create();
    assertThatThrownBy(() -> ngd.restore(Checkpoint.read(dir).optimizer()))
        .isInstanceOf(PullbackException.class)
        .satisfies(e -> assertThat(Flags.message((PullbackException) e))
            .contains("--optimizer is 'ngd'; resume with --optimizer adam"));
  }
}
