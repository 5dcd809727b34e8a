package io.pullback.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** JSON output: pretty {@code .json} files written atomically, compact {@code .jsonl} lines appended. */
public final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
  private static final ObjectMapper COMPACT = new ObjectMapper();

  private Json() {}

  /** The shared mapper (pretty-printing). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** As {@link #writeJson(Location, Object)} for a local path. */
  public static void writeJson(Path file, Object value) {
    writeJson(Location.local(file), value);
  }

  /** Writes {@code value} as pretty JSON, atomically. */
  public static void writeJson(Location file, Object value) {
    try {
      byte[] bytes = (MAPPER.writeValueAsString(value) + "\n").getBytes(StandardCharsets.UTF_8);
      AtomicFiles.write(file, out -> out.write(bytes));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialise " + value.getClass().getSimpleName() + " to JSON: " + e.getMessage(), e);
    }
  }

  /** Appends {@code value} as one compact JSON line (for {@code history.jsonl}). */
  public static void appendJsonLine(Location file, Object value) {
    try {
      file.append((COMPACT.writeValueAsString(value) + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialise " + value.getClass().getSimpleName() + " to JSON: " + e.getMessage(), e);
    }
  }

  /** Reads a local JSON file. */
  public static JsonNode readTree(Path file) {
    return readTree(Location.local(file));
  }

  /** Reads a JSON file. */
  public static JsonNode readTree(Location file) {
    try (java.io.InputStream in = file.open()) {
      return MAPPER.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read JSON " + file + ": " + e.getMessage(), e);
    }
  }
}
