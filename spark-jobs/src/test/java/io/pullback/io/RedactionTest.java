package io.pullback.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.util.Utils;
import org.junit.jupiter.api.Test;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;

/**
 * {@link Redaction} against Spark's own {@code Utils.redact} (the reference for Spark's rule) and
 * against the credential shapes of issue 15, each by its secret value.
 */
class RedactionTest {
  /** Every credential pattern the issue names: key → a secret value that must never be recorded. */
  static Map<String, String> credentials() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net", "azureAccountKeyV4lue==");
    c.put("fs.azure.account.key.other.blob.core.windows.net", "azurePlainKeyV4lue==");
    c.put("spark.hadoop.fs.s3a.access.key", "AKIAACCESSKEYVALUE1");
    c.put("spark.hadoop.fs.s3a.secret.key", "s3aSecretKeyValue2");
    c.put("spark.hadoop.fs.s3a.encryption.key", "s3aEncryptionKeyValue3");
    c.put("spark.hadoop.fs.s3a.bucket.b1.secret.key", "s3aBucketSecretValue4");
    c.put("spark.hadoop.fs.s3a.session.token", "s3aSessionTokenValue5");
    c.put("spark.hadoop.fs.gs.auth.service.account.private.key", "-----BEGIN PRIVATE KEY-----gcsPrivateKeyValue6");
    c.put("spark.hadoop.fs.gs.auth.service.account.private.key.id", "gcsPrivateKeyIdValue7");
    c.put("spark.hadoop.google.cloud.auth.service.account.private_key", "gcsPrivateKeyValue8");
    c.put("spark.executorEnv.DB_PASS", "executorDbPassValue9");
    c.put("spark.executorEnv.API_TOKEN", "executorTokenValue10");
    c.put("spark.yarn.appMasterEnv.SERVICE_SECRET", "amSecretValue11");
    c.put("spark.authenticate.secret", "sparkAuthSecretValue12");
    c.put("spark.ssl.keyStorePassword", "keyStorePasswordValue13");
    return c;
  }

  /** URL-shaped values under innocent keys: the password in each must go, the rest stays. */
  static Map<String, String> urls() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("spark.pullback.test.jdbc", "jdbc:postgresql://db.example:5432/app?user=alice&password=jdbcPasswordValue14&ssl=true");
    c.put("spark.pullback.test.jdbc2", "jdbc:sqlserver://db.example:1433;databaseName=app;password=jdbcPasswordValue15;encrypt=true");
    c.put("spark.pullback.test.uri", "s3a://bob:userInfoPasswordValue16@bucket/logs");
    c.put("spark.pullback.test.mongo", "mongodb://carol:userInfoPasswordValue17@mongo.example:27017/db");
    return c;
  }

  static final String SECRET_SHAPE = "Value[0-9]+";

  @Test
  void everyCredentialPatternIsRedacted() {
    Map<String, String> conf = new LinkedHashMap<>(credentials());
    conf.putAll(urls());
    conf.put("spark.app.name", "pullback");
    conf.put("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:9000");
    Map<String, String> r = Redaction.conf(conf);
    for (String key : credentials().keySet()) assertThat(r.get(key)).as(key).isEqualTo(Redaction.REPLACEMENT);
    for (Map.Entry<String, String> e : r.entrySet()) assertThat(e.getValue()).as(e.getKey()).doesNotContainPattern(SECRET_SHAPE);
    // Settings are kept, so the record still says how the run was configured.
    assertThat(r).containsEntry("spark.app.name", "pullback").containsEntry("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:9000");
  }

  @Test
  void passwordsInsideUrlsAreReplacedAndTheRestKept() {
    assertThat(Redaction.text("s3a://bob:pw1@bucket/logs")).isEqualTo("s3a://bob:" + Redaction.REPLACEMENT + "@bucket/logs");
    assertThat(Redaction.text("jdbc:postgresql://h:5432/app?user=alice&password=pw2&ssl=true"))
        .isEqualTo("jdbc:postgresql://h:5432/app?user=alice&password=" + Redaction.REPLACEMENT + "&ssl=true");
    assertThat(Redaction.text("jdbc:sqlserver://h:1433;databaseName=app;password=pw3;encrypt=true"))
        .isEqualTo("jdbc:sqlserver://h:1433;databaseName=app;password=" + Redaction.REPLACEMENT + ";encrypt=true");
    // No password: unchanged (a port is not a password, an e-mail address is not a URL's user info).
    for (String plain : List.of("hdfs://namenode:8020/data", "s3a://bucket/x", "/tmp/runs/a:b", "alice@example.org", "synthetic:uniform?rows=4"))
      assertThat(Redaction.text(plain)).isEqualTo(plain);
  }

  /** Where Spark's rule decides (the key or the value matches spark.redaction.regex), the result is Spark's. */
  @Test
  void agreesWithSparksUtilsRedact() {
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.authenticate.secret", "a");
    conf.put("spark.hadoop.fs.s3a.access.key", "b");
    conf.put("spark.hadoop.fs.s3a.accesskey", "c");
    conf.put("spark.my.Password", "d");
    conf.put("spark.some.setting", "holds a TOKEN in its value");
    conf.put("spark.other", "plain");
    conf.put("spark.driver.memory", "1g");
    for (String regex : new String[] {null, "(?i)other"}) {
      Map<String, String> c = new LinkedHashMap<>(conf);
      SparkConf sc = new SparkConf(false);
      if (regex != null) {
        c.put("spark.redaction.regex", regex);
        sc.set("spark.redaction.regex", regex);
      }
      List<Tuple2<String, String>> kvs = new ArrayList<>();
      c.forEach((k, v) -> kvs.add(new Tuple2<>(k, v)));
      Map<String, String> spark = new LinkedHashMap<>();
      for (Tuple2<String, String> kv : CollectionConverters.asJava(Utils.redact(sc, CollectionConverters.asScala(kvs).toSeq()))) {
        spark.put(kv._1(), kv._2());
      }
      Map<String, String> ours = Redaction.conf(c);
      for (String k : c.keySet()) {
        if (Redaction.CREDENTIAL_KEYS.matcher(k).find()) continue; // our additions on top of Spark's rule
        assertThat(ours.get(k)).as("%s with regex %s", k, regex).isEqualTo(spark.get(k));
      }
    }
  }

  @Test
  void recordsRedactEveryStringAndEveryConf() {
    Map<String, Object> spark = new LinkedHashMap<>();
    spark.put("master", "k8s://https://dave:masterPassValue18@api.example:6443");
    spark.put("conf", Map.of("spark.authenticate.secret", "confSecretValue19", "spark.app.name", "x"));
    Map<String, Object> record = new LinkedHashMap<>();
    record.put("spark", spark);
    record.put("inputs", List.of(Map.of("path", "s3a://erin:inputPassValue20@bucket/data.csv", "bytes", 12L)));
    String shown = Redaction.record(record).toString();
    assertThat(shown).doesNotContainPattern(SECRET_SHAPE).contains("spark.app.name=x").contains("bytes=12")
        .contains("s3a://erin:" + Redaction.REPLACEMENT + "@bucket/data.csv");
  }
}
