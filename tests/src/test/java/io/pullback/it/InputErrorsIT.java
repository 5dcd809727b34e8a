package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every input defect of issue 16 fed to the commands: each gets its exit code (2 usage, 3 data), one
 * message naming the file and 1-based line (or the flag), no stack trace (neither on the command's
 * stderr nor in any log event: nothing fails inside a Spark task), and nothing left in {@code --out}.
 * Also: what Spark users pass (globs, comma lists, folders with non-data files) is accepted, checks of
 * {@code --params} and {@code --out} run before any Spark job, and non-finite results are never published.
 */
class InputErrorsIT extends CliHarness {
  @TempDir
  static Path dir;

  static final List<LogEvent> LOGGED_FAILURES = new ArrayList<>();
  static final List<String> DIVERGENCE_WARNINGS = new ArrayList<>();
  static AbstractAppender appender;
  final AtomicInteger jobs = new AtomicInteger();

  @BeforeAll
  static void captureLogFailures() {
    appender = new AbstractAppender("failures", null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        if (event.getThrown() != null) {
          synchronized (LOGGED_FAILURES) {
            LOGGED_FAILURES.add(event.toImmutable());
          }
        }
        String text = event.getMessage().getFormattedMessage();
        if (event.getLevel() == org.apache.logging.log4j.Level.WARN && text.contains("diverging")) {
          synchronized (DIVERGENCE_WARNINGS) {
            DIVERGENCE_WARNINGS.add(text);
          }
        }
      }
    };
    appender.start();
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    ctx.getConfiguration().getRootLogger().addAppender(appender, null, null);
    ctx.updateLoggers();
  }

  @AfterAll
  static void stopCapture() {
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    ctx.getConfiguration().getRootLogger().removeAppender("failures");
    ctx.updateLoggers();
  }

  @BeforeAll
  void countJobs() {
    spark.sparkContext().addSparkListener(new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart jobStart) {
        jobs.incrementAndGet();
      }
    });
  }

  static Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
    return p;
  }

  /** Runs a command with a fresh --out; asserts exit code, message parts, no trace, nothing in --out; returns stderr. */
  String refused(int exitCode, List<String> parts, String... args) {
    Path out = dir.resolve("out-" + System.nanoTime());
    String[] full = Stream.concat(Stream.of(args), Stream.of("--out", out.toString())).toArray(String[]::new);
    synchronized (LOGGED_FAILURES) {
      LOGGED_FAILURES.clear();
    }
    Run run = pullback(full);
    assertThat(run.exitCode()).as("exit code; stderr: %s", run.err()).isEqualTo(exitCode);
    for (String part : parts) assertThat(run.err()).as("stderr").contains(part);
    assertThat(run.err()).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception");
    assertThat(run.err().strip().lines().count()).as("one message: %s", run.err()).isEqualTo(1);
    synchronized (LOGGED_FAILURES) {
      assertThat(LOGGED_FAILURES).as("log events with a stack trace").isEmpty();
    }
    assertThat(out).doesNotExist();
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("staging"));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return run.err();
  }

  Run ok(String... args) {
    Run run = pullback(args);
    assertThat(run.exitCode()).as("stderr: %s", run.err()).isZero();
    return run;
  }

  String estimate(String data, String... more) {
    List<String> a = new ArrayList<>(List.of("estimate", "--data", data, "--model", "logistic"));
    a.addAll(List.of(more));
    return String.join("\u0000", a);
  }

  String[] args(String joined) {
    return joined.split("\u0000");
  }

  // ---- LIBSVM ----

  @Test
  void libsvmIndexZeroNamesFileAndLine() throws IOException {
    Path f = write("zero.libsvm", "1 1:0.5 2:1\n0 0:0.25 2:2\n");
    refused(3, List.of("zero.libsvm", "line 2", "index 0"), args(estimate(f.toString())));
  }

  @Test
  void libsvmDescendingAndDuplicateIndices() throws IOException {
    Path desc = write("desc.libsvm", "# a comment line\n\n1 1:0.5 2:1\n0 2:0.25 1:2\n");
    refused(3, List.of("desc.libsvm", "line 4", "index 1 after index 2", "ascending"), args(estimate(desc.toString())));
    Path dup = write("dup.libsvm", "1 1:0.5 1:1\n");
    refused(3, List.of("dup.libsvm", "line 1", "index 1 appears twice"), args(estimate(dup.toString())));
  }

  @Test
  void libsvmIndexBeyondFeaturesNamesTheFlag() throws IOException {
    Path f = write("wide2.libsvm", "1 1:0.5 2:1.0\r\n0 1:0.25 7:2.0\r\n");
    refused(3, List.of("wide2.libsvm", "line 2", "index 7", "--features"), args(estimate(f.toString(), "--features", "3")));
  }

  @Test
  void libsvmInlineCommentIsRefused() throws IOException {
    Path f = write("inline.libsvm", "1 1:0.5 2:1.0\n0 1:0.25 # looks fine\n");
    refused(3, List.of("inline.libsvm", "line 2", "inline comment"), args(estimate(f.toString())));
  }

  @Test
  void partFolderSkipsNonDataFilesAndNamesThePartFileOfABadLine() throws IOException {
    write("parts/part-00000.libsvm", "1 1:0.5 2:1.0\n0 1:0.25 2:2.0\n");
    write("parts/part-00001.libsvm", "1 1:1.5 2:-1.0\n");
    write("parts/README.txt", "not data at all\n");
    write("parts/_SUCCESS", "");
    write("parts/.part-00000.libsvm.crc", "crc");
    ok("estimate", "--data", dir.resolve("parts").toString(), "--model", "logistic", "--out", dir.resolve("parts-out").toString());
    write("badparts/part-00000.libsvm", "1 1:0.5 2:1.0\n");
    write("badparts/part-00001.libsvm", "1 1:0.5 2:1.0\n\n1 1:x\n");
    refused(3, List.of("part-00001.libsvm", "line 3", "'x' of index 1 is not a number"),
        args(estimate(dir.resolve("badparts").toString())));
  }

  @Test
  void globsAndCommaSeparatedListsAreAccepted() throws IOException {
    Path a = write("list/a.libsvm", "1 1:0.5 2:1.0\n");
    Path b = write("list/b.libsvm", "0 1:0.25 2:2.0\n");
    Run glob = ok("estimate", "--data", dir.resolve("list").resolve("*.libsvm").toString(), "--model", "logistic",
        "--out", dir.resolve("glob-out").toString());
    Run list = ok("estimate", "--data", a + "," + b, "--model", "logistic", "--out", dir.resolve("list-out").toString());
    assertThat(glob.exitCode()).isEqualTo(list.exitCode());
    refused(3, List.of("matches no file"), args(estimate(dir.resolve("list").resolve("*.csv").toString())));
  }

  // ---- CSV ----

  @Test
  void csvExtraFieldIsRefusedNotTruncated() throws IOException {
    Path f = write("extra.csv", "x0,x1,label\n0.5,1.0,0\n-1,2,5,1\n");
    refused(3, List.of("extra.csv", "line 3", "more than the header's 3 fields"), args(estimate(f.toString())));
  }

  @Test
  void csvDuplicateHeaderIsRefused() throws IOException {
    Path f = write("duphead.csv", "x,x,label\n0.5,1.0,0\n");
    refused(3, List.of("duphead.csv", "line 1", "'x' appears twice"), args(estimate(f.toString())));
  }

  @Test
  void csvPartFilesWithColumnsInAnotherOrderAreRefused() throws IOException {
    write("csvparts/part-00000.csv", "x0,x1,label\n0.5,1.0,0\n");
    write("csvparts/part-00001.csv", "label,x0,x1\n1,0.5,1.0\n");
    refused(3, List.of("part-00001.csv", "line 1", "another order"), args(estimate(dir.resolve("csvparts").toString())));
  }

  // ---- YAML ----

  @Test
  void yamlDuplicateKeysAndAliasesAreRefused() throws IOException {
    Path good = write("g.csv", "x0,label\n0.5,0\n1.5,1\n");
    Path dupKey = write("dupkey.yaml", "model: logistic\nmodel: softmax\n");
    refused(2, List.of("dupkey.yaml", "line 2", "'model' is given twice"), "estimate", "--config", dupKey.toString(),
        "--data", good.toString());
    Path alias = write("alias.yaml", "seed: &s 3\nmodel: logistic\nsamples: *s\n");
    refused(2, List.of("alias.yaml", "line 3", "alias"), "estimate", "--config", alias.toString(), "--data", good.toString());
  }

  // ---- .npy ----

  static Path npy(String name, String dict, int valueBytes) throws IOException {
    String text = dict;
    int unpadded = 10 + text.length() + 1;
    text = text + " ".repeat((64 - unpadded % 64) % 64) + "\n";
    ByteBuffer b = ByteBuffer.allocate(10 + text.length() + valueBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) text.length())
        .put(text.getBytes(StandardCharsets.US_ASCII));
    Path p = dir.resolve(name);
    Files.write(p, b.array());
    return p;
  }

  @Test
  void npyHeadersAreValidatedBeforeAnySparkJob() throws IOException {
    Path good = write("np.csv", "x0,x1,label\n0.5,1.0,0\n-1.0,2.0,1\n");
    Path negative = npy("negative.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (-3,), }", 0);
    Path huge = npy("huge.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2000000000,), }", 32);
    Path f4 = npy("f4.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 12);
    Path fortran = npy("fortran.npy", "{'descr': '<f8', 'fortran_order': True, 'shape': (3,), }", 24);
    assertThat(Files.size(huge)).isEqualTo(160);
    int before = jobsSoFar();
    refused(3, List.of("--params", "negative.npy", "negative"), args(estimate(good.toString(), "--params", negative.toString())));
    refused(3, List.of("--params", "huge.npy", "2000000000 values", "160 bytes"), args(estimate(good.toString(), "--params", huge.toString())));
    refused(3, List.of("--params", "f4.npy", "dtype '<f4'"), args(estimate(good.toString(), "--params", f4.toString())));
    refused(3, List.of("--params", "fortran.npy", "Fortran"), args(estimate(good.toString(), "--params", fortran.toString())));
    assertThat(jobsSoFar()).as("Spark jobs run for refused --params").isEqualTo(before);
  }

  @Test
  void outIsCheckedBeforeAnySparkJob() throws IOException {
    Path good = write("o.csv", "x0,x1,label\n0.5,1.0,0\n-1.0,2.0,1\n");
    Path taken = dir.resolve("taken-out");
    Files.createDirectories(taken);
    Files.writeString(taken.resolve("keep.txt"), "precious");
    int before = jobsSoFar();
    Run run = pullback("estimate", "--data", good.toString(), "--model", "logistic", "--out", taken.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--out", taken.toString());
    assertThat(jobsSoFar()).isEqualTo(before);
    assertThat(Files.readString(taken.resolve("keep.txt"))).isEqualTo("precious");
  }

  // ---- numeric flags ----

  @Test
  void numericFlagsAreRangeChecked() throws IOException {
    Path one = write("one.csv", "x0,x1,label\n0.5,1.0,0\n");
    refused(2, List.of("--block-rows", "1000000000"), args(estimate(one.toString(), "--block-rows", "1000000000")));
    refused(2, List.of("--batch-fraction", "0.01"), "train", "--data", one.toString(), "--model", "logistic", "--optimizer", "gd",
        "--steps", "2", "--batch-fraction", "0.01");
    StringBuilder wide = new StringBuilder();
    for (int j = 0; j < 20; j++) wide.append("x").append(j).append(',');
    wide.append("label\n");
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 20; j++) wide.append((i + j) % 5 * 0.1).append(',');
      wide.append(i % 2).append('\n');
    }
    Path w = write("wide21.csv", wide.toString());
    refused(2, List.of("--rank 1000", "N = 21"), args(estimate(w.toString(), "--representation", "low-rank", "--rank", "1000")));
  }

  // ---- non-finite results ----

  @Test
  void overflowingFeaturesNeverGiveAPublishedNonFiniteMetric() throws IOException {
    Path f = write("huge.csv", "x0,label\n1e300,0.5\n2.0,1.5\n");
    refused(3, List.of("not finite", "metric entry (0, 2)", "1.00e+300", "rescale the features"), "estimate", "--data", f.toString(), "--model",
        "linear-basis", "--basis", "monomial", "--degree", "2");
    refused(3, List.of("not finite"), "spectrum", "--data", f.toString(), "--model", "linear-basis", "--basis", "monomial",
        "--degree", "2");
  }

  @Test
  void overflowingWeightsAreRefused() throws IOException {
    Path f = write("heavy.csv", "x0,label,w\n1.0,0,1e308\n2.0,1,1e308\n");
    refused(3, List.of("heavy.csv", "sum to Infinity", "--weight-col"), args(estimate(f.toString(), "--weight-col", "w")));
  }

  @Test
  void divergingTrainingWarnsOnceThenStopsOnTheFirstNonFiniteLoss() throws IOException {
    Path f = write("reg.csv", "x0,label\n0.5,1.0\n-0.5,-1.0\n0.9,2.0\n-0.2,0.1\n");
    synchronized (DIVERGENCE_WARNINGS) {
      DIVERGENCE_WARNINGS.clear();
    }
    // gd with η = 1e4 multiplies the residual by ~1e4 a step: the loss passes 10x its best at step 2,
    // then overflows to Infinity within ~40 steps (1e8 a step from ~1).
    String err = refused(3, List.of("step ", "Infinity", "--lr"), "train", "--data", f.toString(), "--model", "linear-basis",
        "--optimizer", "gd", "--lr", "1e4", "--steps", "200");
    synchronized (DIVERGENCE_WARNINGS) {
      assertThat(DIVERGENCE_WARNINGS).as("one divergence warning").hasSize(1);
      assertThat(DIVERGENCE_WARNINGS.get(0)).contains("step 2:", "10x the best loss");
    }
    assertThat(err).doesNotContain("NaN");
  }

  int jobsSoFar() {
    try {
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError(e);
    }
    return jobs.get();
  }
}
