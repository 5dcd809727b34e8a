package io.pullback.linalg;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.netlib.util.intW;

/**
 * Run in a child JVM by {@link BlasSelectionTest}: makes the selection of a fresh process, calls one
 * BLAS ({@code dgemm}) and one LAPACK routine ({@code dpotrf} on the matrix of
 * {@link BlasSelectionTest#spdMatrix}), and prints one JSON line with the selection, the libraries
 * the process has mapped afterwards, and the Cholesky factor.
 */
public final class BlasProbeMain {
  private BlasProbeMain() {}

  public static void main(String[] args) throws Exception {
    int n = BlasSelectionTest.N;
    double[] a = BlasSelectionTest.spdMatrix();
    double[] c = new double[n * n];
    Blas.get().dgemm("N", "N", n, n, n, 1.0, a, n, a, n, 0.0, c, n);
    intW info = new intW(0);
    Blas.lapack().dpotrf("U", n, a, n, info);
    Blas.Selection s = Blas.selection();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("requested", s.requested());
    out.put("blas_implementation", s.implementation());
    out.put("blas_library", s.library());
    out.put("lapack_implementation", s.lapackImplementation());
    out.put("lapack_library", s.lapackLibrary());
    out.put("blas_native", Blas.isNative());
    out.put("lapack_native", Blas.lapack() instanceof dev.ludovic.netlib.lapack.NativeLAPACK);
    out.put("mapped", Blas.mappedNumericLibraries());
    out.put("info", info.val);
    out.put("factor", a);
    System.out.println("PROBE " + new ObjectMapper().writeValueAsString(out));
  }
}
