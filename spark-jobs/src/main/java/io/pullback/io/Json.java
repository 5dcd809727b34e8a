package io.pullback.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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

  /** Writes {@code value} as pretty JSON, atomically. */
  public static void writeJson(Path file, Object value) {
    try {
      AtomicFiles.writeString(file, MAPPER.writeValueAsString(value) + "\n");
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialise " + value.getClass().getSimpleName() + " to JSON: " + e.getMessage(), e);
    }
  }

  /** Appends {@code value} as one compact JSON line (for {@code history.jsonl}). */
  public static void appendJsonLine(Path file, Object value) {
    try {
      Files.writeString(file, COMPACT.writeValueAsString(value) + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads a JSON file. */
  public static JsonNode readTree(Path file) {
    try {
      return MAPPER.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read JSON " + file + ": " + e.getMessage(), e);
    }
  }
}
