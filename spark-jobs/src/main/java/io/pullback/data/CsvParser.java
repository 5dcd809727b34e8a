package io.pullback.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CSV rows with a header, parsed from bytes into a dense row and checked in the same pass.
 *
 * <p>Rules: fields are separated by {@code ,}; a field may be enclosed in double quotes (then it may
 * hold commas; {@code ""} is a quote); blanks around a number are ignored; a line that is empty or
 * blank is skipped. Every row must have exactly as many fields as the header (an extra field — often
 * a decimal comma — is an error, never truncated), every field must be a number ({@code NaN},
 * {@code Inf} are read and then refused as features by the validation). Columns: the label
 * column(s), an optional weight column, every other column a feature, in header order.
 *
 * <p>Cost: one pass over the line's bytes, no allocation. Not thread-safe: one instance per task
 * ({@link Columns} is the serialisable, shareable part).
 */
public final class CsvParser {
  /**
   * The role of each header column.
   *
   * @param names the header's column names
   * @param role per column: {@code -1} the weight, {@code -(2 + k)} label k, {@code j ≥ 0} feature j
   */
  public record Columns(List<String> names, int[] role, int labels, int features) implements Serializable {
    private static final long serialVersionUID = 1L;
    static final int WEIGHT = -1;

    /**
     * Assigns the roles; null label/weight names are not looked up. Returns the columns, or throws
     * {@link IllegalArgumentException} naming the missing column.
     */
    public static Columns of(List<String> names, List<String> labelColumns, String weightColumn) {
      Map<String, Integer> position = new HashMap<>();
      for (int i = 0; i < names.size(); i++) position.put(names.get(i), i);
      int[] role = new int[names.size()];
      java.util.Arrays.fill(role, Integer.MIN_VALUE);
      for (int k = 0; k < labelColumns.size(); k++) {
        Integer p = position.get(labelColumns.get(k));
        if (p == null) throw new IllegalArgumentException("label:" + labelColumns.get(k));
        role[p] = -(2 + k);
      }
      if (weightColumn != null) {
        Integer p = position.get(weightColumn);
        if (p == null) throw new IllegalArgumentException("weight:" + weightColumn);
        role[p] = WEIGHT;
      }
      int features = 0;
      for (int i = 0; i < role.length; i++) if (role[i] == Integer.MIN_VALUE) role[i] = features++;
      return new Columns(List.copyOf(names), role, labelColumns.size(), features);
    }
  }

  private final Columns columns;
  private final DecimalParser numbers = new DecimalParser();
  private final double[] labels;
  private double weight;
  private String problem;
  private double maxAbs;

  public CsvParser(Columns columns) {
    this.columns = columns;
    this.labels = new double[columns.labels()];
  }

  /** The largest |feature value| of the example lines so far. */
  public double maxAbs() {
    return maxAbs;
  }

  /** What was wrong with the last line parsed as {@link ParsedLine#ERROR}. */
  public String problem() {
    return problem;
  }

  /** The labels of the last example line (a buffer reused by the next call). */
  public double[] labels() {
    return labels;
  }

  /** The weight of the last example line (1 without a weight column). */
  public double weight() {
    return weight;
  }

  /**
   * Parses {@code line[from, to)} (no line terminator) into {@code x[offset, offset + D)}, the labels
   * and the weight; {@code x} null only checks.
   */
  public ParsedLine parse(byte[] line, int from, int to, double[] x, int offset) {
    int blank = from;
    while (blank < to && (line[blank] & 0xFF) <= ' ') blank++;
    if (blank == to) return ParsedLine.SKIP;
    weight = 1.0;
    int[] role = columns.role();
    int field = 0;
    int i = from;
    while (true) {
      int start = i;
      int end;
      int q = i;
      while (q < to && line[q] == ' ') q++;
      if (q < to && line[q] == '"') {
        i = q;
        int close = closingQuote(line, i + 1, to);
        if (close < 0) return error("unterminated quote in field " + (field + 1));
        start = i + 1;
        end = close;
        i = close + 1;
        while (i < to && line[i] == ' ') i++;
        if (i < to && line[i] != ',') return error("text after the closing quote of field " + (field + 1));
      } else {
        while (i < to && line[i] != ',') i++;
        end = i;
      }
      if (field >= role.length) {
        return error("has more than the header's " + role.length + " fields (a decimal comma, or an unquoted comma in a value?)");
      }
      int s = start;
      int e = end;
      while (s < e && (line[s] == ' ' || line[s] == '\t')) s++;
      while (e > s && (line[e - 1] == ' ' || line[e - 1] == '\t')) e--;
      String column = columns.names().get(field);
      if (s == e) return error("column '" + column + "' is empty");
      double v = numbers.parse(line, s, e);
      if (numbers.failed()) return error("'" + LibsvmParser.text(line, s, e) + "' in column '" + column + "' is not numeric");
      int r = role[field];
      if (r >= 0) {
        if (!Double.isFinite(v)) return error("feature " + r + " (column '" + column + "') is " + v + " (features must be finite numbers)");
        if (x != null) x[offset + r] = v;
        if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
      } else if (r == Columns.WEIGHT) {
        weight = v;
      } else {
        labels[-r - 2] = v;
      }
      field++;
      if (i >= to) break;
      i++; // the comma
    }
    if (field < role.length) return error("has " + field + " fields, the header has " + role.length);
    return ParsedLine.EXAMPLE;
  }

  private static int closingQuote(byte[] line, int from, int to) {
    for (int i = from; i < to; i++) {
      if (line[i] == '"') {
        if (i + 1 < to && line[i + 1] == '"') {
          i++;
          continue;
        }
        return i;
      }
    }
    return -1;
  }

  private ParsedLine error(String message) {
    problem = message;
    return ParsedLine.ERROR;
  }

  /** The column names of a header line (quotes removed, {@code ""} read as a quote; names are not trimmed). */
  public static List<String> headerNames(String header) {
    List<String> names = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < header.length(); i++) {
      char c = header.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < header.length() && header.charAt(i + 1) == '"') {
          cur.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cur.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        names.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    names.add(cur.toString());
    return names;
  }
}
