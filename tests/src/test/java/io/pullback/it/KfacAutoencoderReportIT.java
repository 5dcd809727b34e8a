package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, item 4: {@code bench/kfac-autoencoder.sh}, the script that produces the committed
 * full-size report {@code bench/kfac-autoencoder.md}, run end to end at a tiny size (the 784-16-4-16-784
 * autoencoder on 240 of 300 synthetic 28 × 28 IDX images, 12 steps per arm) as a real child process.
 * Every figure of its report is recomputed here from the arms' {@code history.jsonl}: the trailing
 * 10-step mean of the squared error, the best SGD arm's target, the step at which each arm reaches
 * it, the error at equal steps and the median seconds per step. The {@code --rows} cut is checked
 * byte for byte, and bad arguments and images files are refused with exit 2 or 3 and one line
 * naming the flag or file, before anything is written.
 */
class KfacAutoencoderReportIT {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final ObjectMapper JSON = new ObjectMapper();
  static final int SMOOTH = 10;
  static final int STEPS = 12;
  static final String[] SGD = {"sgd-momentum-1e-3", "sgd-momentum-3e-3", "sgd-momentum-1e-2"};

  @TempDir
  Path dir;

  record Result(int exitCode, String output) {}

  static Result script(Path cwd, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", ROOT.resolve("bench/kfac-autoencoder.sh").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("PULLBACK_DRIVER_MEMORY", "2g");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(600, TimeUnit.SECONDS)).as("finished in time").isTrue();
    return new Result(p.exitValue(), out);
  }

  /** An IDX images file: {@code count} 28 × 28 images, each one of 5 seeded blob prototypes with 3 % of its pixels flipped. */
  static Path writeImages(Path file, int count, int magic, int rowsOfPixels) throws IOException {
    SplittableRandom rng = new SplittableRandom(19);
    byte[][] proto = new byte[5][784];
    for (byte[] p : proto) {
      int r0 = rng.nextInt(20);
      int c0 = rng.nextInt(20);
      for (int r = r0; r < r0 + 8; r++) for (int c = c0; c < c0 + 8; c++) p[r * 28 + c] = (byte) 255;
    }
    ByteBuffer b = ByteBuffer.allocate(16 + count * 784);
    b.putInt(magic).putInt(count).putInt(rowsOfPixels).putInt(28);
    for (int e = 0; e < count; e++) {
      byte[] img = proto[rng.nextInt(5)].clone();
      for (int j = 0; j < 784; j++) if (rng.nextDouble() < 0.03) img[j] = (byte) (img[j] == 0 ? 255 : 0);
      b.put(img);
    }
    Files.write(file, b.array());
    return file;
  }

  static double[] trailingMean(double[] xs) {
    double[] out = new double[xs.length];
    for (int t = 0; t < xs.length; t++) {
      double s = 0;
      int from = Math.max(0, t - SMOOTH + 1);
      for (int i = from; i <= t; i++) s += xs[i];
      out[t] = s / (t - from + 1);
    }
    return out;
  }

