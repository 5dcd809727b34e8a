package io.pullback.io;

import io.pullback.PullbackException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/**
 * A file or folder on any Hadoop file system: every read and write of Pullback's outputs (run
 * folders, checkpoints, manifests, plots) and of its small inputs ({@code --params}, {@code --config},
 * experiment files) goes through one of these, i.e. through Hadoop's {@link FileSystem}.
 *
 * <p><b>Which file system.</b> A plain path or a {@code file:} URI is the local file system, used
 * through Hadoop's raw local file system (no {@code .crc} side files, so a local run folder is
 * byte-for-byte what it was before Hadoop was involved): {@code file:///tmp/x} is {@code /tmp/x}.
 * Any other scheme ({@code hdfs://}, {@code s3a://}, {@code gs://}, {@code abfs://}) is the file
 * system Hadoop's configuration maps it to; a scheme without a connector on the class path is a
 * usage error (exit 2) naming the scheme and the jar that provides it ({@link #CONNECTORS}).
 *
 * <p><b>Two kinds of store</b> ({@link #atomicRename()}): on the local file system and HDFS a
 * rename is atomic and is how files and folders are published (temporary name, then rename); on
 * object stores (S3A, GCS, ABFS, …) a rename is a copy, so files are written in place (one object
 * PUT is atomic) and a folder is published by a commit marker written last ({@link Publication}).
 *
 * <p><b>Permissions.</b> Files and folders are created with the process umask's modes ({@link Umask}):
 * Hadoop's local file system is configured with it, and other stores get it as
 * {@value Umask#HADOOP_KEY} unless the configuration sets that.
 *
 * <p>{@link #toString()} is the location as the user wrote it (for a local path, exactly the
 * {@code java.nio} spelling), so messages name what the user typed. Every operation costs one
 * file-system call (a round trip to the namenode or the object store), except
 * {@link #deleteRecursively()} and {@link #list()} (one call, the store walks the tree).
 * I/O failures are {@link UncheckedIOException}s naming the location.
 */
public final class Location {
  /** Object-store schemes: rename is a copy, so folders are published with a commit marker. */
  static final Set<String> OBJECT_STORES = Set.of("s3a", "s3", "s3n", "gs", "abfs", "abfss", "wasb", "wasbs", "oss", "cos", "cosn", "obs");

  /** The jar that provides each well-known scheme's connector (for the message when it is missing). */
  static final Map<String, String> CONNECTORS = Map.of(
      "s3a", "org.apache.hadoop:hadoop-aws (with its AWS SDK bundle software.amazon.awssdk:bundle)",
      "s3", "org.apache.hadoop:hadoop-aws (its scheme is s3a://)",
      "gs", "com.google.cloud.bigdataoss:gcs-connector (the shaded hadoop3 jar)",
      "abfs", "org.apache.hadoop:hadoop-azure",
      "abfss", "org.apache.hadoop:hadoop-azure",
      "wasb", "org.apache.hadoop:hadoop-azure",
      "wasbs", "org.apache.hadoop:hadoop-azure",
      "oss", "org.apache.hadoop:hadoop-aliyun");

  private static final RawLocalFileSystem LOCAL = newLocal();

  private final FileSystem fs;
  private final org.apache.hadoop.fs.Path path;
  private final String shown;
  private final java.nio.file.Path local;
  /** The parameter it came from (for messages), or null. */
  private final String parameter;

  private Location(FileSystem fs, org.apache.hadoop.fs.Path path, String shown, java.nio.file.Path local) {
    this(fs, path, shown, local, null);
  }

  private Location(FileSystem fs, org.apache.hadoop.fs.Path path, String shown, java.nio.file.Path local, String parameter) {
    this.fs = fs;
    this.path = path;
    this.shown = shown;
    this.local = local;
    this.parameter = parameter;
  }

