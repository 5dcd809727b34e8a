package io.pullback.metric.representation;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The metric representations, by CLI name ({@code --representation}). */
public enum RepresentationKind {
  DENSE("dense"),
  BLOCKED("blocked"),
  IMPLICIT("implicit"),
  DIAG("diag"),
  BLOCK_DIAG("block-diag"),
  KFAC("kfac"),
  LOW_RANK("low-rank"),
  NTK_DUAL("ntk-dual");

  private final String cliName;

  RepresentationKind(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  @Override
  public String toString() {
    return cliName;
  }

  /** Every valid CLI name, comma-separated. */
  public static String validNames() {
    return Arrays.stream(values()).map(RepresentationKind::cliName).collect(Collectors.joining(", "));
  }

  /** Parses a CLI name; the message lists the valid ones. */
  public static RepresentationKind parse(String name) {
    for (RepresentationKind k : values()) {
      if (k.cliName.equals(name)) return k;
    }
    throw new IllegalArgumentException("unknown representation '" + name + "'; valid: " + validNames());
  }
}
