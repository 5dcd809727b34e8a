package io.pullback.linalg;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;

/**
 * The BLAS implementation Pullback uses, chosen once per JVM by {@code dev.ludovic.netlib}
 * (native {@code libblas.so.3} through JNI when present, else the Java Vector API implementation
 * when {@code --add-modules jdk.incubator.vector} is on, else plain Java).
 */
public final class Blas {
  private Blas() {}

  /** The BLAS instance in use (native if loadable, else the best Java one). */
  public static BLAS get() {
    return BLAS.getInstance();
  }

  /** True when a native library is in use: then {@code dsyrk} is fast; in Java, {@code dgemm("T","N")} is. */
  public static boolean isNative() {
    return get() instanceof NativeBLAS;
  }

  /** Class name of the implementation in use, for logs and manifests (e.g. {@code JNIBLAS}, {@code VectorBLAS}). */
  public static String implementationName() {
    return get().getClass().getSimpleName();
  }

  /** The pure-Java implementation (for tests that compare implementations). */
  public static BLAS java() {
    return JavaBLAS.getInstance();
  }
}
