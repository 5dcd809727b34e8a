package io.pullback.optim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pullback.PullbackException;
import io.pullback.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import io.pullback.io.Location;
import java.io.FileNotFoundException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Training checkpoints: one file {@code checkpoint.json} in a folder, written atomically
 * ({@link AtomicFiles}), never Java-serialised. The format (version 1, see docs/optimizers.md,
 * "Checkpoint format") is one line of compact JSON followed by a newline:
 * <pre>
 * {"format":"pullback-checkpoint","version":1,"sha256":"&lt;hex&gt;","payload":{
 *   "step":t,"damping":λ,"rng":{"seed":s,"counter":c},
 *   "theta":{"length":N,"float64le":"&lt;base64&gt;"},
 *   "optimizer":{"name":"adam","arrays":{"m":{"length":N,"float64le":"…"},…},
 *                "scalars":{"s":0.1,…},"counters":{"t":7}},
 *   "settings":{"data":"…","seed":"1",…}}}
 * </pre>
 * {@code settings} (optional: absent when {@link CheckpointData#settings()} is empty, as in files
 * of older builds) lists the settings that determine the trajectory, as text, in the order written.
 * Arrays are the base64 of their little-endian IEEE-754 float64 bytes (bit-exact); scalars are
 * JSON numbers written by {@link Double#toString} (which round-trips exactly) or the strings
 * {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}; map keys are sorted. {@code sha256} is
 * the hex SHA-256 of the payload's bytes exactly as they appear in the file (from after
 * {@code "payload":} to before the final {@code "}\n"}), so the check never depends on how a JSON
 * library prints numbers. The header before the payload must be exactly the canonical text shown.
 *
 * <p>Reading refuses, with {@link PullbackException#data} (exit code 3) naming the file: a
 * truncated file, a header that is not canonical (so every byte of the file is covered: header
 * bytes by the exact comparison, payload bytes by the checksum), an unknown format or version, a
 * checksum mismatch, and malformed fields.
 */
public final class Checkpoint {
  /** The file inside the checkpoint folder. */
  public static final String FILE_NAME = "checkpoint.json";
  public static final String FORMAT = "pullback-checkpoint";
  public static final int VERSION = 1;
  private static final String PAYLOAD_KEY = ",\"payload\":";
  /**
   * Reads payloads of any size: Jackson's default limit of 20,000,000 characters per string would
   * refuse θ of more than about 1.87 million parameters (base64 of 8 bytes each), such as the
   * 2.8-million-parameter MNIST autoencoder. The file is checksummed and read whole before parsing.
   */
  private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build()).build()).build();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Checkpoint() {}

  /**
   * Writes {@code data} to {@code dir/checkpoint.json} atomically (creating {@code dir}; a failed
   * first write, such as on a full disk, removes {@code dir} again).
   */
  public static void write(Path dir, CheckpointData data) {
    write(Location.local(dir), data);
  }

  /** As {@link #write(Path, CheckpointData)}, on any Hadoop file system (one atomic PUT on an object store). */
  public static void write(Location dir, CheckpointData data) {
    ObjectNode payload = NODES.objectNode();
    payload.put("step", data.step());
    putScalar(payload, "damping", data.damping());
    ObjectNode rng = payload.putObject("rng");
    rng.put("seed", data.rngSeed());
    rng.put("counter", data.rngCounter());
    payload.set("theta", encodeArray(data.theta()));
    OptimizerState s = data.optimizer();
    ObjectNode opt = payload.putObject("optimizer");
    opt.put("name", s.optimizer());
    ObjectNode arrays = opt.putObject("arrays");
    s.arrays().forEach((k, v) -> arrays.set(k, encodeArray(v)));
    ObjectNode scalars = opt.putObject("scalars");
    s.scalars().forEach((k, v) -> putScalar(scalars, k, v));
    ObjectNode counters = opt.putObject("counters");
    s.counters().forEach(counters::put);
    if (!data.settings().isEmpty()) {
      ObjectNode settings = payload.putObject("settings");
      data.settings().forEach(settings::put);
    }
    String payloadText = compact(payload);
    String text = header(sha256(payloadText.getBytes(StandardCharsets.UTF_8))) + PAYLOAD_KEY + payloadText + "}\n";
    boolean existed = dir.exists();
    try {
      AtomicFiles.writeString(dir.resolve(FILE_NAME), text);
    } catch (RuntimeException e) {
      if (!existed) dir.deleteRecursively(); // never an empty checkpoint folder (a full disk at the first checkpoint)
      throw e;
    }
  }

  /** Reads and verifies {@code dir/checkpoint.json}. */
  public static CheckpointData read(Path dir) {
    return read(Location.local(dir));
  }

  /** As {@link #read(Path)}, on any Hadoop file system. */
  public static CheckpointData read(Location dir) {
    Location file = dir.resolve(FILE_NAME);
    byte[] bytes;
    try {
      bytes = file.readBytes();
    } catch (FileNotFoundException e) {
      throw PullbackException.data("no checkpoint at " + file + " (file not found)");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
    }
    return decodePayload(file, verifiedPayload(file, bytes));
  }

  /**
   * The payload's JSON once the file's framing is checked: it ends with {@code }\n}, its header is
   * the canonical one of this format and version, and the payload's SHA-256 matches the header's.
   */
  private static JsonNode verifiedPayload(Location file, byte[] bytes) {
    // One byte per char, so that indices in text are byte offsets even in a damaged file.
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    if (!text.endsWith("}\n")) {
      throw corrupt(file, "it does not end with \"}\\n\" (truncated?)");
    }
    int at = text.indexOf(PAYLOAD_KEY);
    if (at < 0) {
      throw corrupt(file, "it has no " + PAYLOAD_KEY + " field");
    }
    String headerText = text.substring(0, at);
    String expected = checkedHeader(file, headerText);
    int from = at + PAYLOAD_KEY.length();
    int to = bytes.length - 2;
    String actual = sha256(Arrays.copyOfRange(bytes, from, to));
    if (!actual.equals(expected)) {
      throw PullbackException.data("checkpoint " + file + " is corrupt: the checksum does not match (sha256 in the file "
          + expected + ", computed " + actual + "); restore from another checkpoint");
    }
    try {
      return MAPPER.readTree(Arrays.copyOfRange(bytes, from, to));
    } catch (IOException e) {
      throw corrupt(file, "its payload is not valid JSON: " + firstLine(e.getMessage()));
    }
  }

  /** Checks the header (format, version, canonical form) and returns the SHA-256 it records. */
  private static String checkedHeader(Location file, String headerText) {
    JsonNode header;
    try {
      header = MAPPER.readTree(headerText + "}");
    } catch (IOException e) {
      throw corrupt(file, "its header is not valid JSON: " + firstLine(e.getMessage()));
    }
    if (header == null || !header.isObject()) {
      throw corrupt(file, "its header is not a JSON object");
    }
    expectFields(file, header, "", Set.of("format", "version", "sha256"));
    if (!FORMAT.equals(header.get("format").asText(null))) {
      throw corrupt(file, "field format is " + header.get("format") + ", expected \"" + FORMAT + "\"");
    }
    JsonNode version = header.get("version");
    if (!version.isIntegralNumber() || version.asLong() != VERSION) {
      throw PullbackException.data("checkpoint " + file + " has unsupported version " + version + "; this build reads"
          + " version " + VERSION + " only (if the file should be version " + VERSION + ", it is corrupt: the checksum"
          + " does not match)");
    }
    String expected = header.get("sha256").asText("");
    if (!headerText.equals(header(expected)) || !expected.matches("[0-9a-f]{64}")) {
      throw corrupt(file, "its header is not in canonical form (altered or damaged)");
    }
    return expected;
  }

  /** The checkpoint's step, θ, RNG position, damping and optimiser state from a verified payload. */
  private static CheckpointData decodePayload(Location file, JsonNode payload) {
    try {
      expectFields(file, payload, "payload.", Set.of("step", "damping", "rng", "theta", "optimizer"), Set.of("settings"));
      long step = longField(file, payload, "step");
      double damping = scalar(file, payload.get("damping"), "damping");
      JsonNode rng = payload.get("rng");
      expectFields(file, rng, "payload.rng.", Set.of("seed", "counter"));
      long seed = longField(file, rng, "seed");
      long counter = longField(file, rng, "counter");
      double[] theta = decodeArray(file, payload.get("theta"), "theta");
      return new CheckpointData(step, theta, optimizerState(file, payload.get("optimizer")), seed, counter, damping,
          settings(file, payload.get("settings")));
    } catch (IllegalArgumentException e) {
      throw corrupt(file, e.getMessage());
    }
  }

  /** {@code payload.optimizer}: its name, arrays, scalars and counters. */
  private static OptimizerState optimizerState(Location file, JsonNode opt) {
    expectFields(file, opt, "payload.optimizer.", Set.of("name", "arrays", "scalars", "counters"));
    Map<String, double[]> arrays = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = opt.get("arrays").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      arrays.put(e.getKey(), decodeArray(file, e.getValue(), "optimizer.arrays." + e.getKey()));
    }
    Map<String, Double> scalars = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = opt.get("scalars").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      scalars.put(e.getKey(), scalar(file, e.getValue(), "optimizer.scalars." + e.getKey()));
    }
    Map<String, Long> counters = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = opt.get("counters").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isIntegralNumber()) {
        throw corrupt(file, "optimizer counter " + e.getKey() + " is not an integer");
      }
      counters.put(e.getKey(), e.getValue().asLong());
    }
    return new OptimizerState(opt.get("name").asText(), arrays, scalars, counters);
  }

  /** The canonical header: everything before {@code ,"payload":}. */
  private static String header(String sha256Hex) {
    return "{\"format\":\"" + FORMAT + "\",\"version\":" + VERSION + ",\"sha256\":\"" + sha256Hex + "\"";
  }

  private static PullbackException corrupt(Location file, String why) {
    return PullbackException.data("checkpoint " + file + " is corrupt: " + why + "; the checksum does not match its"
        + " content; restore from another checkpoint");
  }

  private static void expectFields(Location file, JsonNode node, String prefix, Set<String> fields) {
    expectFields(file, node, prefix, fields, Set.of());
  }

  /** {@code node} has every field of {@code fields}, and none but those and {@code optional}. */
  private static void expectFields(Location file, JsonNode node, String prefix, Set<String> fields, Set<String> optional) {
    if (node == null || !node.isObject()) {
      throw corrupt(file, prefix + " is not an object");
    }
    for (String f : fields) {
      if (!node.has(f)) {
        throw corrupt(file, "field " + prefix + f + " is missing");
      }
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!fields.contains(f) && !optional.contains(f)) {
        throw corrupt(file, "unknown field " + prefix + f);
      }
    }
  }

  /** The recorded settings (text values, in file order); empty when the field is absent. */
  private static Map<String, String> settings(Location file, JsonNode node) {
    Map<String, String> out = new LinkedHashMap<>();
    if (node == null) return out;
    if (!node.isObject()) throw corrupt(file, "field payload.settings is not an object");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) throw corrupt(file, "setting " + e.getKey() + " is not a string");
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static long longField(Location file, JsonNode node, String name) {
    JsonNode v = node.get(name);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw corrupt(file, "field " + name + " is not an integer: " + v);
    }
    return v.asLong();
  }

  private static void putScalar(ObjectNode node, String key, double v) {
    if (Double.isFinite(v)) {
      node.put(key, v);
    } else {
      node.put(key, Double.toString(v));
    }
  }

  private static double scalar(Location file, JsonNode v, String name) {
    if (v.isNumber()) {
      return v.asDouble();
    }
    if (v.isTextual()) {
      switch (v.asText()) {
        case "NaN": return Double.NaN;
        case "Infinity": return Double.POSITIVE_INFINITY;
        case "-Infinity": return Double.NEGATIVE_INFINITY;
        default: break;
      }
    }
    throw corrupt(file, "scalar " + name + " is not a number: " + v);
  }

  private static ObjectNode encodeArray(double[] a) {
    ByteBuffer buf = ByteBuffer.allocate(8 * a.length).order(ByteOrder.LITTLE_ENDIAN);
    buf.asDoubleBuffer().put(a);
    ObjectNode node = NODES.objectNode();
    node.put("length", a.length);
    node.put("float64le", Base64.getEncoder().encodeToString(buf.array()));
    return node;
  }

  private static double[] decodeArray(Location file, JsonNode node, String name) {
    if (node == null || !node.isObject() || !node.path("length").isIntegralNumber() || !node.path("float64le").isTextual()
        || node.size() != 2) {
      throw corrupt(file, "array " + name + " must be {\"length\":n,\"float64le\":\"<base64>\"}");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(node.get("float64le").asText());
    } catch (IllegalArgumentException e) {
      throw corrupt(file, "array " + name + " is not valid base64");
    }
    long length = node.get("length").asLong();
    if (bytes.length != 8 * length) {
      throw corrupt(file, "array " + name + " has " + bytes.length + " bytes, expected 8 x " + length);
    }
    double[] a = new double[(int) length];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(a);
    return a;
  }

  private static String compact(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise checkpoint JSON", e);
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int i = s.indexOf('\n');
    return i < 0 ? s : s.substring(0, i);
  }

}
