package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullback.io.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trace}, {@code diagonal} and {@code spectrum --top} end to end: the examples of
 * docs/analysis.md through {@code bin/pullback} exactly as written (exit 0, the keys of
 * {@code trace.json} and {@code diagonal.json}, the files and their shapes); bad flags (exit 2,
 * the flag named, nothing written); and a metric whose products overflow (exit 3 before any LAPACK
 * call, nothing written). The estimators' accuracy is the unit tests' ({@code StochasticTraceTest},
 * {@code StochasticDiagonalTest}, {@code TopEigenTest}, {@code AnalysisCommandsTest}).
 */
class AnalysisIT extends CliHarness {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final String[] MLP = {"--data", "synthetic:gaussian?rows=120&features=3&seed=5&outputs=2", "--model", "mlp", "--hidden", "4",
      "--outputs", "2"};

  @TempDir
  Path dir;

  /** Every {@code bin/pullback} command of docs/analysis.md, continuation lines joined. */
  static List<String> docsExamples() throws Exception {
    List<String> lines = Files.readAllLines(ROOT.resolve("docs/analysis.md"));
    List<String> commands = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).startsWith("bin/pullback ")) continue;
      StringBuilder cmd = new StringBuilder();
      for (; lines.get(i).endsWith("\\"); i++) cmd.append(lines.get(i), 0, lines.get(i).length() - 1);
      commands.add(cmd.append(lines.get(i)).toString());
    }
    return commands;
  }

  static List<String> keys(JsonNode node) {
    List<String> keys = new ArrayList<>();
    node.fieldNames().forEachRemaining(keys::add);
    return keys;
  }

  @Test
  void docsExamplesRunAsWritten() throws Exception {
    List<String> examples = docsExamples();
    assertThat(examples).hasSize(3);
    DensityIT.shell(dir, String.join(" && ", examples));
    JsonNode trace = JSON.readTree(dir.resolve("out/trace/trace.json").toFile());
    assertThat(keys(trace)).containsExactly("estimate", "std_error", "probes", "estimator", "passes", "seed");
    assertThat(trace.get("estimator").asText()).isEqualTo("xtrace");
    assertThat(trace.get("passes").asLong()).isEqualTo(12);
    assertThat(trace.get("estimate").asDouble()).isPositive();
    assertThat(dir.resolve("out/trace/manifest.json")).exists();

    JsonNode diag = JSON.readTree(dir.resolve("out/xdiag/diagonal.json").toFile());
    assertThat(keys(diag)).containsExactly("estimator", "probes", "passes", "std_error", "max_std_error", "seed");
    double[] d = Npy.readVector(dir.resolve("out/xdiag/diagonal.npy"));
    assertThat(d).hasSize(26);
    assertThat(Npy.readVector(dir.resolve("out/xdiag/diagonal_std_error.npy"))).hasSize(26);
    double sum = 0;
    for (double x : d) sum += x;
    // The same 6 probes start both (same seed): the traces of the two estimates are close, both near tr G.
    assertThat(Math.abs(sum - trace.get("estimate").asDouble())).isLessThan(0.5 * trace.get("estimate").asDouble());

    Path top = dir.resolve("out/top");
    JsonNode spectrum = JSON.readTree(top.resolve("spectrum.json").toFile());
    assertThat(spectrum.get("method").asText()).startsWith("lanczos (block of 5");
    assertThat(spectrum.get("converged").asBoolean()).isTrue();
    assertThat(spectrum.get("top").size()).isEqualTo(5);
    assertThat(Npy.readMatrix(top.resolve("eigenvectors.npy")).shape()).containsExactly(26, 5);
    JsonNode layers = JSON.readTree(top.resolve("layers.json").toFile()).get("layers");
    assertThat(layers.size()).isEqualTo(2);
    assertThat(layers.get(0).get("size").asInt() + layers.get(1).get("size").asInt()).isEqualTo(26);
    assertThat(layers.get(0).get("trace").asDouble() + layers.get(1).get("trace").asDouble())
        .isCloseTo(spectrum.get("trace").asDouble(), org.assertj.core.data.Offset.offset(1e-12 * spectrum.get("trace").asDouble()));
  }

  void refused(int code, List<String> fragments, String... args) {
    Path out = dir.resolve("refused");
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--out", out.toString()));
    Run run = pullback(all.toArray(String[]::new));
    assertThat(run.exitCode()).as(run.err()).isEqualTo(code);
    for (String f : fragments) assertThat(run.err()).contains(f);
    assertThat(run.err()).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(out).doesNotExist();
  }

  @Test
  void badFlagsExitTwoNamingTheFlag() {
    refused(2, List.of("--estimator", "hutchinson, hutchpp, xtrace"), EstimateCliIT.concat(new String[] {"trace", "--estimator", "hutch"}, MLP));
    refused(2, List.of("--probes", "multiple of 3"), EstimateCliIT.concat(new String[] {"trace", "--estimator", "hutchpp", "--probes", "10"}, MLP));
    refused(2, List.of("--probes", "at least 2"), EstimateCliIT.concat(new String[] {"trace", "--estimator", "hutchinson", "--probes", "1"}, MLP));
    refused(2, List.of("--estimator", "exact, hutchinson, xdiag"), EstimateCliIT.concat(new String[] {"diagonal", "--estimator", "xtrace"}, MLP));
    refused(2, List.of("--probes", "exact"), EstimateCliIT.concat(new String[] {"diagonal", "--probes", "4"}, MLP));
    refused(2, List.of("--probes", "multiple of 2"), EstimateCliIT.concat(new String[] {"diagonal", "--estimator", "xdiag", "--probes", "5"}, MLP));
    refused(2, List.of("--eigenvectors", "--density"), EstimateCliIT.concat(new String[] {"spectrum", "--density", "--eigenvectors"}, MLP));
    refused(2, List.of("--residual-tol"), EstimateCliIT.concat(new String[] {"spectrum", "--residual-tol", "2"}, MLP));
    refused(2, List.of("--lanczos-steps", "--top"), EstimateCliIT.concat(new String[] {"spectrum", "--top", "5", "--dense-limit", "1",
        "--lanczos-steps", "3"}, MLP));
    refused(2, List.of("--per-layer", "layered"), "spectrum", "--per-layer", "--data", "synthetic:gaussian?rows=50&features=2&seed=1",
        "--model", "linear-basis", "--basis", "monomial", "--degree", "2");
    refused(2, List.of("--metric"), EstimateCliIT.concat(new String[] {"trace", "--metric", "fishy"}, MLP));
  }

  @Test
  void overflowingProductsExitThreeBeforeLapack() throws Exception {
    Path f = dir.resolve("huge.csv");
    Files.writeString(f, "x0,label\n1e300,0.5\n2.0,1.5\n");
    String[] data = {"--data", f.toString(), "--model", "linear-basis", "--basis", "monomial", "--degree", "2", "--representation", "implicit"};
    refused(3, List.of("not finite", "product G·v", "rescale the features"), EstimateCliIT.concat(new String[] {"spectrum", "--density"}, data));
    refused(3, List.of("not finite", "product G·v"), EstimateCliIT.concat(new String[] {"spectrum", "--dense-limit", "1", "--top", "1"}, data));
    refused(3, List.of("not finite", "product G·v"), EstimateCliIT.concat(new String[] {"trace"}, data));
    refused(3, List.of("not finite", "product G·v"), EstimateCliIT.concat(new String[] {"diagonal", "--estimator", "hutchinson"}, data));
  }
}
