package io.pullback.metric.representation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import io.pullback.data.ExampleBlock;
import io.pullback.metric.FactorRows;
import io.pullback.metric.aggregate.BlockData;
import io.pullback.metric.aggregate.TiledGram;
import io.pullback.metric.representation.MetricRepresentation.NpyArray;
import io.pullback.metric.representation.MetricRepresentationContractTest.Case;
import io.pullback.model.Model;
import io.pullback.model.TestModels;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Representations#read}, the one route back from stored files: every representation that
 * stores something, built from data, written through its own {@code exports()} and read back, answers
 * every question bit for bit as before (same arrays in, same code run). The arrays are held in
 * memory here; the folder form (.npy files and Parquet tiles) is exercised by the export ITs and the
 * golden check.
 */
class StoredRepresentationTest {

  /** Arrays by name, as exports() gives them; the blocked tiles cut from the dense matrix. */
  record InMemory(Map<String, NpyArray> arrays, double[] dense, Map<String, Object> details) implements StoredArrays {
    @Override public boolean has(String name) { return arrays.containsKey(name); }

    @Override
    public NpyArray read(String name) {
      NpyArray a = arrays.get(name);
      if (a == null) throw PullbackException.data("file '" + name + ".npy' does not exist");
      return a;
    }

    @Override public TiledGram tiles(int n, int tileSize) { return TiledGram.inMemory(dense, n, tileSize); }
    @Override public String location(String name) { return "memory:" + name; }

    @Override
    public double summaryNumber(String key, double fallback) {
      return details.get(key) instanceof Number x ? x.doubleValue() : fallback;
    }
  }

  static Stream<Arguments> storedKindsTimesCases() {
    return MetricRepresentationContractTest.kindsTimesCases().filter(a -> a.get()[0] != RepresentationKind.IMPLICIT);
  }

  @ParameterizedTest(name = "{0} on {1} seed={2}")
  @MethodSource("storedKindsTimesCases")
  void aStoredRepresentationReadsBackBitForBit(RepresentationKind rk, Case c, long seed) {
    Model model = c.model();
    int n = model.numParams();
    List<ExampleBlock> blocks = MetricRepresentationContractTest.data(model, c.examples(), seed);
    double[] theta = TestModels.randomTheta(model, seed);
    RepresentationOptions opts = new RepresentationOptions(Math.max(1, Math.min(n, 4)), 1e-14, 20 * n, seed, false, 8192, 3);
    MetricRepresentation built = Representations.build(rk, BlockData.of(blocks), new FactorRows(model, c.kind(), 3, seed), theta, opts);
    double[] dense = built.toDense();
    StoredArrays stored = new InMemory(new HashMap<>(built.exports()), dense, built.details());

    MetricRepresentation back = Representations.read(rk, n, 3, stored, opts);

    assertThat(back.kind()).isEqualTo(rk);
    assertThat(back.n()).isEqualTo(n);
    assertThat(back.exact()).isEqualTo(built.exact());
    assertThat(back.toDense()).isEqualTo(dense);
    SplittableRandom rng = new SplittableRandom(seed + 1);
    double[] v = rng.doubles(n, -1, 1).toArray();
    assertThat(back.mv(v)).isEqualTo(built.mv(v));
    assertThat(back.diagonal()).isEqualTo(built.diagonal());
    assertThat(back.trace()).isEqualTo(built.trace());
    assertThat(back.frobeniusNorm()).isEqualTo(built.frobeniusNorm());
    double lambda = 0.1;
    assertThat(back.solve(v, lambda)).isEqualTo(built.solve(v, lambda));
    if (rk != RepresentationKind.BLOCKED) { // blocked stores its tiles (Parquet), not arrays
      assertThat(back.exports().keySet()).isEqualTo(built.exports().keySet());
      assertThat(back.details()).isEqualTo(built.details());
    }
  }

  @Test
  void misShapedOrMissingFilesAreDataErrorsNamingTheFile() {
    int n = 3;
    InMemory wrongShape = new InMemory(Map.of("metric", new NpyArray(new double[6], new long[] {2, 3})), null, Map.of());
    assertThatThrownBy(() -> Representations.read(RepresentationKind.DENSE, n, 1, wrongShape, RepresentationOptions.defaults()))
        .isInstanceOf(PullbackException.class).hasMessageContaining("metric.npy has shape [2, 3], expected [3, 3]")
        .satisfies(e -> assertThat(((PullbackException) e).exitCode()).isEqualTo(PullbackException.DATA));
    InMemory shortDiagonal = new InMemory(Map.of("diagonal", new NpyArray(new double[2], new long[] {2})), null, Map.of());
    assertThatThrownBy(() -> Representations.read(RepresentationKind.DIAG, n, 1, shortDiagonal, RepresentationOptions.defaults()))
        .hasMessageContaining("memory:diagonal has 2 values, expected N = 3");
    InMemory badStarts = new InMemory(Map.of("block_starts", new NpyArray(new double[] {0, 2}, new long[] {2})), null, Map.of());
    assertThatThrownBy(() -> Representations.read(RepresentationKind.BLOCK_DIAG, n, 1, badStarts, RepresentationOptions.defaults()))
        .hasMessageContaining("must run from 0 to N = 3");
    InMemory badIndex = new InMemory(Map.of(
        "kfac_layer0_A", new NpyArray(new double[] {1}, new long[] {1, 1}),
        "kfac_layer0_S", new NpyArray(new double[] {1}, new long[] {1, 1}),
        "kfac_layer0_index", new NpyArray(new double[] {7}, new long[] {1, 1})), null, Map.of());
    assertThatThrownBy(() -> Representations.read(RepresentationKind.KFAC, n, 1, badIndex, RepresentationOptions.defaults()))
        .hasMessageContaining("memory:kfac_layer0_index").hasMessageContaining("not a parameter index in [0, 3)");
    assertThatThrownBy(() -> Representations.read(RepresentationKind.IMPLICIT, n, 1, badIndex, RepresentationOptions.defaults()))
        .isInstanceOf(PullbackException.class).hasMessageContaining("stores nothing");
  }
}
