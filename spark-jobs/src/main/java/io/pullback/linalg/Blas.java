package io.pullback.linalg;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BLAS implementation Pullback uses, chosen once per JVM (driver and every executor) before
 * {@code dev.ludovic.netlib} picks its instance, and logged.
 *
 * <p>Choice, from the system property {@code pullback.blas} (or the environment variable
 * {@code PULLBACK_BLAS}; default {@code auto}):
 * <ul>
 *   <li>{@code openblas-jar}: the current OpenBLAS shipped inside the Maven artifact
 *       {@code org.bytedeco:openblas:…:linux-x86_64}, when that jar is on the classpath: its
 *       {@code libopenblas.so.0} (and the {@code libgfortran} it needs) is extracted once into
 *       {@code java.io.tmpdir} and handed to {@code dev.ludovic.netlib}'s JNI binding through
 *       {@code dev.ludovic.netlib.blas.nativeLibPath};</li>
 *   <li>{@code system}: {@code dev.ludovic.netlib}'s default: the system {@code libblas.so.3}
 *       (or {@code -Ddev.ludovic.netlib.blas.nativeLibPath=…}) through JNI when it loads, else Java;</li>
 *   <li>{@code java}: the Java implementation ({@code VectorBLAS} with
 *       {@code --add-modules jdk.incubator.vector}, else plain Java);</li>
 *   <li>{@code auto}: {@code openblas-jar} when the jar is on the classpath (Linux x86-64) and no
 *       {@code nativeLibPath} was given, else {@code system}. The jar comes first because it is known
 *       to be a current, optimised OpenBLAS; a system {@code libblas.so.3} may be the slow reference
 *       BLAS.</li>
 * </ul>
 * The choice only takes effect if nothing in the JVM used {@code dev.ludovic.netlib} before
 * (Pullback calls {@link #get()} first in its commands and tasks). OpenBLAS starts one thread per
 * core in every call unless {@code OPENBLAS_NUM_THREADS} says otherwise: with several Spark tasks
 * per JVM set it to 1 ({@code bin/pullback} does; on a cluster use
 * {@code spark.executorEnv.OPENBLAS_NUM_THREADS=1}).
 */
public final class Blas {
  private static final Logger LOG = LoggerFactory.getLogger(Blas.class);

  /** System property choosing the BLAS: {@code auto}, {@code openblas-jar}, {@code system}, {@code java}. */
  public static final String PROPERTY = "pullback.blas";
  /** dev.ludovic.netlib's property naming the native library file. */
  public static final String NATIVE_LIB_PATH = "dev.ludovic.netlib.blas.nativeLibPath";
  /** Where org.bytedeco:openblas keeps its Linux x86-64 libraries inside its jar. */
  static final String JAR_DIR = "org/bytedeco/openblas/linux-x86_64/";
  private static final String[] JAR_LIBS = {"libopenblas.so.0", "libgfortran.so.5", "libquadmath.so.0", "libgcc_s.so.1"};

  /** What was asked for, what is in use, and from which library. */
  public record Selection(String requested, String implementation, String library) {
    /** E.g. {@code JNIBLAS (openblas-jar: /tmp/pullback-openblas-…/libopenblas.so.0)}. */
    public String describe() {
      return library == null ? implementation : implementation + " (" + library + ")";
    }
  }

  private static final class Holder {
    static final Selection SELECTION = select();
    static final BLAS INSTANCE = BLAS.getInstance();
  }

  private Blas() {}

  /** The BLAS instance in use (selected on first call). */
  public static BLAS get() {
    return Holder.INSTANCE;
  }

  /** The selection made for this JVM (selects on first call). */
  public static Selection selection() {
    return Holder.SELECTION;
  }

  /** True when a native library is in use. */
  public static boolean isNative() {
    return get() instanceof NativeBLAS;
  }

  /** For logs and manifests, e.g. {@code JNIBLAS (openblas-jar: …/libopenblas.so.0)} or {@code VectorBLAS}. */
  public static String implementationName() {
    return selection().describe();
  }

  /** The Java implementation in this JVM ({@code VectorBLAS} when the incubator module is on). */
  public static BLAS java() {
    return JavaBLAS.getInstance();
  }

  private static Selection select() {
    String requested = System.getProperty(PROPERTY);
    if (requested == null || requested.isBlank()) requested = System.getenv("PULLBACK_BLAS");
    if (requested == null || requested.isBlank()) requested = "auto";
    requested = requested.trim().toLowerCase(Locale.ROOT);
    String library = null;
    switch (requested) {
      case "java" -> System.setProperty("dev.ludovic.netlib.blas.allowNative", "false");
      case "system" -> library = System.getProperty(NATIVE_LIB_PATH, "libblas.so.3");
      case "openblas-jar", "auto" -> {
        Path lib = System.getProperty(NATIVE_LIB_PATH) == null || requested.equals("openblas-jar") ? extractOpenBlasJar() : null;
        if (lib != null) {
          System.setProperty(NATIVE_LIB_PATH, lib.toString());
          library = "openblas-jar: " + lib;
        } else {
          if (requested.equals("openblas-jar")) {
            LOG.warn("-D{}=openblas-jar: org.bytedeco:openblas (linux-x86_64) is not on the classpath or cannot be extracted; "
                + "falling back to the system BLAS", PROPERTY);
          }
          library = System.getProperty(NATIVE_LIB_PATH, "libblas.so.3");
        }
      }
      default -> {
        LOG.warn("-D{}={} is not valid (auto, openblas-jar, system, java); using auto", PROPERTY, requested);
        return selectAs("auto");
      }
    }
    BLAS instance = BLAS.getInstance();
    String impl = instance.getClass().getSimpleName();
    if (!(instance instanceof NativeBLAS)) {
      if (!requested.equals("java") && library != null) {
        LOG.info("Native BLAS ({}) did not load; using {}", library, impl);
      }
      library = null;
    }
    Selection s = new Selection(requested, impl, library);
    LOG.info("BLAS: {} (requested: {}; OPENBLAS_NUM_THREADS={})", s.describe(), requested, System.getenv("OPENBLAS_NUM_THREADS"));
    return s;
  }

  private static Selection selectAs(String value) {
    System.setProperty(PROPERTY, value);
    return select();
  }

  /**
   * Extracts the OpenBLAS libraries of the org.bytedeco:openblas jar into
   * {@code java.io.tmpdir/pullback-openblas-HASH/} (once per jar and machine; later JVMs reuse it).
   * Returns the path of {@code libopenblas.so.0}, or null when the jar is absent or this is not
   * Linux x86-64.
   */
  public static Path extractOpenBlasJar() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "");
    if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) return null;
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) loader = Blas.class.getClassLoader();
    URL main = loader.getResource(JAR_DIR + JAR_LIBS[0]);
    if (main == null) main = Blas.class.getClassLoader().getResource(JAR_DIR + JAR_LIBS[0]);
    if (main == null) return null;
    try {
      long size = size(main);
      Path dir = Path.of(System.getProperty("java.io.tmpdir"))
          .resolve("pullback-openblas-" + Integer.toHexString(main.toString().hashCode()) + "-" + size);
      Path lib = dir.resolve(JAR_LIBS[0]);
      if (Files.isRegularFile(lib) && Files.size(lib) == size) return lib;
      Files.createDirectories(dir.getParent());
      Path tmp = Files.createTempDirectory(dir.getParent(), "pullback-openblas-extract-");
      for (String name : JAR_LIBS) {
        URL url = new URL(main, name);
        try (InputStream in = url.openStream()) {
          Files.copy(in, tmp.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException missing) {
          if (name.equals(JAR_LIBS[0])) throw missing; // the helpers may come from the system
        }
      }
      try {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException raced) {
        // Another JVM extracted it first: use theirs.
        try (var files = Files.list(tmp)) {
          for (Path p : (Iterable<Path>) files::iterator) Files.deleteIfExists(p);
        }
        Files.deleteIfExists(tmp);
      }
      return Files.isRegularFile(lib) ? lib : null;
    } catch (IOException e) {
      LOG.warn("Cannot extract OpenBLAS from the org.bytedeco:openblas jar ({}): {}", main, e.getMessage());
      return null;
    }
  }

  private static long size(URL url) throws IOException {
    URLConnection c = url.openConnection();
    long n = c.getContentLengthLong();
    if (n >= 0) return n;
    try (InputStream in = c.getInputStream()) {
      return in.transferTo(java.io.OutputStream.nullOutputStream());
    }
  }
}
