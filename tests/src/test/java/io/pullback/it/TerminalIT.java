package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/pullback} as a user sees it, in separate processes: {@code --help}, {@code --version}
 * and {@code estimate --help} are quick and print no log lines (no WARN/INFO, no JUL records, no JDK
 * incubator warning: neither BLAS nor Spark is started); a {@code train} on a terminal (a pty from
 * {@code script}) draws one progress line, prints no INFO lines, and with {@code --verbose} prints
 * INFO lines that each start on their own line, never glued to the progress display.
 */
class TerminalIT {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  /** A log4j line of conf/log4j2.properties' pattern ({@code 00:16:24 INFO Blas: …}). */
  static final Pattern LOG4J = Pattern.compile("\\d\\d:\\d\\d:\\d\\d (TRACE|DEBUG|INFO|WARN|ERROR) ");
  /** java.util.logging's two-line records ({@code Dec 02, 2026 12:11:33 AM dev.ludovic…} / {@code INFO: Using …}). */
  static final Pattern JUL = Pattern.compile("(?m)^(SEVERE|WARNING|INFO|CONFIG|FINE): |^[A-Z][a-z]{2} \\d\\d, \\d{4} \\d{1,2}:\\d\\d:\\d\\d [AP]M ");
  static final String TRAIN = "train --data 'synthetic:uniform?rows=600&features=2&seed=1&noise=0.05' --model mlp --hidden 4"
      + " --optimizer ngd --damping 1e-3 --steps 4 --partitions 2 --out ";

  @TempDir
  Path dir;

  record Result(int exitCode, String output, double seconds) {}

  static Result run(List<String> command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().remove("PULLBACK_BLAS");
    // No JAVA_OPTS of the caller; only the tests' options for short-lived JVMs (root pom: C1, serial GC).
    pb.environment().put("JAVA_OPTS", LaunchersIT.childJvmFlags());
    long t0 = System.nanoTime();
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("finished in time").isTrue();
    return new Result(p.exitValue(), out, (System.nanoTime() - t0) / 1e9);
  }

  static void assertNoStartupNoise(String what, String output) {
    assertThat(LOG4J.matcher(output).find()).as("%s prints no log4j lines:%n%s", what, output).isFalse();
    assertThat(JUL.matcher(output).find()).as("%s prints no java.util.logging lines:%n%s", what, output).isFalse();
    assertThat(output).as(what).doesNotContain("incubator").doesNotContain("NativeCodeLoader").doesNotContain("WARN");
  }

  @Test
  void helpAndVersionAreQuickAndQuiet() throws Exception {
    run(List.of("bash", "bin/pullback", "--version")); // a first call may build; the timed ones below may not
    for (List<String> args : List.of(List.of("--help"), List.of("--version"), List.of("estimate", "--help"))) {
      List<String> cmd = new ArrayList<>(List.of("bash", "bin/pullback"));
      cmd.addAll(args);
      String what = "bin/pullback " + String.join(" ", args);
      // The best of three: the machine is shared (other builds' load is not this command's time).
      double best = Double.POSITIVE_INFINITY;
      for (int attempt = 0; attempt < 3 && best >= 3.0; attempt++) {
        Result r = run(cmd);
        System.out.printf("TerminalIT: %s took %.2f s%n", what, r.seconds());
        assertThat(r.exitCode()).as(what + "\n" + r.output()).isZero();
        assertNoStartupNoise(what, r.output());
        best = Math.min(best, r.seconds());
      }
      assertThat(best).as("%s wall time", what).isLessThan(3.0);
    }
    String version = run(List.of("bash", "bin/pullback", "--version")).output().trim();
    String head = new String(new ProcessBuilder("git", "rev-parse", "HEAD").directory(ROOT.toFile()).start().getInputStream().readAllBytes(),
        StandardCharsets.UTF_8).trim();
    assertThat(version).as("project version and the build's commit").matches("pullback \\d+\\.\\d+\\.\\d+\\S* \\(commit [0-9a-f]{12}\\)");
    // The build that ran is the one of this checkout's HEAD (Maven recorded it when it built the jars).
    if (head.length() == 40) assertThat(version).contains(head.substring(0, 12));
    String help = run(List.of("bash", "bin/pullback", "--help")).output();
    for (String line : help.split("\n")) assertThat(line.length()).as("help line fits 80 columns: %s", line).isLessThanOrEqualTo(80);
    for (String command : List.of("estimate", "train", "export", "spectrum", "run")) {
      // Each command's summary is one complete sentence on its own line of the command list.
      assertThat(help).containsPattern("(?m)^  " + command + " +[A-Z][^\\n]*\\.$");
    }
  }

  /** A command line under {@code script}, so that stdin, stdout and stderr are a terminal. */
  Result onTerminal(String args) throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script is not installed");
    return run(List.of("script", "-qec", "bash bin/pullback " + args, "/dev/null"));
  }

  @Test
  void trainOnATerminalShowsOneProgressLineAndNoGluedLogLines() throws Exception {
    Result quiet = onTerminal(TRAIN + dir.resolve("quiet"));
    String out = quiet.output();
    assertThat(quiet.exitCode()).as(out).isZero();
    assertNoStartupNoise("train on a terminal", out);
    // One display: every status the run drew is on one physical line, rewritten in place with \r.
    List<String> withStatus = Arrays.stream(out.split("\n")).filter(l -> l.contains("train: ")).toList();
    assertThat(withStatus).as("lines holding the progress display:%n%s", out).hasSize(1);
    String display = withStatus.get(0);
    assertThat(display).contains("train: step 1/4").contains("train: step 4/4").contains("tasks");
    String last = display.substring(display.lastIndexOf("\r", display.length() - 2) + 1);
    assertThat(last).as("the last status stays: the final loss and which loss it is").contains("final loss").contains("after the last update");
    assertThat(out).as("Spark's console progress bar is off").doesNotContain("[Stage");

    Result verbose = onTerminal("--verbose " + TRAIN + dir.resolve("verbose"));
    assertThat(verbose.exitCode()).as(verbose.output()).isZero();
    Matcher m = LOG4J.matcher(verbose.output());
    int logLines = 0;
    while (m.find()) {
      logLines++;
      String before = verbose.output().substring(Math.max(0, m.start() - 3), m.start());
      assertThat(m.start() == 0 || before.endsWith("\n") || before.endsWith("\033[K"))
          .as("log line at %d starts its own line (after a newline or the display's erase), not glued: ...%s", m.start(),
              verbose.output().substring(Math.max(0, m.start() - 80), Math.min(verbose.output().length(), m.end() + 40)))
          .isTrue();
      int eol = verbose.output().indexOf('\n', m.start());
      String line = verbose.output().substring(m.start(), eol < 0 ? verbose.output().length() : eol);
      assertThat(line).as("a log line carries no progress text").doesNotContain("train: step").doesNotContain(" tasks\033");
    }
    assertThat(logLines).as("--verbose shows INFO lines on a terminal:%n%s", verbose.output()).isGreaterThanOrEqualTo(4);
    assertThat(verbose.output()).contains("INFO TrainingLoop: step 4/4").doesNotContain("λ NaN")
        .containsPattern("Done: final loss \\S+ \\(at the parameters after step 4, on all 600 examples");
  }
}