  private static RawLocalFileSystem newLocal() {
    RawLocalFileSystem fs = new RawLocalFileSystem();
    try {
      Configuration conf = new Configuration(false);
      conf.set(Umask.HADOOP_KEY, Umask.octal()); // Hadoop would apply its own 022, not the process umask
      fs.initialize(URI.create("file:///"), conf);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return fs;
  }

  /** The Hadoop path of an absolute local path (no trailing slash, whether or not it is a folder). */
  private static org.apache.hadoop.fs.Path localHadoopPath(java.nio.file.Path abs) {
    return new org.apache.hadoop.fs.Path("file", null, abs.toString());
  }

  /** A local path (relative paths against the working directory); shown as {@code p} is spelled. */
  public static Location local(java.nio.file.Path p) {
    java.nio.file.Path abs = p.toAbsolutePath().normalize();
    return new Location(LOCAL, localHadoopPath(abs), p.toString(), abs);
  }

  /**
   * The location a user wrote: a plain path or {@code file:} URI (local), or a URI of a Hadoop file
   * system, resolved with {@code conf}.
   *
   * @param conf the Hadoop configuration (of the run context); may be null when {@code text} is local
   * @param parameter the library name of the parameter it came from, for messages ({@code out}, {@code params})
   * @throws PullbackException (exit 2) for a malformed URI or a scheme without connector
   */
  public static Location of(String text, Configuration conf, String parameter) {
    String scheme = schemeOf(text);
    if (scheme == null) return local(java.nio.file.Path.of(text));
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw PullbackException.usage("{" + parameter + "} " + text + " is not a valid URI: " + e.getMessage());
    }
    if (scheme.equals("file")) {
      if (uri.getPath() == null || uri.getPath().isEmpty()) {
        throw PullbackException.usage("{" + parameter + "} " + text + " has no path; write file:///absolute/path or a plain path");
      }
      java.nio.file.Path p = java.nio.file.Path.of(uri.getPath());
      return new Location(LOCAL, localHadoopPath(p.toAbsolutePath().normalize()), text, p.toAbsolutePath().normalize());
    }
    FileSystem fs;
    try {
      fs = FileSystem.get(uri, Umask.applyTo(StoreTimeouts.applied(conf)));
    } catch (UnsupportedFileSystemException e) {
      throw noConnector(parameter, text, scheme);
    } catch (IOException | RuntimeException e) {
      if (missingConnector(e)) throw noConnector(parameter, text, scheme);
      throw PullbackException.usage("{" + parameter + "} " + text + ": cannot open its file system: " + e.getMessage());
    }
    org.apache.hadoop.fs.Path p = fs.makeQualified(new org.apache.hadoop.fs.Path(uri));
    return new Location(fs, p, text, null, parameter);
  }

