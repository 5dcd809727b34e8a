package io.pullback.linalg;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Makes {@link Blas}'s BLAS/LAPACK choice before any test runs (registered in
 * {@code META-INF/services}), as {@code LocalMain}, {@code SubmitMain} and the executor plugin do in
 * the product: a test that reaches MLlib or netlib first must not load a second native library.
 */
public final class NumericsFirstListener implements LauncherSessionListener {
  @Override
  public void launcherSessionOpened(LauncherSession session) {
    Blas.selection();
  }
}
