package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullback.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to {@code estimate}: each case gets its documented exit code (2 usage, 3 data), a message
 * naming the culprit, and leaves {@code --out} as it was (absent, or with its old contents).
 */
class EstimateBadInputIT extends CliHarness {

  @TempDir
  static Path dir;
  static Path good;

  @BeforeAll
  static void writeFiles() throws IOException {
    good = dir.resolve("good.csv");
    Files.writeString(good, "x0,x1,label\n0.5,1.0,0\n-1.0,2.0,1\n0.25,-0.5,1\n");
    Files.writeString(dir.resolve("nan.csv"), "x0,x1,label\n0.5,1.0,0\n-1.0,NaN,1\n");
    Files.writeString(dir.resolve("inf.csv"), "x0,x1,label\n0.5,Inf,0\n-1.0,2.0,1\n");
    Files.writeString(dir.resolve("empty.csv"), "x0,x1,label\n");
    Files.writeString(dir.resolve("classes.csv"), "x0,x1,label\n0.5,1.0,0\n-1.0,2.0,5\n");
    Files.writeString(dir.resolve("binary.csv"), "x0,x1,label\n0.5,1.0,0\n-1.0,2.0,2\n");
    Files.writeString(dir.resolve("text.csv"), "x0,x1,label\n0.5,abc,0\n-1.0,2.0,1\n");
    Npy.writeVector(dir.resolve("short.npy"), new double[] {1, 2});
    Files.writeString(dir.resolve("wide.libsvm"), "1 1:0.5 2:1.0\n0 1:0.25 7:2.0\n");
    Files.writeString(dir.resolve("corrupt.parquet"), "PAR1 this is not a parquet file at all PAR1");
    Files.writeString(dir.resolve("types.yaml"), "model: logistic\nsamples: abc\n");
  }

  /** Runs the command; asserts exit code, message, and that a fresh --out was not created. */
  void assertRefused(int exitCode, List<String> messageParts, String... args) {
    Path out = dir.resolve("out-" + System.nanoTime());
    String[] full = Stream.concat(Stream.of(args), Stream.of("--out", out.toString())).toArray(String[]::new);
    Run run = pullback(full);
    assertThat(run.exitCode()).as("exit code; stderr: %s", run.err()).isEqualTo(exitCode);
    for (String part : messageParts) assertThat(run.err()).contains(part);
    assertThat(out).doesNotExist();
    assertNoStagingLeft();
  }

  static void assertNoStagingLeft() {
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("staging"));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void nanFeatureIsRefusedWithItsRow() {
    assertRefused(3, List.of("nan.csv", "line 3", "feature 1", "NaN"),
        "estimate", "--data", dir.resolve("nan.csv").toString(), "--model", "logistic");
  }

  @Test
  void infiniteFeatureIsRefused() {
    assertRefused(3, List.of("inf.csv", "line 2", "Infinity"),
        "estimate", "--data", dir.resolve("inf.csv").toString(), "--model", "logistic");
  }

  @Test
  void paramsOfTheWrongLengthAreRefused() {
    assertRefused(3, List.of("short.npy", "2 values", "N = 3"),
        "estimate", "--data", good.toString(), "--model", "logistic", "--params", dir.resolve("short.npy").toString());
  }

  @Test
  void labelOutsideTheClassesIsRefused() {
    assertRefused(3, List.of("classes.csv", "line 3", "label 5.0", "0..2"),
        "estimate", "--data", dir.resolve("classes.csv").toString(), "--model", "softmax", "--classes", "3");
  }

  @Test
  void nonBinaryLabelForLogisticIsRefused() {
    assertRefused(3, List.of("binary.csv", "line 3", "label 2.0", "0 or 1"),
        "estimate", "--data", dir.resolve("binary.csv").toString(), "--model", "logistic");
  }

  @Test
  void emptyDataIsRefused() {
    assertRefused(3, List.of("empty.csv", "no examples"),
        "estimate", "--data", dir.resolve("empty.csv").toString(), "--model", "logistic");
  }

  @Test
  void missingFileIsRefused() {
    assertRefused(3, List.of("nope.csv", "does not exist"),
        "estimate", "--data", dir.resolve("nope.csv").toString(), "--model", "logistic");
  }

