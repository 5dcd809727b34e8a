package io.pullback.data;

/**
 * One LIBSVM line, {@code label index:value index:value ...}, parsed from bytes into a dense row
 * and checked in the same pass.
 *
 * <p>Rules (those of Spark's LIBSVM source, with what is wrong said in words): blanks (space or tab)
 * separate tokens; a line that is empty or starts with {@code #} after trimming is skipped; indices
 * are 1-based, strictly ascending, at most D when D ({@code {numFeatures}}) is known; values and the
 * label are decimal numbers. Refused with a message: index 0, a repeated or descending index, an
 * index past D, a token that is not {@code index:value} (including an inline {@code # comment} and
 * {@code qid:}), a value or label that is not a number, a non-finite value.
 *
 * <p>Cost: one pass over the line's bytes, no allocation. Not thread-safe: one instance per task.
 */
public final class LibsvmParser {
  private final DecimalParser numbers = new DecimalParser();
  private String problem;
  private double maxAbs;
  private double label;
  private long maxIndex;

  /** The largest |feature value| of the example lines so far. */
  public double maxAbs() {
    return maxAbs;
  }

  /** What was wrong with the last line parsed as {@link ParsedLine#ERROR}. */
  public String problem() {
    return problem;
  }

  /** The label of the last example line. */
  public double label() {
    return label;
  }

  /** The largest index seen on any line so far (0 before any), i.e. the feature count a scan finds. */
  public long maxIndex() {
    return maxIndex;
  }

  /**
   * Parses {@code line[from, to)} (no line terminator).
   *
   * @param dim D, or -1 when unknown (no upper bound is checked)
   * @param x where to store the values (x[offset + index − 1], the row already zeroed), or null to only check
   * @param offset start of the row in {@code x}
   */
  public ParsedLine parse(byte[] line, int from, int to, int dim, double[] x, int offset) {
    while (from < to && (line[from] & 0xFF) <= ' ') from++;
    while (to > from && (line[to - 1] & 0xFF) <= ' ') to--;
    if (from == to || line[from] == '#') return ParsedLine.SKIP;
    int end = tokenEnd(line, from, to);
    label = numbers.parse(line, from, end);
    if (numbers.failed()) return error("label '" + text(line, from, end) + "' is not a number");
    long previous = 0;
    int i = end;
    while (true) {
      while (i < to && isBlank(line[i])) i++;
      if (i >= to) return ParsedLine.EXAMPLE;
      end = tokenEnd(line, i, to);
      if (line[i] == '#') return error("inline comment '" + text(line, i, to) + "': LIBSVM comments must be on lines of their own");
      int colon = indexOf(line, i, end, (byte) ':');
      if (colon < 0) return error("'" + text(line, i, end) + "' is not index:value");
      long index = parseIndex(line, i, colon);
      if (index < 0) return error("index '" + text(line, i, colon) + "' in '" + text(line, i, end) + "' is not a positive integer");
      if (index == 0) return error("index 0: LIBSVM feature indices start at 1");
      if (index == previous) return error("index " + index + " appears twice");
      if (index < previous) return error("index " + index + " after index " + previous + ": indices must be in ascending order");
      if (dim >= 0 && index > dim) return error("index " + index + " exceeds the " + dim + " features given by {numFeatures}");
      double v = numbers.parse(line, colon + 1, end);
      if (numbers.failed()) return error("value '" + text(line, colon + 1, end) + "' of index " + index + " is not a number");
      if (!Double.isFinite(v)) return error("index " + index + " has value " + v + " (features must be finite numbers)");
      if (x != null) x[offset + (int) index - 1] = v;
      if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
      previous = index;
      if (index > maxIndex) maxIndex = index;
      i = end;
    }
  }

  /**
   * The largest index of {@code line[from, to)} without parsing or checking anything else (0 for a
   * blank or comment line): the cheap pass that finds D when {@code {numFeatures}} is not given.
   * Tokens that are not {@code index:value} with a decimal index of at most 10 digits are ignored
   * (the parse that follows reports them); so is everything from an inline {@code #}.
   */
  public static long maxIndexOf(byte[] line, int from, int to) {
    while (from < to && (line[from] & 0xFF) <= ' ') from++;
    if (from == to || line[from] == '#') return 0;
    int i = tokenEnd(line, from, to);
    long max = 0;
    while (i < to) {
      while (i < to && (line[i] & 0xFF) <= ' ') i++;
      if (i >= to || line[i] == '#') break;
      int end = tokenEnd(line, i, to);
      int colon = indexOf(line, i, end, (byte) ':');
      if (colon > 0) max = Math.max(max, parseIndex(line, i, colon));
      i = end;
    }
    return max;
  }

  private ParsedLine error(String message) {
    problem = message;
    return ParsedLine.ERROR;
  }

  private static boolean isBlank(byte b) {
    return b == ' ' || b == '\t';
  }

  private static int tokenEnd(byte[] line, int from, int to) {
    int i = from;
    while (i < to && !isBlank(line[i])) i++;
    return i;
  }

  private static int indexOf(byte[] line, int from, int to, byte b) {
    for (int i = from; i < to; i++) if (line[i] == b) return i;
    return -1;
  }

  /** A decimal integer of at most 10 digits, or -1. */
  private static long parseIndex(byte[] line, int from, int to) {
    if (from == to || to - from > 10) return -1;
    long v = 0;
    for (int i = from; i < to; i++) {
      int d = line[i] - '0';
      if (d < 0 || d > 9) return -1;
      v = v * 10 + d;
    }
    return v;
  }

  /** A token for a message, at most 40 characters, braces escaped so they are never read as parameters. */
  static String text(byte[] line, int from, int to) {
    int n = Math.min(to - from, 40);
    StringBuilder sb = new StringBuilder(n + 3);
    for (int i = from; i < from + n; i++) {
      char c = (char) (line[i] & 0xFF);
      sb.append(c == '{' ? '(' : c == '}' ? ')' : c < ' ' ? '?' : c);
    }
    if (to - from > n) sb.append("...");
    return sb.toString();
  }
}
