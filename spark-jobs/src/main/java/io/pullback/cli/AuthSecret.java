package io.pullback.cli;

import io.pullback.PullbackException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code spark.authenticate} with the shared secret read from the file named by the environment
 * variable {@value #ENV} (never from the command line, where {@code ps} would show it).
 *
 * <p>Spark 4.2 reads {@code spark.authenticate.secret.file} only on Kubernetes, and a standalone
 * driver must hold {@code spark.authenticate.secret} in its configuration; so the launchers read
 * the file and set that key in the session's configuration in memory. The manifest redacts it
 * ({@code *********(redacted)}); standalone daemons and executors get the same secret through Spark's
 * environment variable {@code _SPARK_AUTH_SECRET} ({@code bin/local-cluster} does this).
 */
public final class AuthSecret {
  public static final String ENV = "PULLBACK_AUTH_SECRET_FILE";

  private AuthSecret() {}

  /** The Spark settings for authentication from {@value #ENV}, or none when it is unset. */
  public static Map<String, String> fromEnvironment() {
    return fromFile(System.getenv(ENV));
  }

  static Map<String, String> fromFile(String file) {
    Map<String, String> conf = new LinkedHashMap<>();
    if (file == null || file.isBlank()) return conf;
    Path p = Path.of(file);
    if (!Files.isRegularFile(p)) throw PullbackException.usage(ENV + "=" + file + " is not a file (it must name a file holding the shared secret)");
    String secret;
    try {
      secret = Files.readString(p, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw PullbackException.usage(ENV + "=" + file + " cannot be read: " + e.getMessage());
    }
    if (secret.isEmpty()) throw PullbackException.usage(ENV + "=" + file + " is empty (it must hold the shared secret)");
    conf.put("spark.authenticate", "true");
    conf.put("spark.authenticate.secret", secret);
    return conf;
  }
}
