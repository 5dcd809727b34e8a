package io.pullback.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secret file of {@code spark.authenticate} and the check a driver makes before joining a
 * standalone Master. (Acceptance and refusal by a real Master: StandaloneClusterIT.)
 */
class AuthSecretAndMasterCheckTest {
  @TempDir
  Path dir;

  static int exitCode(Throwable e) {
    return ((PullbackException) e).exitCode();
  }

  @Test
  void theSecretIsReadFromTheFileWithoutItsLineEnd() throws Exception {
    Path f = dir.resolve("secret");
    Files.writeString(f, "s3cr3t-value\n");
    assertThat(AuthSecret.fromFile(f.toString()))
        .containsExactly(Map.entry("spark.authenticate", "true"), Map.entry("spark.authenticate.secret", "s3cr3t-value"));
    assertThat(AuthSecret.fromFile(null)).isEmpty();
    assertThat(AuthSecret.fromFile("")).isEmpty();
  }

  @Test
  void aMissingEmptyOrFolderSecretFileIsAUsageErrorNamingTheVariable() throws Exception {
    Path empty = dir.resolve("empty");
    Files.writeString(empty, " \n");
    for (String f : new String[] {dir.resolve("absent").toString(), empty.toString(), dir.toString()}) {
      assertThatThrownBy(() -> AuthSecret.fromFile(f)).as(f).isInstanceOf(PullbackException.class)
          .hasMessageContaining(AuthSecret.ENV + "=" + f).satisfies(e -> assertThat(exitCode(e)).isEqualTo(2));
    }
  }

  @Test
  void onlyStandaloneMastersAreChecked() {
    SparkConf conf = new SparkConf(false);
    StandaloneMasterCheck.check(null, conf);
    StandaloneMasterCheck.check("local[2]", conf);
    StandaloneMasterCheck.check("yarn", conf);
  }

  @Test
  void noMasterListeningIsAUsageErrorNamingTheUrl() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // free once closed: nothing listens there
    }
    String url = "spark://127.0.0.1:" + port;
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> StandaloneMasterCheck.check(url, new SparkConf(false).set("spark.driver.host", "127.0.0.1")))
        .isInstanceOf(PullbackException.class).hasMessageContaining("--master " + url).hasMessageContaining("no Spark master is listening")
        .satisfies(e -> assertThat(exitCode(e)).isEqualTo(2));
    assertThat((System.nanoTime() - t0) / 1e9).as("fails fast, not after Spark's minute of retries").isLessThan(20);
  }

  @Test
  void authenticationWithoutASecretIsAUsageError() {
    SparkConf conf = new SparkConf(false).set("spark.authenticate", "true");
    assertThatThrownBy(() -> StandaloneMasterCheck.check("spark://127.0.0.1:7077", conf)).isInstanceOf(PullbackException.class)
        .hasMessageContaining("no secret").hasMessageContaining(AuthSecret.ENV);
  }

  @Test
  void messagesDescribeTheDriversSideWithoutTheSecret() {
    assertThat(StandaloneMasterCheck.describeAuth(false, null)).contains("spark.authenticate off");
    assertThat(StandaloneMasterCheck.describeAuth(true, "/home/u/.pullback-secret")).contains(AuthSecret.ENV + "=/home/u/.pullback-secret");
    assertThat(StandaloneMasterCheck.describeAuth(true, null)).contains("Spark configuration");
  }

  @Test
  void failuresAreClassifiedByTheirCausesNotByTheirText() {
    // The Master's refusal arrives with its stack trace, which mentions netty's "timeout" package.
    Exception refused = new RuntimeException("Exception thrown in awaitResult", new RuntimeException(
        "java.lang.IllegalStateException: Expected SaslMessage, received something else\n\tat io.netty.handler.timeout.IdleStateHandler"));
    assertThat(StandaloneMasterCheck.rootMessage(refused)).isEqualTo("RuntimeException: java.lang.IllegalStateException: Expected SaslMessage,"
        + " received something else");
    assertThat(StandaloneMasterCheck.causedBy(refused, java.util.concurrent.TimeoutException.class, java.net.ConnectException.class)).isFalse();
    Exception unreachable = new RuntimeException("x", new java.net.ConnectException("Connection refused"));
    assertThat(StandaloneMasterCheck.causedBy(unreachable, java.net.ConnectException.class)).isTrue();
  }
}
