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

  /** {@code camelCase} → {@code camel_case}. */
  static String snakeCase(String name) {
    return name.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }
}
