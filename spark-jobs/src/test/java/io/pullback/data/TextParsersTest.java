package io.pullback.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The byte parsers against Java's own: {@link DecimalParser} gives exactly {@link Double#parseDouble}'s value. */
class TextParsersTest {
  static double parse(DecimalParser p, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    return p.parse(b, 0, b.length);
  }

  @Test
  void decimalsAreBitIdenticalToParseDouble() {
    long seed = 20261202L;
    System.out.println("seed " + seed);
    SplittableRandom rnd = new SplittableRandom(seed);
    DecimalParser p = new DecimalParser();
    for (int i = 0; i < 50_000; i++) {
      double v = switch (i % 4) {
        case 0 -> rnd.nextDouble(-1, 1);
        case 1 -> Math.scalb(rnd.nextDouble(), rnd.nextInt(-1070, 1020));
        case 2 -> rnd.nextInt(-100000, 100000) / Math.pow(10, rnd.nextInt(0, 8));
        default -> Double.longBitsToDouble(rnd.nextLong());
      };
      if (!Double.isFinite(v)) continue;
      for (String s : List.of(Double.toString(v), String.format(Locale.ROOT, "%.6f", v), String.format(Locale.ROOT, "%.17g", v),
          String.format(Locale.ROOT, "%.3e", v))) {
        assertThat(Double.doubleToRawLongBits(parse(p, s))).as(s).isEqualTo(Double.doubleToRawLongBits(Double.parseDouble(s)));
        assertThat(p.failed()).isFalse();
      }
    }
    for (String s : List.of("0", "-0", "+1", "1.", ".5", "007", "1e22", "1e23", "9007199254740993", "4.9e-324", "1e400", "-1e-400")) {
      assertThat(Double.doubleToRawLongBits(parse(p, s))).as(s).isEqualTo(Double.doubleToRawLongBits(Double.parseDouble(s)));
    }
    assertThat(parse(p, "NaN")).isNaN();
    assertThat(parse(p, "-Inf")).isEqualTo(Double.NEGATIVE_INFINITY);
    for (String bad : List.of("", "-", "abc", "1e", "1.0d", "1,5", " 1", "1x", ".")) {
      parse(p, bad);
      assertThat(p.failed()).as("'%s' is not a number", bad).isTrue();
    }
  }

  @Test
  void libsvmLinesAreParsedIntoDenseRowsOrRefusedSayingWhy() {
    LibsvmParser p = new LibsvmParser();
    double[] x = new double[4];
    byte[] line = "+1 1:0.5\t3:-2e3  ".getBytes(StandardCharsets.US_ASCII);
    assertThat(p.parse(line, 0, line.length, 4, x, 0)).isEqualTo(ParsedLine.EXAMPLE);
    assertThat(p.label()).isEqualTo(1.0);
    assertThat(x).containsExactly(0.5, 0, -2000, 0);
    assertThat(p.maxIndex()).isEqualTo(3);
    for (String[] c : new String[][] {{"  # note", null}, {"", null}, {"1 0:1", "index 0"}, {"1 2:1 2:3", "appears twice"},
        {"1 3:1 2:3", "ascending"}, {"1 5:1", "exceeds the 4 features"}, {"1 1:1 # c", "inline comment"}, {"1 qid:3 1:1", "not a positive"},
        {"a 1:1", "label 'a'"}, {"1 1:NaN", "finite"}}) {
      byte[] b = c[0].getBytes(StandardCharsets.US_ASCII);
      ParsedLine o = p.parse(b, 0, b.length, 4, null, 0);
      if (c[1] == null) {
        assertThat(o).isEqualTo(ParsedLine.SKIP);
      } else {
        assertThat(o).as(c[0]).isEqualTo(ParsedLine.ERROR);
        assertThat(p.problem()).as(c[0]).contains(c[1]);
      }
    }
  }

  @Test
  void csvRowsMustHaveTheHeadersFieldCount() {
    CsvParser.Columns cols = CsvParser.Columns.of(CsvParser.headerNames("a,\"la,bel\",w,b"), List.of("la,bel"), "w");
    assertThat(cols.features()).isEqualTo(2);
    CsvParser p = new CsvParser(cols);
    double[] x = new double[2];
    byte[] ok = "1.5, \"0\" ,2,-3".getBytes(StandardCharsets.US_ASCII);
    assertThat(p.parse(ok, 0, ok.length, x, 0)).isEqualTo(ParsedLine.EXAMPLE);
    assertThat(x).containsExactly(1.5, -3);
    assertThat(p.labels()).containsExactly(0);
    assertThat(p.weight()).isEqualTo(2);
    for (String[] c : new String[][] {{"1,0,1,2,3", "more than the header"}, {"1,0,1", "has 3 fields"}, {"1,,1,2", "empty"},
        {"1,0,1,x", "not numeric"}}) {
      byte[] b = c[0].getBytes(StandardCharsets.US_ASCII);
      assertThat(p.parse(b, 0, b.length, null, 0)).as(c[0]).isEqualTo(ParsedLine.ERROR);
      assertThat(p.problem()).contains(c[1]);
    }
  }
}
