package io.pullback.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Version and git commit recorded at build time ({@code pullback-build.properties}). */
public final class BuildInfo {
  private static final Properties PROPS = load();

  private BuildInfo() {}

  public static String version() {
    return value("version");
  }

  /** The full commit hash the build came from, or {@code unknown}. */
  public static String gitCommit() {
    return value("git.commit");
  }

  private static String value(String key) {
    String v = PROPS.getProperty(key, "");
    return v.isBlank() || v.startsWith("${") ? "unknown" : v;
  }

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("/pullback-build.properties")) {
      if (in != null) p.load(in);
    } catch (IOException ignored) {
      // no build information: reported as unknown
    }
    return p;
  }
}
