package io.pullback.bench;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

/**
 * Runs a Pullback class in a fresh JVM with this JVM's class path and Spark's module flags, for
 * measurements that need their own process: one BLAS per JVM (dev.ludovic.netlib picks it once), and
 * {@code local-cluster} masters (which need {@code SPARK_HOME} in the environment).
 */
final class ChildJvm {
  /** Output of a finished child. */
  record Result(int exitCode, String output) {
    /** The payload of the last line starting with {@code prefix}, or null. */
    String line(String prefix) {
      String found = null;
      for (String l : output.split("\n")) if (l.startsWith(prefix)) found = l.substring(prefix.length()).trim();
      return found;
    }
  }

  private ChildJvm() {}

  /** Every jar and folder on this JVM's class path (manifest-only jars expanded), plus the jar holding the bench. */
  static List<String> classPath() {
    Set<String> out = new LinkedHashSet<>();
    for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
      if (e.isBlank()) continue;
      out.add(e);
      expandManifest(Path.of(e), out);
    }
    Path own = ownLocation();
    if (own != null) out.add(own.toString());
    return new ArrayList<>(out);
  }

  /** The jar (or classes folder) holding the bench classes, or null when they do not come from a file. */
  static Path ownLocation() {
    try {
      var src = ChildJvm.class.getProtectionDomain().getCodeSource();
      return src == null ? null : Path.of(src.getLocation().toURI());
    } catch (URISyntaxException | RuntimeException notAFile) {
      return null;
    }
  }

  private static void expandManifest(Path jar, Set<String> out) {
    if (!jar.toString().endsWith(".jar") || !Files.isRegularFile(jar)) return;
    try (JarFile f = new JarFile(jar.toFile())) {
      var mf = f.getManifest();
      String cp = mf == null ? null : mf.getMainAttributes().getValue("Class-Path");
      if (cp == null) return;
      for (String u : cp.trim().split("\\s+")) {
        if (u.isBlank()) continue;
        try {
          Path p = u.startsWith("file:") ? Path.of(new java.net.URI(u)) : jar.getParent().resolve(u);
          out.add(p.toString());
        } catch (URISyntaxException | RuntimeException ignored) {
          // an entry that is not a file: skipped
        }
      }
    } catch (IOException ignored) {
      // unreadable jar: nothing to expand
    }
  }

  /**
   * The JVM flags to pass on: Spark's module flags and system properties of this JVM (not -Xmx, agents or debug
   * options); {@code --add-modules=jdk.incubator.vector} only when {@code vectorModule}.
   */
  static List<String> jvmFlags(boolean vectorModule) {
    List<String> out = new ArrayList<>();
    out.add("-XX:+IgnoreUnrecognizedVMOptions");
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("--sun-misc") || a.startsWith("--enable-native-access")
          || a.startsWith("-Dio.netty") || a.startsWith("-Dlog4j2.configurationFile") || a.startsWith("-Djava.io.tmpdir")) {
        out.add(a);
      }
    }
    if (vectorModule) out.add("--add-modules=jdk.incubator.vector");
    return out;
  }

  /** Runs {@code mainClass} and waits at most {@code timeoutSeconds}; stdout and stderr are merged into the log file. */
  static Result run(String mainClass, List<String> jvmArgs, List<String> args, Map<String, String> env, Path log, long timeoutSeconds)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(String.join(File.pathSeparator, classPath()));
    cmd.add(mainClass);
    cmd.addAll(args);
    Files.createDirectories(log.getParent());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
      return new Result(-1, Files.readString(log, StandardCharsets.UTF_8) + "\n(timed out after " + timeoutSeconds + " s)");
    }
    return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  /**
   * A Spark home for {@code local-cluster} masters: {@code dir/jars} holds links to every class path
   * jar of this JVM (Pullback's included, so executors load its classes).
   */
  static Path sparkHome(Path dir) throws IOException {
    Path jars = dir.resolve("jars");
    Files.createDirectories(jars);
    Files.createDirectories(dir.resolve("conf"));
    for (String e : classPath()) {
      Path p = Path.of(e);
      if (!e.endsWith(".jar") || !Files.isRegularFile(p)) continue;
      Path link = jars.resolve(p.getFileName().toString());
      if (Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
      try {
        Files.createSymbolicLink(link, p.toAbsolutePath());
      } catch (UnsupportedOperationException | IOException noLinks) {
        Files.copy(p, link);
      }
    }
    return dir;
  }
}
