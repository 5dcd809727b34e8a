package io.pullback.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullback.PullbackException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

  Path secretFile(String name, String content, String mode) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, content);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
    return f;
  }

  static PullbackException refusal(Path f) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> AuthSecret.read(f.toString()));
    assertThat(t).as("%s is refused", f).isInstanceOf(PullbackException.class);
    assertThat(exitCode(t)).isEqualTo(2);
    assertThat(t.getMessage()).startsWith(AuthSecret.ENV + "=" + f + " ");
    return (PullbackException) t;
  }

  @Test
  void theSecretIsReadFromTheFileWithoutItsLineEnd() throws Exception {
    Path f = secretFile("secret", "s3cr3t-value\n", "rw-------");
    assertThat(AuthSecret.fromFile(f.toString()))
        .containsExactly(Map.entry("spark.authenticate", "true"), Map.entry("spark.authenticate.secret", "s3cr3t-value"));
    assertThat(AuthSecret.fromFile(null)).isEmpty();
    assertThat(AuthSecret.fromFile("")).isEmpty();
  }

  @Test
  void leadingAndTrailingSpacesTabsAndLineEndsAreRemovedAndNothingElse() throws Exception {
    assertThat(AuthSecret.read(secretFile("a", " \t s3cr3t value\t\r\n\n", "r--------").toString())).isEqualTo("s3cr3t value");
    assertThat(AuthSecret.read(secretFile("b", "\r\nx\u00a0y\r\n", "rw-------").toString())).isEqualTo("x\u00a0y");
    assertThat(AuthSecret.read(secretFile("c", "Zm9vYmFy", "rwx------").toString())).isEqualTo("Zm9vYmFy");
    Path link = dir.resolve("link");
    Files.createSymbolicLink(link, secretFile("d", "linked\n", "rw-------"));
    assertThat(AuthSecret.read(link.toString())).isEqualTo("linked");
  }

  @Test
  void aFileThatGroupOrOthersMayAccessIsRefusedWithTheChmodToRun() throws Exception {
    for (String mode : new String[] {"rw-r--r--", "rw-r-----", "rw----r--", "rw--w----", "rw------x", "r--r--r--"}) {
      Path f = secretFile("m" + mode.hashCode(), "s3cr3t\n", mode);
      String octal = AuthSecret.octal(PosixFilePermissions.fromString(mode));
      assertThat(refusal(f)).as(mode).hasMessageContaining("accessible by group or others (mode " + octal + ")")
          .hasMessageEndingWith("chmod 600 " + f).hasMessageNotContaining("s3cr3t");
    }
    assertThat(AuthSecret.octal(PosixFilePermissions.fromString("rw-r--r--"))).isEqualTo("644");
    assertThat(AuthSecret.octal(PosixFilePermissions.fromString("r--------"))).isEqualTo("400");
  }

  @Test
  void aSecretOfTwoLinesIsRefusedNotJoined() throws Exception {
    for (String content : new String[] {"first\nsecond\n", "first\r\nsecond", "first\rsecond", " a \n\n b "}) {
      assertThat(refusal(secretFile("l" + content.hashCode(), content, "rw-------"))).as(content).hasMessageContaining("more than one line")
          .hasMessageNotContaining("first");
    }
  }

  @Test
  void aMissingEmptyOrFolderSecretFileIsAUsageErrorNamingTheVariable() throws Exception {
    assertThat(refusal(secretFile("empty", " \n", "rw-------"))).hasMessageContaining("is empty");
    assertThat(refusal(secretFile("zero", "", "rw-------"))).hasMessageContaining("is empty");
    assertThat(refusal(dir.resolve("absent"))).hasMessageContaining("is not a file");
    assertThat(refusal(dir)).hasMessageContaining("is not a file");
    Path latin1 = dir.resolve("latin1c");
    Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xe9});
    Files.setPosixFilePermissions(latin1, PosixFilePermissions.fromString("rw-------"));
    assertThat(refusal(latin1)).hasMessageContaining("not UTF-8");
  }

  @Test
  void bin_local_clusterGetsTheSameRuleAndMessageThroughMain() throws Exception {
    Path good = secretFile("good", "  s3cr3t \n", "rw-------");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(AuthSecret.run(new String[] {"print"}, good.toString(), new PrintStream(out, true), new PrintStream(err, true))).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("s3cr3t");
    out.reset();
    assertThat(AuthSecret.run(new String[] {"check"}, good.toString(), new PrintStream(out, true), new PrintStream(err, true))).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("is accepted").contains("6 characters").doesNotContain("s3cr3t");
    assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    Path open = secretFile("open", "s3cr3t\n", "rw-r--r--");
    out.reset();
    assertThat(AuthSecret.run(new String[] {"print"}, open.toString(), new PrintStream(out, true), new PrintStream(err, true))).isEqualTo(2);
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("local-cluster: error: " + refusal(open).getMessage() + System.lineSeparator());
    assertThat(AuthSecret.run(new String[] {"print"}, null, new PrintStream(out, true), new PrintStream(err, true))).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
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
