package io.pullback.io;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Removes credentials from what Pullback records (the Spark and Hadoop configuration in
 * {@code manifest.json}, and every other string of a record).
 *
 * <p><b>Configuration entries</b> ({@link #conf}) follow Spark's own rule ({@code Utils.redact}):
 * an entry whose key <em>or</em> value matches {@code spark.redaction.regex} (default
 * {@value #SPARK_DEFAULT_REGEX}; a value set in the configuration replaces the default, as in Spark)
 * has its value replaced by {@value #REPLACEMENT}, Spark's replacement text. On top of Spark's rule,
 * whatever {@code spark.redaction.regex} says, the value is replaced when the key matches
 * {@link #CREDENTIAL_KEYS}: Azure account keys ({@code fs.azure.account.key.*}), any S3A key
 * ({@code fs.s3a.*key}, e.g. {@code fs.s3a.encryption.key}, per-bucket {@code fs.s3a.bucket.B.secret.key}),
 * private keys ({@code *private.key*}, {@code *private_key*}: GCS service accounts), credentials, and
 * environment variables given to executors or the YARN application master whose name holds
 * {@code PASS}, {@code SECRET}, {@code TOKEN} or {@code KEY} ({@code spark.executorEnv.DB_PASS}).
 *
 * <p><b>Any other string</b> ({@link #text}, applied to every entry as well): a password inside a
 * URL — the {@code pass} of {@code scheme://user:pass@host} and the value of a
 * {@code password=}/{@code pwd=}/{@code secret=}/{@code token=} parameter ({@code jdbc:…;password=…},
 * {@code ?token=…}) — is replaced by {@value #REPLACEMENT}, keeping the rest of the URL.
 *
 * <p>Cost: one regular-expression scan per key and value. Limits: a secret is found by its key or
 * by its shape in a URL; a credential stored under an innocent key with an innocent value (say
 * {@code my.setting=hunter2}) cannot be told from a setting, exactly as in Spark.
 */
public final class Redaction {
  /** Spark's replacement text ({@code Utils.REDACTION_REPLACEMENT_TEXT}). */
  public static final String REPLACEMENT = "*********(redacted)";
  /** The default of Spark's {@code spark.redaction.regex}. */
  public static final String SPARK_DEFAULT_REGEX = "(?i)secret|password|token|access[.]?key";
  /** Keys whose values are credentials whatever {@code spark.redaction.regex} says. */
  public static final Pattern CREDENTIAL_KEYS = Pattern.compile(
      "(?i)fs\\.azure\\.account\\.key|fs\\.s3a\\..*key|private[._-]?key|credential"
          + "|(executorEnv|appMasterEnv)\\.[^.]*(pass|secret|token|key)");
  /** {@code scheme://user:PASSWORD@}: group 1 is kept, the password replaced. */
  private static final Pattern URL_USER_INFO = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://[^/?#@:\\s]*):[^/?#@\\s]*@");
  /** {@code password=VALUE} in a URL's parameters (separators {@code ? & ;}); group 1 is kept. */
  private static final Pattern URL_PARAMETER = Pattern.compile("(?i)((?:password|passwd|pwd|secret|token)=)[^&;\\s]*");

  private Redaction() {}

  /**
   * The configuration, sorted by key, with secret values replaced (see the class comment).
   * {@code spark.redaction.regex} is read from {@code conf} itself.
   */
  public static Map<String, String> conf(Map<String, String> conf) {
    Pattern spark = sparkRegex(conf.get("spark.redaction.regex"));
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> kv : conf.entrySet()) {
      String k = kv.getKey();
      String v = kv.getValue() == null ? "" : kv.getValue();
      boolean secret = spark.matcher(k).find() || spark.matcher(v).find() || CREDENTIAL_KEYS.matcher(k).find();
      out.put(k, secret ? REPLACEMENT : text(v));
    }
    return out;
  }

  /** {@code s} with passwords inside URLs replaced (see the class comment). */
  public static String text(String s) {
    if (s == null || s.isEmpty()) return s;
    String r = URL_USER_INFO.matcher(s).replaceAll("$1:" + Matcher.quoteReplacement(REPLACEMENT) + "@");
    return URL_PARAMETER.matcher(r).replaceAll("$1" + Matcher.quoteReplacement(REPLACEMENT));
  }

  /**
   * A JSON-ready value (maps, lists, strings, numbers) with {@link #text} applied to every string,
   * and {@link #conf} to every map under a key {@code conf}; other values are returned as they are.
   */
  @SuppressWarnings("unchecked")
  public static Object record(Object value) {
    if (value instanceof String s) return text(s);
    if (value instanceof List<?> list) return list.stream().map(Redaction::record).toList();
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String key = String.valueOf(e.getKey());
        Object v = e.getValue();
        if (key.equals("conf") && v instanceof Map<?, ?> conf && conf.values().stream().allMatch(x -> x == null || x instanceof String)) {
          out.put(key, conf((Map<String, String>) conf));
        } else {
          out.put(key, record(v));
        }
      }
      return out;
    }
    return value;
  }

  private static Pattern sparkRegex(String configured) {
    if (configured != null && !configured.isBlank()) {
      try {
        return Pattern.compile(configured);
      } catch (PatternSyntaxException e) {
        // Spark itself would refuse to start; fall back to the default rather than record secrets.
      }
    }
    return Pattern.compile(SPARK_DEFAULT_REGEX);
  }
}