  static List<JsonNode> history(Path arm) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(arm.resolve("history.jsonl"))) if (!line.isBlank()) lines.add(JSON.readTree(line));
    return lines;
  }

  /** The rows of the markdown table under {@code heading}, each as its cells (arm name first). */
  static Map<String, String[]> table(String report, String heading) {
    int at = report.indexOf(heading);
    assertThat(at).as("section %s", heading).isNotNegative();
    Map<String, String[]> rows = new LinkedHashMap<>();
    boolean header = true;
    for (String line : report.substring(at).split("\n")) {
      if (!line.startsWith("|")) {
        if (!rows.isEmpty() || !header) break;
        continue;
      }
      String[] cells = Arrays.stream(line.split("\\|")).map(String::trim).skip(1).toArray(String[]::new);
      if (header || cells[0].startsWith("---")) {
        header = false;
        continue;
      }
      rows.put(cells[0], cells);
    }
    return rows;
  }

  @Test
  void theScriptsReportAgreesWithTheArmsHistories() throws Exception {
    Path images = writeImages(dir.resolve("images-idx3-ubyte"), 300, 0x803, 28);
    Path out = dir.resolve("out");
    Path report = dir.resolve("report/kfac-autoencoder.md");
    String[] sets = {"--set", "hidden=[16,4,16]", "--set", "activations=[sigmoid,linear,sigmoid]", "--set", "block-rows=120",
        "--set", "batch-fraction=0.25"};
    List<String> args = new ArrayList<>(List.of("--images", images.toString(), "--rows", "240", "--steps", String.valueOf(STEPS),
        "--out", out.toString(), "--report", report.toString()));
    args.addAll(List.of(sets));
    Result r = script(dir, args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.output()).isZero();

    // The --rows cut: the header's count is 240, the pixels are the file's first 240 images.
    byte[] whole = Files.readAllBytes(images);
    byte[] cut = Files.readAllBytes(out.resolve("train-images-first-240-idx3-ubyte"));
    assertThat(cut).hasSize(16 + 240 * 784);
    assertThat(ByteBuffer.wrap(cut).getInt(4)).isEqualTo(240);
    assertThat(Arrays.copyOfRange(cut, 16, cut.length)).isEqualTo(Arrays.copyOfRange(whole, 16, 16 + 240 * 784));

    String md = Files.readString(report);
    assertThat(md).contains("Produced by `bench/kfac-autoencoder.sh --images " + images + " --rows 240 --steps 12 "
        + String.join(" ", sets) + "`");
    assertThat(md).contains("Data: the first 240 of 300 training images").contains("Every arm ran 12 steps.");
    for (String png : new String[] {"squared_error_vs_step.png", "squared_error_vs_time.png", "loss_vs_step.png", "loss_vs_time.png"}) {
      Path copy = report.resolveSibling("results/kfac-autoencoder/" + png);
      RunExperimentIT.assertPng(copy);
      assertThat(md).contains("](results/kfac-autoencoder/" + png + ")");
    }

    // Independent figures from the histories.
    Path run = out.resolve("run");
    Map<String, double[]> errors = new LinkedHashMap<>();
    Map<String, double[]> seconds = new LinkedHashMap<>();
    for (String arm : new String[] {"kfac", SGD[0], SGD[1], SGD[2], "adam-1e-3", "adam-3e-3"}) {
      List<JsonNode> h = history(run.resolve("arms").resolve(arm));
      assertThat(h).as(arm).hasSize(STEPS);
      errors.put(arm, h.stream().mapToDouble(x -> x.get("squared_error").asDouble()).toArray());
      seconds.put(arm, h.stream().mapToDouble(x -> x.get("seconds").asDouble()).toArray());
    }
    String bestSgd = Arrays.stream(SGD).min((a, b) -> Double.compare(errors.get(a)[STEPS - 1], errors.get(b)[STEPS - 1])).orElseThrow();
    JsonNode results = JSON.readTree(run.resolve("results.json").toFile());
    assertThat(results.get("time_to_target").get("target_arm").asText()).isEqualTo(bestSgd);
    double goal = trailingMean(errors.get(bestSgd))[STEPS - 1];
    assertThat(md).contains(String.format("`%s`'s mean over its last %d steps, ", bestSgd, SMOOTH));

    Map<String, String[]> smoothed = table(md, "## The same on the mean of the last 10 steps");
    Map<String, String[]> equal = table(md, "## Error at equal steps");
    assertThat(smoothed.keySet()).containsExactlyElementsOf(errors.keySet());
    assertThat(equal.keySet()).containsExactlyElementsOf(errors.keySet());
    double sgdMedian = median(seconds.get(bestSgd));
    for (String arm : errors.keySet()) {
      double[] mean = trailingMean(errors.get(arm));
      String[] row = smoothed.get(arm);
      assertThat(Double.parseDouble(row[1])).as("%s mean of the last 10", arm).isCloseTo(mean[STEPS - 1], offset(1e-5 * mean[STEPS - 1]));
      int reached = -1;
      for (int t = 0; t < STEPS && reached < 0; t++) if (mean[t] <= goal) reached = t + 1;
      assertThat(row[3]).as("%s reached at step", arm).isEqualTo(reached < 0 ? "never" : String.valueOf(reached));
      String[] eq = equal.get(arm);
      assertThat(Double.parseDouble(eq[1])).as("%s at step 10", arm).isCloseTo(mean[9], within(0.006));
      assertThat(Double.parseDouble(eq[2])).as("%s at step 12", arm).isCloseTo(mean[11], within(0.006));
      double median = median(seconds.get(arm));
      assertThat(Double.parseDouble(eq[3])).as("%s median s/step", arm).isCloseTo(median, within(0.0006));
      assertThat(Double.parseDouble(eq[4])).as("%s over SGD's", arm).isCloseTo(median / sgdMedian, within(0.006));
    }
    assertThat(smoothed.get(bestSgd)[3]).as("the target arm reaches its own target").isNotEqualTo("never");
    List<JsonNode> kfac = history(run.resolve("arms/kfac"));
    for (int m : new int[] {10, 12}) {
      java.util.regex.Matcher lambda = java.util.regex.Pattern.compile("after those steps: .*?step " + m + ": ([0-9.e+-]+)").matcher(md);
      assertThat(lambda.find()).as("K-FAC's damping after step %d in %s", m, md).isTrue();
      double expected = kfac.get(m - 1).get("damping").asDouble();
      assertThat(Double.parseDouble(lambda.group(1).replaceAll("[.,]$", ""))).as("λ after step %d", m)
          .isCloseTo(expected, offset(5e-3 * expected));
    }
    assertThat(md).contains("## Verdict");

    // A supplementary run (here the kfac arm's own folder and a command file) gets its row: the first step from
    // which its mean stays at or below the target to the end.
    Path extra = Files.createDirectories(dir.resolve("extra"));
    Files.copy(run.resolve("arms/kfac/history.jsonl"), extra.resolve("history.jsonl"));
    Files.writeString(extra.resolve("command.sh"), "bin/pullback train --the-command-that-ran\n");
    Path again = dir.resolve("again.md");
    Process p = new ProcessBuilder("python3", ROOT.resolve("bench/kfac-autoencoder-report.py").toString(), run.toString(), again.toString(),
        "shown", "command", "start", "1", "0 0 0", "0 0 0", "abc", "240", "300", "the same K-FAC=" + extra)
        .redirectErrorStream(true).start();
    String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(printed).isZero();
    String md2 = Files.readString(again);
    assertThat(md2).contains("**the same K-FAC**:\n\n```\nbin/pullback train --the-command-that-ran\n```");
    double[] mean = trailingMean(errors.get("kfac"));
    int from = -1;
    for (int t = STEPS - 1; t >= 0 && mean[t] <= goal; t--) from = t + 1;
    String[] row = table(md2, "## Supplementary K-FAC runs").get("the same K-FAC");
    assertThat(row).as("the supplementary row").isNotNull();
    double wall = 0;
    for (int t = 0; t < from - 1; t++) wall += seconds.get("kfac")[t];
    assertThat(row[1]).isEqualTo(from < 0 ? "never" : from + " (" + Math.round(wall) + " s)");
  }

  /** The median of the step times without step 1 (the first tasks' start-up), as the report takes it. */
  static double median(double[] s) {
    double[] x = Arrays.copyOfRange(s, 1, s.length);
    Arrays.sort(x);
    return x.length % 2 == 1 ? x[x.length / 2] : (x[x.length / 2 - 1] + x[x.length / 2]) / 2;
  }

  @Test
  void badArgumentsAndImagesFilesAreRefusedBeforeAnythingIsWritten() throws Exception {
    Path good = writeImages(dir.resolve("good"), 300, 0x803, 28);
    Path labels = writeImages(dir.resolve("labels"), 300, 0x801, 28);
    Path small = writeImages(dir.resolve("small"), 300, 0x803, 27);
    Path truncated = dir.resolve("truncated");
    Files.write(truncated, Arrays.copyOf(Files.readAllBytes(good), 16 + 100 * 784));
    Path out = dir.resolve("never");
    String[][] cases = {
        {"3", "kfac-autoencoder.sh: " + dir.resolve("missing") + " is missing or empty", "--images", dir.resolve("missing").toString()},
        {"3", "kfac-autoencoder.sh: " + labels + ": not an IDX images file (magic 0x801 at offset 0, expected 0x803)", "--images", labels.toString()},
        {"3", "kfac-autoencoder.sh: " + small + ": images of 27 x 28 pixels", "--images", small.toString()},
        {"3", "kfac-autoencoder.sh: " + truncated + ": truncated at offset " + (16 + 100 * 784) + ": 200 images need " + (16 + 200 * 784)
            + " bytes", "--images", truncated.toString(), "--rows", "200"},
        {"2", "kfac-autoencoder.sh: --rows 500: " + good + " has only 300 images", "--images", good.toString(), "--rows", "500"},
        {"2", "kfac-autoencoder.sh: --rows and --steps take a positive integer, got '0'", "--images", good.toString(), "--rows", "0"},
        {"2", "kfac-autoencoder.sh: unknown argument '--row'", "--images", good.toString(), "--row", "5"},
    };
    for (String[] c : cases) {
      List<String> args = new ArrayList<>(List.of(c).subList(2, c.length));
      args.addAll(List.of("--out", out.toString(), "--report", dir.resolve("never.md").toString()));
      Result r = script(dir, args.toArray(String[]::new));
      assertThat(r.exitCode()).as("%s: %s", args, r.output()).isEqualTo(Integer.parseInt(c[0]));
      assertThat(r.output()).as("%s", args).contains(c[1]).doesNotContain("Traceback").doesNotContain("Exception");
      assertThat(out).as("%s wrote nothing", args).doesNotExist();
      assertThat(dir.resolve("never.md")).doesNotExist();
    }
  }
}
