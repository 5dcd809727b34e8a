package io.pullback.linalg;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import dev.ludovic.netlib.lapack.LAPACK;
import dev.ludovic.netlib.lapack.NativeLAPACK;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.netlib.util.intW;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BLAS and LAPACK implementations Pullback uses, chosen together once per JVM (driver and every
 * executor) before {@code dev.ludovic.netlib} picks its instances, and logged.
 *
 * <p><b>One native numerical library per process.</b> netlib's BLAS and LAPACK bindings each load a
 * native library of their own ({@code libblas.so.3} and {@code liblapack.so.3} unless told
 * otherwise). If BLAS came from the OpenBLAS jar while LAPACK loaded the system's
 * {@code liblapack.so.3} (on Debian, with {@code libopenblas0} installed, that drags in the system's
 * {@code libopenblas.so.0}), two OpenBLAS builds would share one process, which crashes (SIGSEGV in
 * {@code dpotrf}). So the selection below always points LAPACK at the same library as BLAS: the
 * extracted jar OpenBLAS (which carries LAPACK) for {@code openblas-jar}; the system's
 * {@code liblapack.so.3} (or {@code -Ddev.ludovic.netlib.lapack.nativeLibPath}) only together with
 * the system BLAS; Java LAPACK whenever BLAS is Java. ARPACK (not used by Pullback, possibly by
 * MLlib) is native only with {@code system}. Code must take LAPACK from {@link #lapack()}, never from
 * {@code LAPACK.getInstance()} directly, so the selection happens first.
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
  /**
   * netlib announces its choice through java.util.logging at INFO ("Using dev.ludovic.netlib.blas.JNIBLAS", in
   * JUL's two-line format); Pullback logs the choice itself ({@link #select}), so netlib's JUL loggers keep only
   * warnings. Held here: JUL keeps loggers weakly, and a collected one would lose its level.
   */
  private static final java.util.logging.Logger NETLIB_JUL = quietNetlibJul();

  /** System property choosing the BLAS: {@code auto}, {@code openblas-jar}, {@code system}, {@code java}. */
  public static final String PROPERTY = "pullback.blas";
  /** dev.ludovic.netlib's property naming the native BLAS library file. */
  public static final String NATIVE_LIB_PATH = "dev.ludovic.netlib.blas.nativeLibPath";
  /** dev.ludovic.netlib's property naming the native LAPACK library file. */
  public static final String LAPACK_NATIVE_LIB_PATH = "dev.ludovic.netlib.lapack.nativeLibPath";
  private static final String BLAS_ALLOW_NATIVE = "dev.ludovic.netlib.blas.allowNative";
  private static final String LAPACK_ALLOW_NATIVE = "dev.ludovic.netlib.lapack.allowNative";
  private static final String ARPACK_ALLOW_NATIVE = "dev.ludovic.netlib.arpack.allowNative";
  /** Where org.bytedeco:openblas keeps its Linux x86-64 libraries inside its jar. */
  static final String JAR_DIR = "org/bytedeco/openblas/linux-x86_64/";
  private static final String[] JAR_LIBS = {"libopenblas.so.0", "libgfortran.so.5", "libquadmath.so.0", "libgcc_s.so.1"};

  /**
   * What was asked for, what is in use for BLAS and for LAPACK, and from which library (null for a
   * Java implementation).
   */
  public record Selection(String requested, String implementation, String library,
                          String lapackImplementation, String lapackLibrary) {
    /** BLAS, e.g. {@code JNIBLAS (openblas-jar: /tmp/pullback-openblas-…/libopenblas.so.0)}. */
    public String describe() {
      return library == null ? implementation : implementation + " (" + library + ")";
    }

    /** LAPACK, e.g. {@code JNILAPACK (openblas-jar: /tmp/pullback-openblas-…/libopenblas.so.0)}. */
    public String describeLapack() {
      return lapackLibrary == null ? lapackImplementation : lapackImplementation + " (" + lapackLibrary + ")";
    }
  }

  private static final class Holder {
    static final Selection SELECTION = select();
    static final BLAS INSTANCE = BLAS.getInstance();
    static final LAPACK LAPACK_INSTANCE = LAPACK.getInstance();
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

  /** The LAPACK instance in use, from the same library as {@link #get()} (selected on first call). */
  public static LAPACK lapack() {
    return Holder.LAPACK_INSTANCE;
  }

  /** True when a native library is in use. */
  public static boolean isNative() {
    return get() instanceof NativeBLAS;
  }

  /** For logs and manifests: the LAPACK in use and its library. */
  public static String lapackImplementationName() {
    return selection().describeLapack();
  }

  /**
   * What a summary or manifest records about the numerical libraries: {@code blas}, {@code lapack}
   * (implementation and library) and {@code native_libraries}, the BLAS/LAPACK/OpenBLAS files this
   * process has mapped (from {@code /proc/self/maps}; empty where that file does not exist).
   */
  public static Map<String, Object> report() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("blas", implementationName());
    m.put("lapack", lapackImplementationName());
    m.put("native_libraries", mappedNumericLibraries());
    return m;
  }

  /**
   * The distinct files mapped into this process whose name says BLAS, LAPACK or OpenBLAS
   * ({@code libblas*}, {@code liblapack*}, {@code libopenblas*}), read from {@code /proc/self/maps};
   * netlib's own JNI shims ({@code libnetlib*jni}) are left out. One OpenBLAS build serves the process
   * when at most one {@code libopenblas*} file is in the list. Empty where {@code /proc} is absent.
   */
  public static List<String> mappedNumericLibraries() {
    Path maps = Path.of("/proc/self/maps");
    TreeSet<String> found = new TreeSet<>();
    if (!Files.isReadable(maps)) return List.of();
    try {
      for (String line : Files.readAllLines(maps)) {
        int slash = line.indexOf('/');
        if (slash < 0) continue;
        String path = line.substring(slash).trim();
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (name.startsWith("libnetlib")) continue;
        if (name.startsWith("libblas") || name.startsWith("liblapack") || name.startsWith("libopenblas")) found.add(path);
      }
    } catch (IOException e) {
      LOG.debug("cannot read {}: {}", maps, e.getMessage());
    }
    return new ArrayList<>(found);
  }

  /** For logs and manifests, e.g. {@code JNIBLAS (openblas-jar: …/libopenblas.so.0)} or {@code VectorBLAS}. */
  public static String implementationName() {
    return selection().describe();
  }

  /** The Java implementation in this JVM ({@code VectorBLAS} when the incubator module is on). */
  public static BLAS java() {
    return JavaBLAS.getInstance();
  }

  private static java.util.logging.Logger quietNetlibJul() {
    java.util.logging.Logger netlib = java.util.logging.Logger.getLogger("dev.ludovic.netlib");
    netlib.setLevel(java.util.logging.Level.WARNING);
    return netlib;
  }

  private static Selection select() {
    NETLIB_JUL.fine("selecting BLAS and LAPACK");
    String requested = System.getProperty(PROPERTY);
    if (requested == null || requested.isBlank()) requested = System.getenv("PULLBACK_BLAS");
    if (requested == null || requested.isBlank()) requested = "auto";
    requested = requested.trim().toLowerCase(Locale.ROOT);
    String library;
    String lapackLibrary;
    switch (requested) {
      case "java" -> {
        System.setProperty(BLAS_ALLOW_NATIVE, "false");
        library = null;
        lapackLibrary = null;
      }
      case "system" -> {
        boolean pathGiven = System.getProperty(NATIVE_LIB_PATH) != null;
        library = System.getProperty(NATIVE_LIB_PATH, "libblas.so.3");
        lapackLibrary = lapackBesideBlas(pathGiven);
      }
      case "openblas-jar", "auto" -> {
        boolean pathGiven = System.getProperty(NATIVE_LIB_PATH) != null;
        Path lib = !pathGiven || requested.equals("openblas-jar") ? extractOpenBlasJar() : null;
        if (lib != null) {
          System.setProperty(NATIVE_LIB_PATH, lib.toString());
          library = "openblas-jar: " + lib;
          // The jar's OpenBLAS carries LAPACK: one library serves both, whatever liblapack.so.3 is.
          System.setProperty(LAPACK_NATIVE_LIB_PATH, lib.toString());
          lapackLibrary = library;
        } else {
          if (requested.equals("openblas-jar")) {
            LOG.warn("-D{}=openblas-jar: org.bytedeco:openblas (linux-x86_64) is not on the classpath or cannot be extracted; "
                + "falling back to the system BLAS", PROPERTY);
          }
          library = System.getProperty(NATIVE_LIB_PATH, "libblas.so.3");
          lapackLibrary = lapackBesideBlas(pathGiven);
        }
      }
      default -> {
        LOG.warn("-D{}={} is not valid (auto, openblas-jar, system, java); using auto", PROPERTY, requested);
        return selectAs("auto");
      }
    }
    if (!requested.equals("system")) System.setProperty(ARPACK_ALLOW_NATIVE, "false");
    BLAS instance = BLAS.getInstance();
    String impl = instance.getClass().getSimpleName();
    if (!(instance instanceof NativeBLAS)) {
      if (!requested.equals("java") && library != null) {
        LOG.info("Native BLAS ({}) did not load; using {}{}", library, impl, impl.equals("VectorBLAS") ? ""
            : " (bin/pullback starts the JVM with --add-modules=jdk.incubator.vector, for VectorBLAS, only with PULLBACK_BLAS=java)");
      }
      library = null;
      // Java BLAS: LAPACK must not bring a native BLAS of its own into the process.
      System.setProperty(LAPACK_ALLOW_NATIVE, "false");
      lapackLibrary = null;
    }
    LAPACK lapack = LAPACK.getInstance();
    String lapackImpl = lapack.getClass().getSimpleName();
    if (!(lapack instanceof NativeLAPACK)) {
      if (lapackLibrary != null) LOG.info("Native LAPACK ({}) did not load; using {}", lapackLibrary, lapackImpl);
      lapackLibrary = null;
    } else {
      requireWorkingLapack(lapack, lapackLibrary);
    }
    Selection s = new Selection(requested, impl, library, lapackImpl, lapackLibrary);
    LOG.info("BLAS: {}; LAPACK: {} (requested: {}; OPENBLAS_NUM_THREADS={}; mapped: {})", s.describe(), s.describeLapack(),
        requested, System.getenv("OPENBLAS_NUM_THREADS"), mappedNumericLibraries());
    return s;
  }

  private static Selection selectAs(String value) {
    System.setProperty(PROPERTY, value);
    return select();
  }

  /**
   * The LAPACK library that goes with a system BLAS: the one named by
   * {@code -Ddev.ludovic.netlib.lapack.nativeLibPath}; else, when a BLAS file was named, that same
   * file (OpenBLAS, MKL and BLIS-with-FLAME builds carry LAPACK; one file means one build); else the
   * system's {@code liblapack.so.3}, which on Debian's alternatives belongs to the same provider as
   * {@code libblas.so.3}.
   */
  private static String lapackBesideBlas(boolean blasPathGiven) {
    String explicit = System.getProperty(LAPACK_NATIVE_LIB_PATH);
    if (explicit != null) return explicit;
    if (blasPathGiven) {
      String same = System.getProperty(NATIVE_LIB_PATH);
      System.setProperty(LAPACK_NATIVE_LIB_PATH, same);
      return same;
    }
    return "liblapack.so.3";
  }

  /**
   * Checks, once, that the native LAPACK answers (a 1×1 Cholesky of 4 is 2): a library named for
   * BLAS that lacks LAPACK's symbols fails here with a message, not later inside a solve.
   */
  private static void requireWorkingLapack(LAPACK lapack, String library) {
    double[] a = {4.0};
    intW info = new intW(0);
    try {
      lapack.dpotrf("U", 1, a, 1, info);
    } catch (RuntimeException e) {
      throw new IllegalStateException("the native LAPACK (" + library + ") does not provide dpotrf: " + e.getMessage()
          + "; name a library that carries LAPACK with -D" + LAPACK_NATIVE_LIB_PATH + "=FILE, or use -D" + PROPERTY + "=java", e);
    }
    if (info.val != 0 || a[0] != 2.0) {
      throw new IllegalStateException("the native LAPACK (" + library + ") gave dpotrf([4]) = " + a[0] + " (info " + info.val
          + "); expected 2. Use -D" + PROPERTY + "=java or name another library with -D" + LAPACK_NATIVE_LIB_PATH);
    }
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
