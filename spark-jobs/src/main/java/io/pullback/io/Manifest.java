package io.pullback.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * The provenance record written as {@code manifest.json} with every run: the command and its full
 * resolved configuration, versions (Pullback and its git commit, Java, Scala, Spark), the BLAS in
 * use, the Spark master, application id and configuration (credentials redacted: {@link Redaction}), every input file with
 * its size and SHA-256 (skipped, with a note, past {@link #CHECKSUM_LIMIT_BYTES} in total), host, user,
 * and start/end times (UTC ISO-8601).
 */
public final class Manifest {
  /** Inputs larger than this in total are listed with sizes but not checksummed. */
  public static final long CHECKSUM_LIMIT_BYTES = 2L << 30;

  private final String command;
  private final Map<String, Object> config;
  private final Instant started = Instant.now();
  private final List<Map<String, Object>> inputs = new ArrayList<>();
  private final Map<String, Object> extra = new LinkedHashMap<>();
  private Instant finished;
  private Map<String, Object> spark = Map.of();
  private Map<String, Object> numerics = Map.of("blas", "unknown");

  private Manifest(String command, Map<String, Object> config) {
    this.command = command;
    this.config = config;
  }

  /** Starts a manifest for a command (the start time is now). */
  public static Manifest start(String command, Map<String, Object> resolvedConfig) {
    return new Manifest(command, resolvedConfig);
  }

  /** Records the input files (any Hadoop file system) with sizes and SHA-256 checksums. */
  public Manifest inputs(Configuration hadoopConf, List<String> paths) {
    long total = 0;
    List<FileStatus> statuses = new ArrayList<>();
    try {
      for (String p : paths) {
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(p);
        FileSystem fs = path.getFileSystem(hadoopConf);
        FileStatus st = fs.getFileStatus(path);
        statuses.add(st);
        total += st.getLen();
      }
      boolean checksum = total <= CHECKSUM_LIMIT_BYTES;
      for (FileStatus st : statuses) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("path", st.getPath().toString());
        entry.put("bytes", st.getLen());
        entry.put("modified", Instant.ofEpochMilli(st.getModificationTime()).toString());
        if (checksum) {
          FileSystem fs = st.getPath().getFileSystem(hadoopConf);
          try (InputStream in = fs.open(st.getPath())) {
            entry.put("sha256", sha256(in));
          }
        } else {
          entry.put("sha256", "skipped: inputs total " + total + " bytes, above the " + CHECKSUM_LIMIT_BYTES + "-byte checksum limit");
        }
        inputs.add(entry);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot describe the inputs for the manifest: " + e.getMessage(), e);
    }
    return this;
  }

  /** Adds an extra top-level entry. */
  public Manifest put(String key, Object value) {
    extra.put(key, value);
    return this;
  }

  /**
   * Marks the end time and records the session ({@code version}, {@code master}, {@code app_id} and
   * {@code conf}, whose secret-looking values are redacted here) and the numerical libraries in use
   * ({@code blas}, {@code lapack}, {@code native_libraries}: see {@code Blas.report()}).
   */
  @SuppressWarnings("unchecked")
  public Manifest finish(Map<String, Object> sparkInfo, Map<String, Object> numericLibraries) {
    finished = Instant.now();
    numerics = new LinkedHashMap<>(numericLibraries);
    Map<String, Object> s = new LinkedHashMap<>(sparkInfo);
    if (s.get("conf") instanceof Map<?, ?> conf) s.put("conf", Redaction.conf((Map<String, String>) conf));
    spark = s;
    return this;
  }

  /** The manifest as a JSON-ready map, credentials redacted ({@link Redaction#record}). */
  @SuppressWarnings("unchecked")
  public Map<String, Object> toMap() {
    return (Map<String, Object>) Redaction.record(unredacted());
  }

  private Map<String, Object> unredacted() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("command", command);
    m.put("config", config);
    Map<String, Object> versions = new LinkedHashMap<>();
    versions.put("pullback", BuildInfo.version());
    versions.put("git_commit", BuildInfo.gitCommit());
    versions.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
    versions.put("scala", scala.util.Properties.versionNumberString());
    versions.put("spark", spark.getOrDefault("version", "unknown"));
    m.put("versions", versions);
    m.putAll(numerics);
    m.put("spark", spark);
    m.put("inputs", inputs);
    m.put("host", RunLock.hostName());
    m.put("user", System.getProperty("user.name"));
    m.put("started", started.toString());
    m.put("finished", finished == null ? null : finished.toString());
    m.putAll(extra);
    return m;
  }

  /**
   * Writes {@code manifest.json} into {@code dir}, atomically, with the umask's mode like every
   * output ({@link Umask}): its credentials are redacted ({@link #toMap()}), so it needs no stricter
   * mode than the folder's other files (run with {@code umask 077} to keep a run folder private).
   */
  public void write(Location dir) {
    Json.writeJson(dir.resolve("manifest.json"), toMap());
  }

  /** The hex SHA-256 of everything {@code in} yields (read in 64 KiB chunks; not closed). */
  public static String sha256(InputStream in) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
