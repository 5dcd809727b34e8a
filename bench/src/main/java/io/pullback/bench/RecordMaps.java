package io.pullback.bench;

import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A measured row (a record) as the ordered map {@code latest.json} and the child JVMs' JSON lines hold:
 * one entry per component, in declaration order, named in snake_case ({@code pullbackSeconds} →
 * {@code pullback_seconds}), values as they are (boxed, nulls kept). Cost: one reflective call per component.
 */
final class RecordMaps {
  private RecordMaps() {}

  static Map<String, Object> of(Record row) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (RecordComponent c : row.getClass().getRecordComponents()) {
      try {
        m.put(snakeCase(c.getName()), c.getAccessor().invoke(row));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read " + c.getName() + " of " + row.getClass().getSimpleName(), e);
      }
    }
    return m;
  }

  /**
   * A JSON object with its keys in the order given ({@code key1, value1, key2, value2, …}), so that
   * {@code latest.json} lists them the same way in every run ({@code Map.of} has no fixed order).
   */
  static Map<String, Object> ordered(Object... keysAndValues) {
    if (keysAndValues.length % 2 != 0) throw new IllegalArgumentException("keys and values must come in pairs, got " + keysAndValues.length);
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      if (m.put((String) keysAndValues[i], keysAndValues[i + 1]) != null || m.size() != i / 2 + 1) {
        throw new IllegalArgumentException("key '" + keysAndValues[i] + "' is given twice");
      }
    }
    return m;
  }

  /** {@code camelCase} → {@code camel_case}. */
  static String snakeCase(String name) {
    return name.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }
}
