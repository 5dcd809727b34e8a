package io.pullback.cli;

import io.pullback.PullbackException;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SecurityManager;
import org.apache.spark.SparkConf;
import org.apache.spark.rpc.RpcAddress;
import org.apache.spark.rpc.RpcEnv;
import org.apache.spark.util.Utils;
import scala.Option;

/**
 * Before a driver joins a standalone cluster ({@code spark://HOST:PORT}), one authenticated
 * round trip to the Master's RPC endpoint, so that a driver the Master will not accept fails at
 * once, with exit code 2 and a message naming the master and {@value AuthSecret#ENV}.
 *
 * <p>Why: a standalone driver whose {@code spark.authenticate} setting or secret differs from the
 * cluster's is not told so. Spark's application client logs "Failed to connect to master" three
 * times, 20 s apart, then stops the context ("All masters are unresponsive! Giving up."), and the
 * command would fail after about a minute with "Cannot call methods on a stopped SparkContext".
 * The check uses Spark's own RPC client (the same {@code SecurityManager}, SASL handshake and
 * endpoint lookup the application client uses), so it accepts exactly what Spark would accept; it
 * costs one connection (milliseconds) and never binds a port. The secret never appears in its
 * messages.
 */
public final class StandaloneMasterCheck {
  /** How long one lookup may take (a reachable Master answers in milliseconds). */
  static final String LOOKUP_TIMEOUT = "30s";

  private StandaloneMasterCheck() {}

  /**
   * Checks that a standalone Master of {@code master} accepts a driver with configuration
   * {@code conf} (authentication settings included). Does nothing for other masters.
   *
   * @throws PullbackException (usage) when no Master of the URL can be reached or all refuse
   */
  public static void check(String master, SparkConf conf) {
    if (master == null || !master.startsWith("spark://")) return;
    SparkConf c = conf.clone();
    c.set("spark.rpc.lookupTimeout", LOOKUP_TIMEOUT);
    c.set("spark.rpc.askTimeout", LOOKUP_TIMEOUT);
    c.setMaster(master);
    String authState = describeAuth(c.getBoolean("spark.authenticate", false), System.getenv(AuthSecret.ENV));
    SecurityManager security = new SecurityManager(c, Option.empty(),
        org.apache.spark.internal.config.package$.MODULE$.AUTH_SECRET_FILE_DRIVER());
    try {
      security.initializeAuth();
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("--master " + master + ": spark.authenticate is true but no secret is set (" + e.getMessage()
          + "); set " + AuthSecret.ENV + " to a file holding the cluster's shared secret");
    }
    String host = c.get("spark.driver.host", c.get("spark.driver.bindAddress", "127.0.0.1"));
    RpcEnv env = RpcEnv.create("pullback-master-check", host, host, 0, c, security, 1, true);
    List<String> failures = new ArrayList<>();
    boolean allUnreachable = true;
    boolean anyTimeout = false;
    try {
      for (String url : Utils.parseStandaloneMasterUrls(master)) {
        try {
          env.setupEndpointRef(RpcAddress.fromSparkURL(url), "Master");
          return; // accepted
        } catch (Exception e) { // SparkException (checked) wrapping the transport failure
          failures.add(url + ": " + rootMessage(e));
          allUnreachable &= causedBy(e, java.net.ConnectException.class, java.net.UnknownHostException.class,
              java.net.NoRouteToHostException.class);
          anyTimeout |= causedBy(e, java.util.concurrent.TimeoutException.class); // RpcTimeoutException is one
        }
      }
    } finally {
      env.shutdown();
      env.awaitTermination();
    }
    String detail = String.join("; ", failures);
    if (allUnreachable) {
      throw PullbackException.usage("--master " + master + ": no Spark master is listening there (" + detail
          + "); start the cluster (bin/local-cluster start) or correct --master");
    }
    if (anyTimeout) {
      throw PullbackException.usage("--master " + master + ": the Spark master did not answer within " + LOOKUP_TIMEOUT + " (" + detail
          + "); check the URL, the network and that the cluster is up (bin/local-cluster status)");
    }
    throw PullbackException.usage("--master " + master + ": the Spark master refused this driver (" + detail + "). "
        + authState + "; the driver and the cluster must use the same secret, or both none: set " + AuthSecret.ENV
        + " to the file the cluster was started with (bin/local-cluster reads the same variable), or unset it for a cluster"
        + " without spark.authenticate");
  }

  /** What the driver's side of authentication is, for messages (never the secret itself). */
  static String describeAuth(boolean authenticate, String secretFile) {
    if (!authenticate) return "this driver has spark.authenticate off (" + AuthSecret.ENV + " is not set)";
    if (secretFile != null && !secretFile.isBlank()) {
      return "this driver authenticates with the secret in " + AuthSecret.ENV + "=" + secretFile;
    }
    return "this driver authenticates with spark.authenticate.secret from its Spark configuration";
  }

  /**
   * The innermost cause's class and the first line of its message (Spark wraps the transport
   * failure several times, and a failure on the Master's side arrives with its stack trace).
   */
  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    String m = String.valueOf(t.getMessage()).strip();
    int nl = m.indexOf('\n');
    return t.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl).strip());
  }

  @SafeVarargs
  static boolean causedBy(Throwable e, Class<? extends Throwable>... kinds) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      for (Class<? extends Throwable> k : kinds) if (k.isInstance(t)) return true;
    }
    return false;
  }
}