  @Test
  void nonNumericColumnIsRefused() {
    assertRefused(3, List.of("text.csv", "x1", "numeric"),
        "estimate", "--data", dir.resolve("text.csv").toString(), "--model", "logistic");
  }

  @Test
  void libsvmIndexBeyondTheDeclaredFeaturesIsRefused() {
    assertRefused(3, List.of("wide.libsvm"),
        "estimate", "--data", dir.resolve("wide.libsvm").toString(), "--features", "3", "--model", "logistic");
  }

  @Test
  void corruptParquetIsRefused() {
    assertRefused(3, List.of("corrupt.parquet"),
        "estimate", "--data", dir.resolve("corrupt.parquet").toString(), "--model", "logistic");
  }

  @Test
  void aFolderGivenAsParamsFileIsRefused() {
    assertRefused(3, List.of("--params"),
        "estimate", "--data", good.toString(), "--model", "logistic", "--params", dir.toString());
  }

  @Test
  void wrongTypesInYamlAreUsageErrors() {
    assertRefused(2, List.of("samples", "abc"),
        "estimate", "--config", dir.resolve("types.yaml").toString(), "--data", good.toString());
  }

  @Test
  void unknownFlagIsAUsageError() {
    assertRefused(2, List.of("--frobnicate"),
        "estimate", "--data", good.toString(), "--model", "logistic", "--frobnicate", "3");
  }

  @Test
  void unknownMetricIsAUsageErrorListingTheValidOnes() {
    assertRefused(2, List.of("--metric", "hessian", "empirical-fisher"),
        "estimate", "--data", good.toString(), "--model", "logistic", "--metric", "hessian");
  }

  @Test
  void zeroPartitionsIsAUsageError() {
    assertRefused(2, List.of("--partitions", "0"),
        "estimate", "--data", good.toString(), "--model", "logistic", "--partitions", "0");
  }

  @Test
  void unknownConfigKeyIsAUsageErrorNamingIt() throws IOException {
    Path yaml = dir.resolve("bad.yaml");
    Files.writeString(yaml, "model: logistic\nlearning_rat: 0.1\n");
    assertRefused(2, List.of("learning_rat", "bad.yaml", "valid keys"),
        "estimate", "--config", yaml.toString(), "--data", good.toString());
  }

  @Test
  void configFileSuppliesOptionsAndTheCommandLineOverrides() throws IOException {
    Path yaml = dir.resolve("good.yaml");
    Files.writeString(yaml, "model: softmax\nclasses: 3\nmetric: hessian\n");
    Path out = dir.resolve("from-config");
    Run run = pullback("estimate", "--config", yaml.toString(), "--data", good.toString(), "--metric", "fisher", "--out", out.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(Files.readString(out.resolve("summary.json"))).contains("\"softmax\"").contains("\"fisher\"");
  }

  @Test
  void existingNonEmptyOutIsRefusedAndLeftAsItWas() throws IOException {
    Path out = dir.resolve("taken");
    Files.createDirectories(out);
    Files.writeString(out.resolve("keep.txt"), "precious");
    Run run = pullback("estimate", "--data", good.toString(), "--model", "logistic", "--out", out.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains(out.toString());
    try (Stream<Path> s = Files.list(out)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("keep.txt");
    }
    assertThat(Files.readString(out.resolve("keep.txt"))).isEqualTo("precious");
    assertNoStagingLeft();
  }

  @Test
  void existingEmptyOutIsAccepted() throws IOException {
    Path out = dir.resolve("empty-out");
    Files.createDirectories(out);
    Run run = pullback("estimate", "--data", good.toString(), "--model", "logistic", "--out", out.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(out.resolve("metric.npy")).exists();
  }

  @Test
  void outInsideARegularFileIsAUsageErrorNamingIt() throws IOException {
    Path file = dir.resolve("a-file");
    Files.writeString(file, "x");
    Path out = file.resolve("out");
    Run run = pullback("estimate", "--data", good.toString(), "--model", "logistic", "--out", out.toString());
    assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
    assertThat(run.err()).contains(out.toString());
    assertThat(Files.readString(file)).isEqualTo("x");
    assertNoStagingLeft();
  }
}
