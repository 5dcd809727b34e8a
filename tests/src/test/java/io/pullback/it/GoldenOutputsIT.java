package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The golden check of {@code tests/golden/} (see its README): runs every line of
 * {@code commands.txt} in-process on this class's {@code local[2]} session and compares every number
 * it writes (the {@code .npy} arrays, {@code history.jsonl} columns and the numeric fields of
 * {@code summary.json}, {@code spectrum.json} and {@code results.json}, timings, sizes in bytes, dates
 * and paths left out) with the reference committed in {@code expected/NN.json}, made by
 * {@code scripts/golden.sh} through {@code bin/pullback} at commit 8c9ae46. Lines marked {@code # l2}
 * change by design (issue 13) and are not compared.
 *
 * <p>Tolerance: {@code |actual − expected| ≤ 1e-9 · max(|expected|, scale)}, with {@code scale} the
 * largest magnitude in the same array (one {@code .npy} file, one JSON array, one history column; a
 * lone JSON number is its own scale), so entries that are zero up to rounding (null-space
 * eigenvalues, cancelled off-diagonal terms) are judged against the size of their array. Why not
 * bit equality: the reference was made on another machine, whose BLAS kernels (OpenBLAS picks its
 * dgemm/dsyrk kernels per CPU, and the Java fallback differs again) and JIT intrinsics for
 * {@code Math.exp/tanh/sin} may round differently, and those last-bit differences grow through the
 * Cholesky solves, Lanczos and a few optimiser steps; 1e-9 is far above that and far below any real
 * change of the maths. On one machine the outputs are bit-identical: {@code scripts/golden.sh} gives
 * the same {@code digest.txt} run after run, and {@code scripts/golden-compare.sh} is the bit-for-bit
 * check of a refactor.
 *
 * <p>The token {@code OUT} is a fresh folder per line, {@code PREV} the previous line's result folder
 * and {@code GOLDEN} the {@code tests/golden} folder, exactly as {@code scripts/golden.py} reads them.
 */
class GoldenOutputsIT extends CliHarness {
  static final double RTOL = 1e-9;
  /** Fields left out of the comparison (as {@code EXCLUDED} in scripts/golden.py). */
  static final Pattern EXCLUDED = Pattern.compile("seconds|time|bytes|heap|date|updated|elapsed|millis|nanos|path|dir", Pattern.CASE_INSENSITIVE);
  static final Pattern L2_MARK = Pattern.compile("(^|\\s)#.*\\bl2\\b");
  static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
  static final Path GOLDEN = Path.of("golden").toAbsolutePath();

  @TempDir
  Path dir;

  /** One line of commands.txt. */
  record Line(String nn, String raw, List<String> tokens, boolean l2) {}

  final List<String> mismatches = new ArrayList<>();
  long compared;
  double worst;
  String worstAt = "-";

  @Test
  void everyNumberMatchesTheCommittedReference() throws Exception {
    List<Line> lines = readCommands(GOLDEN.resolve("commands.txt"));
    assertThat(lines).as("commands.txt").isNotEmpty();
    long start = System.nanoTime();
    String prev = null;
    List<String> skipped = new ArrayList<>();
    int outputs = 0;
    for (int i = 0; i < lines.size(); i++) {
      Line line = lines.get(i);
      String out = dir.resolve(line.nn()).toString();
      String folder = resultFolder(line.tokens(), out, prev);
      boolean nextUsesPrev = i + 1 < lines.size() && lines.get(i + 1).tokens().stream().anyMatch(t -> t.equals("PREV") || t.startsWith("PREV/"));
      if (line.l2() && !nextUsesPrev) {
        skipped.add(line.nn());
        prev = folder;
        continue;
      }
      long t0 = System.nanoTime();
      String[] args = substitute(line.tokens(), out, prev).toArray(String[]::new);
      Run run = pullback(args);
      assertThat(run.exitCode()).as("line %s: %s%n%s", line.nn(), line.raw(), run.err()).isZero();
      prev = folder;
      if (line.l2()) {
        skipped.add(line.nn());
        continue;
      }
      JsonNode expected = JSON.readTree(GOLDEN.resolve("expected").resolve(line.nn() + ".json").toFile());
      assertThat(expected.get("command").asText()).as("expected/%s.json is stale: regenerate it (tests/golden/README.md)", line.nn()).isEqualTo(line.raw());
      long before = compared;
      for (Iterator<Map.Entry<String, JsonNode>> it = expected.get("outputs").properties().iterator(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> o = it.next();
        compareOutput(line.nn() + " " + o.getKey(), Path.of(folder).resolve(o.getKey()), o.getValue());
        outputs++;
      }
      System.out.printf(Locale.ROOT, "GoldenOutputsIT: line %s: %d numbers, %.1f s%n", line.nn(), compared - before, (System.nanoTime() - t0) / 1e9);
    }
    System.out.printf(Locale.ROOT, "GoldenOutputsIT: compared %d numbers in %d outputs of %d lines (l2 lines not compared: %s) in %.1f s; "
        + "largest relative deviation %.3g (%s); %d mismatches%n",
        compared, outputs, lines.size() - skipped.size(), skipped, (System.nanoTime() - start) / 1e9, worst, worstAt, mismatches.size());
    assertThat(compared).as("numbers compared").isPositive();
    assertThat(mismatches).as("numbers differing from tests/golden/expected by more than %s (relative)", RTOL).isEmpty();
  }

  // ------------------------------------------------------------------------------------ compare

  void compareOutput(String where, Path file, JsonNode expected) throws IOException {
    if (!Files.isRegularFile(file)) {
      mismatches.add(where + ": missing");
      return;
    }
    switch (expected.get("kind").asText()) {
      case "npy" -> {
        Npy actual = readNpy(file);
        List<Integer> shape = new ArrayList<>();
        expected.get("shape").forEach(s -> shape.add(s.asInt()));
        if (!actual.shape().equals(shape) || !actual.descr().equals(expected.get("descr").asText())) {
          mismatches.add(where + ": " + actual.descr() + " " + actual.shape() + ", expected " + expected.get("descr").asText() + " " + shape);
          return;
        }
        compareArray(where, numbers(expected.get("values")), actual.values());
      }
      case "json" -> {
        Map<String, Object> actual = new LinkedHashMap<>();
        flatten(JSON.readTree(file.toFile()), "", actual);
        compareFields(where, expected.get("fields"), actual);
      }
      case "jsonl" -> compareFields(where, expected.get("fields"), historyColumns(file));
      default -> mismatches.add(where + ": unknown kind " + expected.get("kind"));
    }
  }

  void compareFields(String where, JsonNode expected, Map<String, Object> actual) {
    for (Iterator<Map.Entry<String, JsonNode>> it = expected.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      String at = where + " " + f.getKey();
      Object a = actual.get(f.getKey());
      if (a == null) {
        mismatches.add(at + ": missing");
      } else if (f.getValue().isArray()) {
        if (a instanceof Double[] column) {
          compareColumn(at, f.getValue(), column);
        } else if (a instanceof double[] array) {
          compareArray(at, numbers(f.getValue()), array);
        } else {
          mismatches.add(at + ": " + a + ", expected an array");
        }
      } else if (a instanceof Double d) {
        double e = number(f.getValue());
        check(at, e, d, Math.abs(e));
      } else {
        mismatches.add(at + ": an array, expected " + f.getValue());
      }
    }
  }

  void compareArray(String where, double[] expected, double[] actual) {
    if (expected.length != actual.length) {
      mismatches.add(where + ": " + actual.length + " values, expected " + expected.length);
      return;
    }
    double scale = 0;
    for (double e : expected) if (Double.isFinite(e)) scale = Math.max(scale, Math.abs(e));
    for (int i = 0; i < expected.length; i++) check(where + "[" + i + "]", expected[i], actual[i], scale);
  }

  /** A history column: null where a step has no such field (in both). */
  void compareColumn(String where, JsonNode expected, Double[] actual) {
    if (expected.size() != actual.length) {
      mismatches.add(where + ": " + actual.length + " steps, expected " + expected.size());
      return;
    }
    double scale = 0;
    for (JsonNode e : expected) if (!e.isNull() && Double.isFinite(number(e))) scale = Math.max(scale, Math.abs(number(e)));
    for (int i = 0; i < actual.length; i++) {
      JsonNode e = expected.get(i);
      if (e.isNull() || actual[i] == null) {
        if (e.isNull() != (actual[i] == null)) mismatches.add(where + "[" + i + "]: " + actual[i] + ", expected " + e);
        continue;
      }
      check(where + "[" + i + "]", number(e), actual[i], scale);
    }
  }

  void check(String where, double expected, double actual, double scale) {
    compared++;
    if (Double.isNaN(expected) || Double.isInfinite(expected)) {
      if (Double.compare(expected, actual) != 0) mismatches.add(where + ": " + actual + ", expected " + expected);
      return;
    }
    double bound = Math.max(Math.abs(expected), scale);
    double deviation = Math.abs(actual - expected);
    double relative = bound == 0 ? (deviation == 0 ? 0 : Double.POSITIVE_INFINITY) : deviation / bound;
    if (!(relative <= RTOL)) {
      mismatches.add(String.format(Locale.ROOT, "%s: %s, expected %s (relative %.3g)", where, actual, expected, relative));
    }
    if (relative > worst) {
      worst = relative;
      worstAt = where;
    }
  }

  // ------------------------------------------------------------------------------------ reading

  /** Numeric leaves as scripts/golden.py flattens them: path → Double, or path → double[] for numeric arrays. */
  static void flatten(JsonNode node, String prefix, Map<String, Object> out) {
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        if (EXCLUDED.matcher(f.getKey()).find()) continue;
        flatten(f.getValue(), prefix.isEmpty() ? f.getKey() : prefix + "/" + f.getKey(), out);
      }
    } else if (node.isArray()) {
      boolean numeric = node.size() > 0;
      for (JsonNode v : node) numeric &= v.isNumber();
      if (numeric) {
        double[] values = new double[node.size()];
        for (int i = 0; i < values.length; i++) values[i] = node.get(i).asDouble();
        out.put(prefix, values);
      } else {
        for (int i = 0; i < node.size(); i++) flatten(node.get(i), prefix.isEmpty() ? String.valueOf(i) : prefix + "/" + i, out);
      }
    } else if (node.isNumber()) {
      out.put(prefix, node.asDouble());
    }
  }

  /** history.jsonl as columns of its scalar numeric fields (null where a line lacks one). */
  static Map<String, Object> historyColumns(Path file) throws IOException {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      Map<String, Object> flat = new LinkedHashMap<>();
      flatten(JSON.readTree(line), "", flat);
      rows.add(flat);
    }
    Map<String, Object> columns = new LinkedHashMap<>();
    for (Map<String, Object> r : rows) {
      for (Map.Entry<String, Object> e : r.entrySet()) {
        if (e.getValue() instanceof Double && !columns.containsKey(e.getKey())) {
          Double[] column = new Double[rows.size()];
          for (int i = 0; i < rows.size(); i++) column[i] = rows.get(i).get(e.getKey()) instanceof Double d ? d : null;
          columns.put(e.getKey(), column);
        }
      }
    }
    return columns;
  }

  static double number(JsonNode n) {
    return n.isTextual() ? Double.parseDouble(n.asText()) : n.asDouble(); // "NaN", "Infinity", "-Infinity"
  }

  static double[] numbers(JsonNode array) {
    double[] out = new double[array.size()];
    for (int i = 0; i < out.length; i++) out[i] = number(array.get(i));
    return out;
  }

  /** A .npy file: dtype, shape and values in C order (any numeric dtype, as doubles). */
  record Npy(String descr, List<Integer> shape, double[] values) {}

  static Npy readNpy(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[6];
    b.get(magic);
    if (magic[0] != (byte) 0x93 || !new String(magic, 1, 5, StandardCharsets.ISO_8859_1).equals("NUMPY")) throw new IOException(file + " is not a .npy file");
    int major = b.get() & 0xff;
    b.get();
    int headerLength = major == 1 ? (b.getShort() & 0xffff) : b.getInt();
    byte[] h = new byte[headerLength];
    b.get(h);
    String header = new String(h, StandardCharsets.ISO_8859_1);
    String descr = group(header, "'descr':\\s*'([^']+)'", file);
    boolean fortran = group(header, "'fortran_order':\\s*(True|False)", file).equals("True");
    List<Integer> shape = new ArrayList<>();
    for (String s : group(header, "'shape':\\s*\\(([^)]*)\\)", file).split(",")) if (!s.isBlank()) shape.add(Integer.parseInt(s.trim()));
    int count = shape.stream().reduce(1, (x, y) -> x * y);
    ByteBuffer data = b.slice().order(descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    double[] values = new double[count];
    for (int i = 0; i < count; i++) {
      values[i] = switch (descr.substring(1)) {
        case "f8" -> data.getDouble();
        case "f4" -> data.getFloat();
        case "i8" -> data.getLong();
        case "i4" -> data.getInt();
        case "i2" -> data.getShort();
        case "i1", "b1" -> data.get();
        default -> throw new IOException(file + ": dtype " + descr + " not supported");
      };
    }
    if (fortran && shape.size() == 2) {
      int r = shape.get(0), c = shape.get(1);
      double[] rowMajor = new double[count];
      for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) rowMajor[i * c + j] = values[j * r + i];
      values = rowMajor;
    }
    return new Npy(descr, shape, values);
  }

  static String group(String text, String regex, Path file) throws IOException {
    Matcher m = Pattern.compile(regex).matcher(text);
    if (!m.find()) throw new IOException(file + ": no " + regex + " in the .npy header " + text);
    return m.group(1);
  }

  // ------------------------------------------------------------------------------- command file

  /** The command lines, split as scripts/golden.py splits them (shlex: quotes, backslash, # comments). */
  static List<Line> readCommands(Path file) throws IOException {
    List<Line> out = new ArrayList<>();
    for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      List<String> tokens = split(raw);
      if (tokens.isEmpty()) continue;
      out.add(new Line(String.format(Locale.ROOT, "%02d", out.size() + 1), raw.strip(), tokens, L2_MARK.matcher(raw).find()));
    }
    return out;
  }

  static List<String> split(String line) {
    List<String> tokens = new ArrayList<>();
    StringBuilder t = null;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote == '\'') {
        if (c == '\'') quote = 0; else t.append(c);
      } else if (quote == '"') {
        if (c == '"') quote = 0;
        else if (c == '\\' && i + 1 < line.length() && (line.charAt(i + 1) == '"' || line.charAt(i + 1) == '\\')) t.append(line.charAt(++i));
        else t.append(c);
      } else if (c == '#') {
        break;
      } else if (Character.isWhitespace(c)) {
        if (t != null) tokens.add(t.toString());
        t = null;
      } else {
        if (t == null) t = new StringBuilder();
        if (c == '\'' || c == '"') quote = c;
        else if (c == '\\' && i + 1 < line.length()) t.append(line.charAt(++i));
        else t.append(c);
      }
    }
    if (quote != 0) throw new IllegalArgumentException("unclosed quote in: " + line);
    if (t != null) tokens.add(t.toString());
    return tokens;
  }

  List<String> substitute(List<String> tokens, String out, String prev) {
    List<String> result = new ArrayList<>();
    for (String t : tokens) {
      int slash = t.indexOf('/');
      String head = slash < 0 ? t : t.substring(0, slash);
      String tail = slash < 0 ? "" : t.substring(slash);
      String value = switch (head) {
        case "OUT" -> out;
        case "PREV" -> prev;
        case "GOLDEN" -> GOLDEN.toString();
        default -> null;
      };
      if (value == null && head.equals("PREV")) throw new IllegalStateException("PREV on the first line");
      result.add(value == null ? t : value + tail);
    }
    return result;
  }

  /** OUT if the line names it, else its first folder argument (export DIR), as in scripts/golden.py. */
  String resultFolder(List<String> tokens, String out, String prev) {
    if (tokens.contains("OUT")) return out;
    for (String t : tokens.subList(1, tokens.size())) if (!t.startsWith("-")) return substitute(List.of(t), out, prev).get(0);
    return null;
  }
}
