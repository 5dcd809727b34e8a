package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/run-folders.md's shell examples, each {@code ```bash} block run as written (in order, each in
 * its own {@code bash -e}, in one empty folder with {@code bin/pullback} and {@code bin/local-cluster}
 * at hand), its output checked against the {@code ```text} block that directly follows it (lines in
 * order; {@code /home/you} is the folder; a line ending in {@code " …"} is a prefix), plus what the
 * page says of them: the extended history holds steps 1–6 once each; the refused resume leaves the
 * folder untouched; the umask's modes.
 */
class RunFoldersDocIT {
  static final Path ROOT = LaunchersIT.ROOT;
  static final Pattern FENCE = Pattern.compile("```(\\w+)\\n(.*?)```", Pattern.DOTALL);

  @TempDir
  Path dir;

  /** A shell example and the output the page shows for it (null: none shown). */
  record Example(String script, List<String> shown) {}

  static List<Example> examples() throws Exception {
    String page = Files.readString(ROOT.resolve("docs/run-folders.md"));
    List<Example> out = new ArrayList<>();
    Matcher m = FENCE.matcher(page);
    List<int[]> spans = new ArrayList<>();
    List<String[]> blocks = new ArrayList<>();
    while (m.find()) {
      spans.add(new int[] {m.start(), m.end()});
      blocks.add(new String[] {m.group(1), m.group(2)});
    }
    for (int i = 0; i < blocks.size(); i++) {
      if (!blocks.get(i)[0].equals("bash")) continue;
      List<String> shown = null;
      if (i + 1 < blocks.size() && blocks.get(i + 1)[0].equals("text") && page.substring(spans.get(i)[1], spans.get(i + 1)[0]).isBlank()) {
        shown = List.of(blocks.get(i + 1)[1].strip().split("\n"));
      }
      out.add(new Example(blocks.get(i)[1], shown));
    }
    return out;
  }

  String shell(String script) throws Exception {
    for (String tool : new String[] {"pullback", "local-cluster"}) {
      Path launcher = Files.createDirectories(dir.resolve("bin")).resolve(tool);
      Files.writeString(launcher, "#!/usr/bin/env bash\nexec bash '" + ROOT.resolve("bin/" + tool) + "' \"$@\"\n");
      assertThat(launcher.toFile().setExecutable(true)).isTrue();
    }
    ProcessBuilder pb = new ProcessBuilder("bash", "-e", "-c", script).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().remove("PULLBACK_AUTH_SECRET_FILE");
    pb.environment().remove("PULLBACK_LOCK_TIMEOUT");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("finished in time").isTrue();
    assertThat(p.exitValue()).as("%s:%n%s", script, out).isZero();
    return out;
  }

  /** Each shown line, in order, is an output line (with {@code /home/you} the folder; {@code " …"}: a prefix). */
  void assertShown(List<String> shown, String output) {
    List<String> lines = List.of(output.split("\n"));
    int at = 0;
    for (String want : shown) {
      String w = want.replace("/home/you", dir.toString());
      boolean prefix = w.endsWith(" …");
      String p = prefix ? w.substring(0, w.length() - 2) : w;
      while (at < lines.size() && !(prefix ? lines.get(at).startsWith(p) : lines.get(at).equals(p))) at++;
      assertThat(at).as("the page's line%n  %s%nin the output, in order:%n%s", want, output).isLessThan(lines.size());
      at++;
    }
  }

  @Test
  void theShellExamplesRunAsWrittenAndPrintWhatThePageShows() throws Exception {
    List<Example> examples = examples();
    assertThat(examples).as("bash blocks of docs/run-folders.md").hasSize(4);

    // 1. Train three steps, extend to six.
    shell(examples.get(0).script());
    List<String> history = Files.readAllLines(dir.resolve("runs/fit/history.jsonl"));
    List<Integer> steps = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : history) steps.add(json.readTree(line).get("step").asInt());
    assertThat(steps).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(dir.resolve("runs/fit/.pullback.lock")).doesNotExist();

    // 2. A resume with another --lr: refused, the folder untouched.
    SortedMap<String, String> before = CliHarness.snapshot(dir.resolve("runs/fit"));
    String refused = shell(examples.get(1).script());
    assertThat(examples.get(1).shown()).isNotNull();
    assertShown(examples.get(1).shown(), refused);
    assertThat(refused).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(CliHarness.snapshot(dir.resolve("runs/fit"))).isEqualTo(before);

    // 3. The secret file: accepted at mode 600, refused at 644.
    String secret = shell(examples.get(2).script());
    assertShown(examples.get(2).shown(), secret);
    assertThat(secret).doesNotContain(Files.readString(dir.resolve("pullback-secret")).strip());

    // 4. The umask.
    String modes = shell(examples.get(3).script());
    assertShown(examples.get(3).shown(), modes);
    assertThat(dir.resolve("runs/shared/metric.npy")).exists();
    assertThat(UmaskIT.wrongModes(dir.resolve("runs/shared"), 027)).as("every file 640, every folder 750").isEmpty();
  }
}
