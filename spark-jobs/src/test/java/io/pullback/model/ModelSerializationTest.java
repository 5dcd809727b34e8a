package io.pullback.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.data.ExampleBlock;
import io.pullback.metric.FactorRows;
import io.pullback.metric.MetricKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Models and factor-row builders survive Java serialization (shipping to executors) and are thread-safe. */
class ModelSerializationTest {

  @SuppressWarnings("unchecked")
  static <T> T roundTrip(T o) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (T) in.readObject();
    }
  }

  static double[] jacobian(Model m, double[] theta, ExampleBlock blk) {
    int bk = blk.rows() * m.outputDim();
    double[] jac = new double[bk * m.numParams()];
    m.jacobian(theta, blk, new double[bk], jac);
    return jac;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.pullback.model.TestModels#allModels")
  void serializedModelComputesTheSame(Model m) throws Exception {
    long seed = 1201;
    System.out.println("seed " + seed + " " + m);
    ExampleBlock blk = TestModels.randomBlock(m, new SplittableRandom(seed), 0, 6, true);
    double[] theta = TestModels.randomTheta(m, seed);
    double[] before = jacobian(m, theta, blk); // warms the scratch arrays, which must not be shipped
    Model copy = roundTrip(m);
    assertThat(copy.parameterLayout()).isEqualTo(m.parameterLayout());
    assertThat(jacobian(copy, theta, blk)).containsExactly(before);
    FactorRows original = new FactorRows(m, MetricKind.MC_FISHER, 2, 9);
    FactorRows shipped = roundTrip(original);
    double[] f1 = new double[6 * 2 * m.numParams()];
    double[] f2 = new double[f1.length];
    original.compute(theta, blk, original.newWorkspace(6), f1);
    shipped.compute(theta, blk, null, f2);
    assertThat(f2).containsExactly(f1);
  }

  /** One model instance used by 4 threads at once, with different block sizes, gives the single-thread results. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("io.pullback.model.TestModels#allModels")
  void sharedInstanceIsThreadSafe(Model m) throws Exception {
    long seed = 1301;
    System.out.println("seed " + seed + " " + m);
    double[] theta = TestModels.randomTheta(m, seed);
    List<ExampleBlock> blocks = new ArrayList<>();
    List<double[]> expected = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < 8; i++) {
      ExampleBlock blk = TestModels.randomBlock(m, rng, 0, 3 + 5 * i, false);
      blocks.add(blk);
      expected.add(jacobian(m, theta, blk));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        final int shift = t;
        results.add(pool.submit(() -> {
          for (int rep = 0; rep < 50; rep++) {
            int i = (rep + shift) % blocks.size();
            if (!java.util.Arrays.equals(jacobian(m, theta, blocks.get(i)), expected.get(i))) return false;
          }
          return true;
        }));
      }
      for (Future<Boolean> r : results) assertThat(r.get()).isTrue();
    } finally {
      pool.shutdownNow();
    }
  }
}
