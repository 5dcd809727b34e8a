package io.pullback.cli;

import java.nio.file.Path;

/**
 * Entry point of {@code bin/pullback}: the same commands as under spark-submit, with a local
 * session ({@code local[*]}, or {@code --master URL} with the driver on this machine).
 * The launcher passes {@code -Dpullback.conf.dir=…/conf}.
 */
public final class LocalMain {
  private LocalMain() {}

  public static void main(String[] args) {
    // PullbackCli.execute chooses BLAS and LAPACK (one native library) before Spark or MLlib start.
    Signals.install(); // SIGINT/SIGTERM: the command cleans up, one line, exit 130/143
    String confDir = System.getProperty("pullback.conf.dir", "conf");
    int code = PullbackCli.execute(args, new LocalSessionProvider(Path.of(confDir, "spark-defaults.conf")));
    System.exit(code);
  }
}
