package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullback.io.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code estimate --representation R}, {@code export DIR --to npy}, {@code spectrum} and
 * {@code train --representation R} end to end, against the dense estimate of the same metric
 * (itself checked against closed forms in {@link EstimateCliIT}).
 */
class RepresentationsIT extends CliHarness {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String DATA = "synthetic:gaussian?rows=120&features=3&seed=5&outputs=2";
  static final String[] MODEL = {"--model", "mlp", "--hidden", "4", "--outputs", "2", "--metric", "function", "--partitions", "3"};

  @TempDir
  Path dir;

  double[] denseMetric() {
    Path dense = dir.resolve("dense-ref");
    if (!Files.exists(dense.resolve("metric.npy"))) {
      Run run = pullback(EstimateCliIT.concat(new String[] {"estimate", "--data", DATA, "--out", dense.toString()}, MODEL));
      assertThat(run.exitCode()).as(run.err()).isZero();
    }
    return Npy.readMatrix(dense.resolve("metric.npy")).data();
  }

  /**
   * Every stored representation: its files, summary statistics and the dense matrix {@code export}
   * rebuilds from them. Exact ones (ntk-dual, low-rank with k = N) give back G to 1e-9; diag and
   * block-diag give back G's diagonal and per-layer blocks exactly; kfac the exact per-layer
   * Kronecker structure (checked in the unit contract test) and G's trace within its approximation;
   * ekfac G's trace exactly (its diagonal is that of QᵀGQ in each layer's eigenbasis Q).
   */
  @ParameterizedTest
  @ValueSource(strings = {"diag", "block-diag", "kfac", "ekfac", "low-rank", "ntk-dual", "implicit"})
  void estimateExportsWhatTheRepresentationStores(String representation) throws Exception {
    double[] g = denseMetric();
    int n = (int) Math.round(Math.sqrt(g.length));
    Path out = dir.resolve(representation);
    Run run = pullback(EstimateCliIT.concat(new String[] {"estimate", "--data", DATA, "--out", out.toString(),
        "--representation", representation, "--rank", String.valueOf(n), "--cg-tol", "1e-10"}, MODEL));
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    assertThat(summary.get("representation").asText()).isEqualTo(representation);
    double trace = 0;
    for (int i = 0; i < n; i++) trace += g[i * n + i];
    if (!representation.equals("kfac")) {
      assertThat(summary.get("trace").asDouble()).isCloseTo(trace, org.assertj.core.data.Offset.offset(1e-9 * trace));
    }
    for (JsonNode f : summary.get("files")) assertThat(out.resolve(f.asText())).exists();
    assertThat(Files.exists(out.resolve("manifest.json"))).isTrue();

    Run export = pullback("export", out.toString(), "--to", "npy");
    if (representation.equals("implicit")) {
      assertThat(export.exitCode()).isEqualTo(2);
      assertThat(export.err()).contains("implicit").contains("stores nothing");
      assertThat(Files.exists(out.resolve("metric.npy"))).isFalse();
      return;
    }
    assertThat(export.exitCode()).as(export.err()).isZero();
    double[] exported = Npy.readMatrix(out.resolve("metric.npy")).data();
    assertThat(exported).hasSize(n * n);
    switch (representation) {
      case "diag" -> {
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < n; j++) assertThat(exported[i * n + j]).isCloseTo(i == j ? g[i * n + i] : 0.0, org.assertj.core.data.Offset.offset(1e-14));
        }
      }
      case "block-diag" -> {
        // hidden layer: W1 (4×3) + b1 (4) = 16 parameters; output layer the remaining 10.
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < n; j++) {
            boolean same = (i < 16) == (j < 16);
            assertThat(exported[i * n + j]).isCloseTo(same ? g[i * n + j] : 0.0, org.assertj.core.data.Offset.offset(1e-12));
          }
        }
      }
      case "low-rank", "ntk-dual" -> assertThat(relError(exported, g)).isLessThan(1e-8);
      case "kfac", "ekfac" -> assertThat(relError(exported, g)).isLessThan(1.0);
      default -> throw new AssertionError(representation);
    }
    // A second export does nothing and says so.
    Run again = pullback("export", out.toString(), "--to", "npy");
    assertThat(again.exitCode()).isZero();
    assertThat(again.out()).contains("already exists");
  }

  @Test
  void exportRefusesMissingFoldersAndUnknownFormats() {
    Run missing = pullback("export", dir.resolve("nope").toString(), "--to", "npy");
    assertThat(missing.exitCode()).isEqualTo(3);
    assertThat(missing.err()).contains("summary.json");
    Run format = pullback("export", dir.toString(), "--to", "csv");
    assertThat(format.exitCode()).isEqualTo(2);
    assertThat(format.err()).contains("--to").contains("npy");
  }

  /** Dense dsyevd and Lanczos on the implicit metric find the same top eigenvalues; trace matches G. */
  @Test
  void spectrumByDenseAndByLanczosAgree() throws Exception {
    double[] g = denseMetric();
    int n = (int) Math.round(Math.sqrt(g.length));
    Path dense = dir.resolve("spectrum-dense");
    Path lanczos = dir.resolve("spectrum-lanczos");
    Run a = pullback(EstimateCliIT.concat(new String[] {"spectrum", "--data", DATA, "--out", dense.toString(), "--top", "5"}, MODEL));
    assertThat(a.exitCode()).as(a.err()).isZero();
    Run b = pullback(EstimateCliIT.concat(new String[] {"spectrum", "--data", DATA, "--out", lanczos.toString(), "--top", "5",
        "--representation", "implicit", "--dense-limit", "10", "--lanczos-steps", String.valueOf(n)}, MODEL));
    assertThat(b.exitCode()).as(b.err()).isZero();
    JsonNode sa = JSON.readTree(dense.resolve("spectrum.json").toFile());
    JsonNode sb = JSON.readTree(lanczos.resolve("spectrum.json").toFile());
    assertThat(sa.get("method").asText()).isEqualTo("dsyevd");
    assertThat(sb.get("method").asText()).startsWith("lanczos");
    double top = sa.get("top").get(0).asDouble();
    for (int i = 0; i < 5; i++) {
      assertThat(sb.get("top").get(i).asDouble()).isCloseTo(sa.get("top").get(i).asDouble(), org.assertj.core.data.Offset.offset(1e-8 * top));
    }
    double trace = 0;
    double sum = 0;
    for (int i = 0; i < n; i++) trace += g[i * n + i];
    for (double l : Npy.readVector(dense.resolve("eigenvalues.npy"))) sum += l;
    assertThat(sum).isCloseTo(trace, org.assertj.core.data.Offset.offset(1e-10 * trace));
    assertThat(sa.get("trace").asDouble()).isCloseTo(trace, org.assertj.core.data.Offset.offset(1e-10 * trace));
    assertThat(sa.get("effective_rank").asDouble()).isBetween(1.0, (double) n);
    assertThat(dense.resolve("spectrum.png")).exists();
  }

  /**
   * ngd with the exact representations (blocked and implicit with CG to 1e-12, ntk-dual, low-rank with k = N)
   * follows the dense ngd trajectory to 1e-7; the approximate ones (with Levenberg–Marquardt damping)
   * lower the loss; every run records its representation in the summary.
   */
  @Test
  void trainWithEveryRepresentation() throws Exception {
    String[] common = {"train", "--data", DATA, "--model", "mlp", "--hidden", "4", "--outputs", "2", "--partitions", "3",
        "--optimizer", "ngd", "--steps", "3", "--damping", "1e-2"};
    Path dense = dir.resolve("train-dense");
    Run d = pullback(EstimateCliIT.concat(common, new String[] {"--out", dense.toString()}));
    assertThat(d.exitCode()).as(d.err()).isZero();
    double[] thetaDense = Npy.readVector(dense.resolve("params.npy"));
    for (String r : List.of("blocked", "implicit", "diag", "block-diag", "kfac", "ekfac", "low-rank", "ntk-dual")) {
      Path out = dir.resolve("train-" + r);
      boolean approximate = r.equals("diag") || r.equals("block-diag") || r.equals("kfac") || r.equals("ekfac");
      // Approximate metrics overshoot the Gauss–Newton step: Levenberg–Marquardt damping rejects such steps.
      Run run = pullback(EstimateCliIT.concat(common, new String[] {"--out", out.toString(), "--representation", r,
          "--cg-tol", "1e-12", "--cg-max-iter", "500", "--rank", "26",
          "--damping-schedule", approximate ? "levenberg-marquardt" : "fixed"}));
      assertThat(run.exitCode()).as(r + ": " + run.err()).isZero();
      JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
      assertThat(summary.get("representation").asText()).isEqualTo(r);
      List<String> lines = Files.readAllLines(out.resolve("history.jsonl"));
      double first = JSON.readTree(lines.get(0)).get("loss").asDouble();
      assertThat(summary.get("final_loss").asDouble()).as(r).isLessThan(first);
      if (r.equals("blocked") || r.equals("implicit") || r.equals("ntk-dual") || r.equals("low-rank")) {
        assertThat(relError(Npy.readVector(out.resolve("params.npy")), thetaDense)).as(r).isLessThan(1e-7);
      }
    }
  }

  @Test
  void trainRefusesUnknownRepresentationsAndSampledBlocked() {
    Run run = pullback("train", "--data", DATA, "--model", "mlp", "--hidden", "4", "--outputs", "2",
        "--representation", "sparse", "--out", dir.resolve("t").toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--representation").contains("implicit");
    assertThat(Files.exists(dir.resolve("t"))).isFalse();
    Run sampled = pullback("train", "--data", DATA, "--model", "mlp", "--hidden", "4", "--outputs", "2",
        "--representation", "blocked", "--metric-fraction", "0.5", "--out", dir.resolve("t").toString());
    assertThat(sampled.exitCode()).isEqualTo(2);
    assertThat(sampled.err()).contains("--metric-fraction");
    assertThat(Files.exists(dir.resolve("t"))).isFalse();
  }

  static double relError(double[] a, double[] b) {
    double d = 0;
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      d += (a[i] - b[i]) * (a[i] - b[i]);
      s += b[i] * b[i];
    }
    return Math.sqrt(d / s);
  }
}
