package io.pullback.metric.representation;

import io.pullback.Names;

/** The metric representations, by CLI name ({@code --representation}). */
public enum RepresentationKind {
  DENSE("dense"),
  BLOCKED("blocked"),
  IMPLICIT("implicit"),
  DIAG("diag"),
  BLOCK_DIAG("block-diag"),
  KFAC("kfac"),
  EKFAC("ekfac"),
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
    return Names.list(values(), RepresentationKind::cliName);
  }

  /** Parses a CLI name; the message lists the valid ones. */
  public static RepresentationKind parse(String name) {
    RepresentationKind found = Names.find(values(), RepresentationKind::cliName, name);
    if (found != null) return found;
    throw new IllegalArgumentException("unknown representation '" + name + "'; valid: " + validNames());
  }
}
