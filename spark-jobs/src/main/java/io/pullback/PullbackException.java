package io.pullback;

import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A failure the user can act on, carrying the process exit code documented in DESIGN.md:
 * {@link #USAGE} (2) for bad usage or configuration, {@link #DATA} (3) for bad input data.
 * Internal failures are any other exception and exit with 1.
 *
 * <p><b>Parameters in messages.</b> The library does not know how its parameters are spelled by a
 * front end (a command-line flag, a spark.ml {@code Param}, a YAML key). A message therefore names a
 * parameter by a placeholder {@code {name}}, where {@code name} is the library's own camel-case name
 * of it (the record component of the job's config: {@code {learningRate}}, {@code {cgTol}},
 * {@code {out}}). {@link #getMessage()} shows the bare name ({@code learningRate must be > 0});
 * a front end shows its own spelling through {@link #render(UnaryOperator)} (the CLI prints
 * {@code --lr must be > 0}, see {@code io.pullback.cli.Flags}). A placeholder is a brace, a
 * lower-case letter, letters and digits, a brace: nothing else in a message is touched.
 */
public class PullbackException extends RuntimeException {
  private static final long serialVersionUID = 2L;

  /** Exit code for bad usage or configuration. */
  public static final int USAGE = 2;
  /** Exit code for bad input data. */
  public static final int DATA = 3;

  private static final Pattern PARAMETER = Pattern.compile("\\{([a-z][A-Za-z0-9]*)\\}");

  private final int exitCode;
  private final String template;

  public PullbackException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
    this.template = message;
  }

  public PullbackException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
    this.template = message;
  }

  /** A usage or configuration error (exit 2); {@code message} may name parameters as {@code {name}}. */
  public static PullbackException usage(String message) {
    return new PullbackException(USAGE, message);
  }

  /** A data error (exit 3); {@code message} may name parameters as {@code {name}}. */
  public static PullbackException data(String message) {
    return new PullbackException(DATA, message);
  }

  public int exitCode() {
    return exitCode;
  }

  /** The message with its parameter placeholders, as thrown. */
  public String template() {
    return template;
  }

  /** This failure with {@code context + ": "} in front of its message, the same exit code, and this as cause. */
  public PullbackException within(String context) {
    return new PullbackException(exitCode, context + ": " + template, this);
  }

  /** The message with each placeholder {@code {name}} replaced by {@code parameterName.apply(name)}. */
  public String render(UnaryOperator<String> parameterName) {
    return renderTemplate(template, parameterName);
  }

  /** The message, parameters shown by their library names. */
  @Override
  public String getMessage() {
    return render(UnaryOperator.identity());
  }

  /** Replaces each placeholder {@code {name}} of {@code template} by {@code parameterName.apply(name)}. */
  public static String renderTemplate(String template, UnaryOperator<String> parameterName) {
    if (template == null) return null;
    Matcher m = PARAMETER.matcher(template);
    StringBuilder sb = new StringBuilder(template.length() + 16);
    while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(parameterName.apply(m.group(1))));
    m.appendTail(sb);
    return sb.toString();
  }
}