  /** Whether {@code e} says the scheme's file-system class is unknown or not on the class path. */
  private static boolean missingConnector(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof UnsupportedFileSystemException || t instanceof ClassNotFoundException || t instanceof NoClassDefFoundError) return true;
      if (t.getMessage() != null && t.getMessage().contains("No FileSystem for scheme")) return true;
    }
    return false;
  }

  private static PullbackException noConnector(String parameter, String text, String scheme) {
    String jar = CONNECTORS.getOrDefault(scheme, "the Hadoop connector jar for '" + scheme + ":'");
    return PullbackException.usage("{" + parameter + "} " + text + ": no Hadoop file system for scheme '" + scheme
        + "' on the class path; add " + jar + " (e.g. spark-submit --packages), or use a local path, file:// or hdfs://");
  }

  /**
   * A location as written on a command line, normalised the way a {@code java.nio} path is spelled
   * ({@code res/} → {@code res}) when it is a plain path; a URI is kept as written.
   */
  public static String spelling(String text) {
    if (text == null) return null;
    return schemeOf(text) == null ? java.nio.file.Path.of(text).toString() : text;
  }

  /** Whether {@code text} names the local file system (a plain path or a {@code file:} URI). */
  public static boolean isLocal(String text) {
    String scheme = schemeOf(text);
    return scheme == null || scheme.equals("file");
  }

  /**
   * The scheme of {@code text} when it is a URI ({@code scheme:…} with a scheme of two or more
   * letters, so a Windows drive {@code C:} stays a path), lower case; else null. A colon after the
   * first slash ({@code runs/a:b}) is part of a path.
   */
  static String schemeOf(String text) {
    int colon = text.indexOf(':');
    if (colon < 2) return null;
    int slash = text.indexOf('/');
    if (slash >= 0 && slash < colon) return null;
    String s = text.substring(0, colon);
    if (!s.matches("[A-Za-z][A-Za-z0-9+.-]*")) return null;
    return s.toLowerCase(Locale.ROOT);
  }

  /** Whether this is on the local file system. */
  public boolean isLocal() {
    return local != null;
  }

  /** The local path (absolute, normalised); null for other file systems. */
  public java.nio.file.Path localPath() {
    return local;
  }

  /** Whether a rename on this store is atomic (local, HDFS), as opposed to an object store's copy. */
  public boolean atomicRename() {
    return !OBJECT_STORES.contains(scheme());
  }

  /** The scheme of the file system ({@code file}, {@code hdfs}, {@code s3a}, …). */
  public String scheme() {
    return path.toUri().getScheme() == null ? "file" : path.toUri().getScheme().toLowerCase(Locale.ROOT);
  }

  /** The fully qualified URI (for Spark's readers and writers). */
  public String uri() {
    return path.toUri().toString();
  }

  /** The Hadoop path (qualified). */
  public org.apache.hadoop.fs.Path hadoopPath() {
    return path;
  }

  /** The last name of the path ({@code x} for {@code hdfs://nn/a/x}). */
  public String name() {
    return path.getName();
  }

  /** {@code this/name}; {@code name} is a relative name, possibly with {@code /} (the caller checks where it leads). */
  public Location resolve(String name) {
    if (local != null) {
      java.nio.file.Path child = local.resolve(name).normalize();
      String base = schemeOf(shown) == null ? shown : local.toString(); // children of file:///x are shown as local paths
      return new Location(LOCAL, localHadoopPath(child), java.nio.file.Path.of(base).resolve(name).toString(), child);
    }
    return new Location(fs, new org.apache.hadoop.fs.Path(path, name), shown.endsWith("/") ? shown + name : shown + "/" + name, null, parameter);
  }

  /** The folder this is in; null at a root. */
  public Location parent() {
    org.apache.hadoop.fs.Path p = path.getParent();
    if (p == null) return null;
    if (local != null) {
      java.nio.file.Path lp = local.getParent();
      return new Location(LOCAL, p, lp.toString(), lp);
    }
    String s = shown.endsWith("/") ? shown.substring(0, shown.length() - 1) : shown;
    int slash = s.lastIndexOf('/');
    return new Location(fs, p, slash > 0 ? s.substring(0, slash) : p.toString(), null, parameter);
  }

  /** This location shown absolute (local: the absolute normalised path; elsewhere the qualified URI). */
  public Location absolute() {
    return local != null ? new Location(LOCAL, path, local.toString(), local) : new Location(fs, path, shown, null, parameter);
  }

  /** Its status, or null when nothing is there. */
  private FileStatus status() {
    try {
      return fs.getFileStatus(path);
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw failure("cannot read", e);
    }
  }

  public boolean exists() {
    return status() != null;
  }

  public boolean isDirectory() {
    FileStatus s = status();
    return s != null && s.isDirectory();
  }

  public boolean isFile() {
    FileStatus s = status();
    return s != null && s.isFile();
  }

  /** The size of a file in bytes. */
  public long length() {
    FileStatus s = status();
    if (s == null) throw new UncheckedIOException(new FileNotFoundException(shown + " does not exist"));
    return s.getLen();
  }

  /** The entries of a folder, sorted by name (empty when it does not exist). */
  public List<Location> list() {
    FileStatus[] entries;
    try {
      entries = fs.listStatus(path);
    } catch (FileNotFoundException e) {
      return List.of();
    } catch (IOException e) {
      throw failure("cannot list", e);
    }
    List<Location> out = new ArrayList<>();
    for (FileStatus st : entries) out.add(resolve(st.getPath().getName()));
    out.sort(Comparator.comparing(Location::name));
    return out;
  }

  /** Creates the folder and its parents (nothing when it exists). */
  public void mkdirs() {
    try {
      if (!fs.mkdirs(path)) throw new IOException("mkdirs returned false");
    } catch (IOException e) {
      throw failure("cannot create folder", e);
    }
  }

  /** Deletes this file or folder with everything in it (nothing when absent; symbolic links are removed, not followed). */
  public void deleteRecursively() {
    try {
      fs.delete(path, true);
    } catch (FileNotFoundException e) {
      // already gone
    } catch (IOException e) {
      throw failure("cannot delete", e);
    }
  }

  /**
   * Creates this file with {@code content} only if nothing is there, atomically: {@code O_CREAT|O_EXCL}
   * on the local file system, {@code create(overwrite = false)} elsewhere (atomic on HDFS; on object
   * stores only with conditional writes). Creates the parents. Returns false when it already exists.
   */
  public boolean createNew(byte[] content) {
    try {
      if (local != null) {
        java.nio.file.Files.createDirectories(local.getParent());
        java.nio.file.Files.write(local, content, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
        return true;
      }
      try (OutputStream out = fs.create(path, false)) {
        out.write(content);
      }
      return true;
    } catch (java.nio.file.FileAlreadyExistsException | org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      throw failure("cannot create", e);
    }
  }

  /** Opens a file for reading. */
  public InputStream open() throws IOException {
    return fs.open(path);
  }

  /** Creates (or replaces) a file, creating its parents; not atomic by itself (see {@link AtomicFiles}). */
  public OutputStream create() throws IOException {
    return fs.create(path, true);
  }

  /** Appends to a file (creating it), where the store can; an object store rewrites the object. */
  public void append(byte[] bytes) {
    try {
      if (atomicRename() && exists()) {
        try (OutputStream out = fs.append(path)) {
          out.write(bytes);
        }
        return;
      }
      byte[] before = exists() ? readBytes() : new byte[0];
      try (OutputStream out = create()) {
        out.write(before);
        out.write(bytes);
      }
    } catch (IOException e) {
      if (unreachable(e)) throw failure("cannot append to", e);
      throw AtomicFiles.writeFailure(this, e);
    }
  }

  /** The whole content of a file. */
  public byte[] readBytes() throws IOException {
    try (InputStream in = open()) {
      return in.readAllBytes();
    }
  }

  /** The content of a UTF-8 text file. */
  public String readString() throws IOException {
    return new String(readBytes(), StandardCharsets.UTF_8);
  }

  /**
   * Renames this to {@code target} on the same file system, replacing a file there (atomic on the
   * local file system and HDFS).
   */
  public void renameTo(Location target, boolean replace) throws IOException {
    if (local != null) {
      // rename(2): atomic, replaces a file
      if (!LOCAL.rename(path, target.path)) throw new IOException("rename to " + target + " failed");
      return;
    }
    if (replace) {
      FileContext.getFileContext(fs.getUri(), fs.getConf()).rename(path, target.path, Options.Rename.OVERWRITE);
    } else if (!fs.rename(path, target.path)) {
      throw new IOException("rename to " + target + " failed");
    }
  }

  /**
   * An I/O failure as an exception: a store that cannot be reached (connection refused or timed
   * out, unknown host, missing bucket) is a configuration error (exit 2) naming this location;
   * anything else an {@link UncheckedIOException}.
   */
  private RuntimeException failure(String what, IOException e) {
    if (unreachable(e)) {
      return new PullbackException(PullbackException.USAGE, (parameter == null ? "" : "{" + parameter + "} ") + shown
          + ": cannot reach or use its file system (" + firstLine(e) + "); check the URI, the credentials and that the namenode or bucket is up", e);
    }
    return new UncheckedIOException(what + " " + shown + ": " + e.getMessage(), e);
  }

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /** Whether {@code e} (or a cause) says the store itself cannot be reached. */
  static boolean unreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
          || t instanceof java.net.NoRouteToHostException || t instanceof java.net.SocketTimeoutException
          || t instanceof org.apache.hadoop.net.ConnectTimeoutException) {
        return true;
      }
      String name = t.getClass().getSimpleName();
      if (name.equals("UnknownStoreException") || name.equals("AWSClientIOException") || name.equals("SdkClientException")) return true;
      if (t.getCause() == t) break;
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Location l && l.path.equals(path);
  }

  @Override
  public int hashCode() {
    return path.hashCode();
  }

  /** The location as the user wrote it. */
  @Override
  public String toString() {
    return shown;
  }
}
