package io.pullback.cli;

import io.pullback.PullbackException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code spark.authenticate} with the shared secret read from the file named by the environment
 * variable {@value #ENV} (never from the command line, where {@code ps} would show it).
 *
 * <p><b>The rule</b> (one implementation, used by {@code bin/pullback}, by {@code SubmitMain} under
 * spark-submit and, through {@link #main}, by {@code bin/local-cluster}, so all three accept the same
 * files and read the same secret from them):
 * <ol>
 *   <li>the file must be a regular file (a symbolic link to one is followed);
 *   <li>its mode must give no permission to group or others (600 or 400; as ssh requires of a private
 *       key), else it is refused, naming the file and {@code chmod 600 FILE};
 *   <li>it is read as UTF-8, and leading and trailing spaces, tabs, carriage returns and line feeds
 *       are removed (so {@code echo secret > FILE} and a file saved on Windows both work);
 *   <li>what is left must not be empty and must not contain a line feed or carriage return (a
 *       two-line file is refused, not joined).
 * </ol>
 * Every refusal is a usage error (exit 2) naming {@value #ENV} and the file. Limits: on a file system
 * without POSIX permissions the mode is not checked; spaces inside the secret are kept.
 *
 * <p>Spark 4.2 reads {@code spark.authenticate.secret.file} only on Kubernetes, and a standalone
 * driver must hold {@code spark.authenticate.secret} in its configuration; so the launchers read
 * the file and set that key in the session's configuration in memory. The manifest redacts it
 * ({@code *********(redacted)}); standalone daemons and executors get the same secret through Spark's
 * environment variable {@code _SPARK_AUTH_SECRET} ({@code bin/local-cluster} does this).
 * Cost: one stat and one read of a small file.
 */
public final class AuthSecret {
  public static final String ENV = "PULLBACK_AUTH_SECRET_FILE";

  /** Group and other permissions: none may be set. */
  private static final Set<PosixFilePermission> NOT_OWNER = EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private AuthSecret() {}

  /** The Spark settings for authentication from {@value #ENV}, or none when it is unset. */
  public static Map<String, String> fromEnvironment() {
    return fromFile(System.getenv(ENV));
  }

  static Map<String, String> fromFile(String file) {
    Map<String, String> conf = new LinkedHashMap<>();
    if (file == null || file.isBlank()) return conf;
    conf.put("spark.authenticate", "true");
    conf.put("spark.authenticate.secret", read(file));
    return conf;
  }

  /**
   * The secret in {@code file} by the rule above.
   *
   * @throws PullbackException (exit 2) naming {@value #ENV} and the file when the rule refuses it
   */
  public static String read(String file) {
    Path p = Path.of(file);
    String named = ENV + "=" + file;
    if (!Files.isRegularFile(p)) throw PullbackException.usage(named + " is not a file (it must name a file holding the shared secret)");
    Set<PosixFilePermission> mode;
    try {
      mode = Files.getPosixFilePermissions(p);
    } catch (UnsupportedOperationException e) {
      mode = Set.of(); // no POSIX permissions on this file system: nothing to check
    } catch (IOException e) {
      throw PullbackException.usage(named + " cannot be read: " + e.getMessage());
    }
    if (mode.stream().anyMatch(NOT_OWNER::contains)) {
      throw PullbackException.usage(named + " is accessible by group or others (mode " + octal(mode) + "); a secret file must be"
          + " readable by its owner only: chmod 600 " + file);
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(p))).toString();
    } catch (CharacterCodingException e) {
      throw PullbackException.usage(named + " is not UTF-8 text (it must hold the shared secret on one line)");
    } catch (IOException e) {
      throw PullbackException.usage(named + " cannot be read: " + e.getMessage());
    }
    String secret = strip(text);
    if (secret.isEmpty()) throw PullbackException.usage(named + " is empty (it must hold the shared secret on one line)");
    if (secret.indexOf('\n') >= 0 || secret.indexOf('\r') >= 0) {
      throw PullbackException.usage(named + " holds more than one line; the shared secret must be on one line"
          + " (only leading and trailing spaces, tabs and line ends are removed)");
    }
    return secret;
  }

  /** {@code s} without leading and trailing spaces, tabs, carriage returns and line feeds (nothing else). */
  static String strip(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && " \t\r\n".indexOf(s.charAt(start)) >= 0) start++;
    while (end > start && " \t\r\n".indexOf(s.charAt(end - 1)) >= 0) end--;
    return s.substring(start, end);
  }

  /** The mode as three octal digits ({@code 644}). */
  static String octal(Set<PosixFilePermission> mode) {
    String rwx = PosixFilePermissions.toString(mode);
    int bits = 0;
    for (int i = 0; i < 9; i++) if (rwx.charAt(i) != '-') bits |= 1 << (8 - i);
    return String.format("%03o", bits);
  }

  /**
   * The rule for {@code bin/local-cluster}, on the file named by {@value #ENV}: {@code print} writes
   * the secret to standard output (no line end; the script captures it with {@code $(…)} and passes
   * it to the daemons in their environment, never on a command line); {@code check} only says whether
   * the file is accepted. A refused file prints {@code local-cluster: error: MESSAGE} on standard
   * error and exits 2; nothing to do when {@value #ENV} is unset (exit 0).
   */
  public static void main(String[] args) {
    System.exit(run(args, System.getenv(ENV), System.out, System.err));
  }

  static int run(String[] args, String file, PrintStream out, PrintStream err) {
    if (args.length != 1 || !(args[0].equals("print") || args[0].equals("check"))) {
      err.println("usage: AuthSecret print|check (the file is named by " + ENV + ")");
      return PullbackException.USAGE;
    }
    if (file == null || file.isBlank()) {
      if (args[0].equals("check")) out.println("local-cluster: " + ENV + " is not set: the cluster would run without authentication");
      return 0;
    }
    String secret;
    try {
      secret = read(file);
    } catch (PullbackException e) {
      err.println("local-cluster: error: " + e.getMessage());
      return e.exitCode();
    }
    if (args[0].equals("print")) {
      out.print(secret);
    } else {
      out.println("local-cluster: " + ENV + "=" + file + " is accepted (a one-line secret of " + secret.length() + " characters)");
    }
    out.flush();
    return 0;
  }
}
