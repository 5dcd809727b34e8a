package io.pullback.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The storage contract ({@link StorageContract}: every command's results bit-identical to the same
 * command with a local {@code --out}, inputs read from the store, refusals and failures leaving it
 * unchanged) against a real namenode and datanode ({@code MiniDFSCluster}, one per class,
 * 127.0.0.1); plus what is particular to HDFS URIs here: {@code file:} URIs and unknown schemes, and
 * an unreachable namenode.
 */
class HdfsStorageIT extends StorageContract {
  MiniDFSCluster cluster;
  FileSystem hdfs;
  String root;

  @BeforeAll
  void startHdfs() throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, Path.of("target", "minidfs-" + getClass().getSimpleName()).toAbsolutePath().toString());
    conf.setInt("dfs.replication", 1);
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    hdfs = cluster.getFileSystem();
    root = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
    // The cluster has one datanode: files the commands create must ask for one replica, or an append
    // (history.jsonl) finds its pipeline short of the default three and fails.
    spark.sparkContext().hadoopConfiguration().setInt("dfs.replication", 1);
  }

  @AfterAll
  void stopHdfs() {
    if (cluster != null) cluster.shutdown();
  }

  @Override
  String root() {
    return root;
  }

  @Override
  FileSystem fs() {
    return hdfs;
  }

  @Test
  void fileUrisAreTheLocalFileSystemAndUnknownSchemesAreRefused() throws Exception {
    Path target = dir.resolve("via-uri");
    Run r = pullback(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", target.toUri().toString()}, MLP));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(target.resolve("metric.npy")).isRegularFile();
    // s3a's connector is on this class path (as on bin/pullback's); Google Cloud Storage's is not.
    Run gs = pullback(concat(new String[] {"estimate", "--data", SYNTHETIC, "--out", "gs://bucket/x"}, MLP));
    assertThat(gs.exitCode()).as(gs.err()).isEqualTo(2);
    assertThat(gs.err()).contains("--out gs://bucket/x").contains("scheme 'gs'").contains("gcs-connector");
    Run odd = pullback(concat(new String[] {"train", "--data", SYNTHETIC, "--out", "nosuchfs://host/x"}, MLP));
    assertThat(odd.exitCode()).isEqualTo(2);
    assertThat(odd.err()).contains("scheme 'nosuchfs'");
    assertNoSchemeFolderLocally();
  }

  @Test
  void anUnreachableNamenodeFailsFastNamingTheUri() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    String out = "hdfs://127.0.0.1:" + port + "/x";
    for (String command : List.of("estimate", "train")) {
      long t0 = System.nanoTime();
      Run r = pullback(concat(new String[] {command, "--data", SYNTHETIC, "--out", out}, MLP));
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertThat(r.exitCode()).as(r.err()).isIn(2, 3);
      assertThat(r.err()).contains(out).doesNotContain("Exception:\n\tat");
      assertThat(seconds).as("seconds to fail").isLessThan(60);
    }
    assertNoSchemeFolderLocally();
  }
}
