package io.pullback.cli;

import io.pullback.PullbackException;
import java.util.Map;

/**
 * How the command line spells the library's parameters: {@code {cgTol}} in a
 * {@link PullbackException} message becomes {@code --cg-tol}. The rule is the camel-case name in
 * kebab case behind two dashes; the few flags that are spelled otherwise are listed in
 * {@link #SPELLED_OTHERWISE}.
 */
public final class Flags {
  /** Library parameter names whose flag is not their kebab-case form. */
  static final Map<String, String> SPELLED_OTHERWISE = Map.of("learningRate", "--lr", "numFeatures", "--features",
      "labelColumns", "--label-col", "weightColumn", "--weight-col");

  private Flags() {}

  /** The flag of a library parameter: {@code cgMaxIter} → {@code --cg-max-iter}, {@code learningRate} → {@code --lr}. */
  public static String flag(String parameter) {
    String special = SPELLED_OTHERWISE.get(parameter);
    if (special != null) return special;
    StringBuilder sb = new StringBuilder("--");
    for (char c : parameter.toCharArray()) {
      if (Character.isUpperCase(c)) sb.append('-').append(Character.toLowerCase(c));
      else sb.append(c);
    }
    return sb.toString();
  }

  /** The message of {@code e} as a command-line user reads it, parameters shown as flags. */
  public static String message(PullbackException e) {
    return e.render(Flags::flag);
  }
}
