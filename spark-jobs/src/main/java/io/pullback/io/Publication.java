package io.pullback.io;

import io.pullback.PullbackException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The commit marker that publishes a folder on an object store, where a folder cannot be renamed
 * into place atomically (S3A's rename is a copy, object by object).
 *
 * <p>{@link #MARKER} ({@code _PULLBACK_COMMITTED}) is a JSON file written last, holding every
 * other file of the folder (recursively, sorted by path) with its size in bytes and SHA-256:
 * {@code {"format": "pullback-commit-1", "files": [{"path": "metric.npy", "bytes": 840, "sha256": "…"}, …]}}.
 * One PUT is atomic, so a reader sees either no marker (the folder is not a result: still being
 * written, or left by a command that failed before it could delete it) or the complete list. A
 * reader trusts an object-store folder only when the marker is there
 * ({@link #requireCommitted}); folders on stores with an atomic rename (local, HDFS) are
 * published by that rename and carry no marker, so local results are unchanged.
 *
 * <p>Cost: {@link #commit} reads every file once (the checksums) — for a blocked metric's tiles as
 * many bytes as were written; {@link #isCommitted} is one status call.
 */
public final class Publication {
  /** The marker's file name. */
  public static final String MARKER = "_PULLBACK_COMMITTED";

  private Publication() {}

  /** Writes the marker of {@code folder} (its files, sizes and checksums), as the last write. */
  public static void commit(Location folder) throws IOException {
    List<Map<String, Object>> files = new ArrayList<>();
    collect(folder, "", files);
    Map<String, Object> marker = new LinkedHashMap<>();
    marker.put("format", "pullback-commit-1");
    marker.put("files", files);
    Json.writeJson(folder.resolve(MARKER), marker);
  }

  private static void collect(Location dir, String prefix, List<Map<String, Object>> out) throws IOException {
    for (Location e : dir.list()) {
      String rel = prefix + e.name();
      if (rel.equals(MARKER) || rel.equals(RunLock.FILE_NAME)) continue; // the lock is released after the commit
      if (e.isDirectory()) {
        collect(e, rel + "/", out);
        continue;
      }
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("path", rel);
      f.put("bytes", e.length());
      try (InputStream in = e.open()) {
        f.put("sha256", Manifest.sha256(in));
      }
      out.add(f);
    }
  }

  /** Whether {@code folder} is a published result: on an object store, its marker is there; elsewhere, it exists. */
  public static boolean isCommitted(Location folder) {
    return folder.atomicRename() ? folder.exists() : folder.resolve(MARKER).isFile();
  }

  /**
   * Refuses (usage error, exit 2) an object-store folder without its commit marker, naming it and
   * {@code what} it should be ("an estimate output folder").
   */
  public static void requireCommitted(Location folder, String what) {
    try {
      if (folder.atomicRename() || !folder.exists() || isCommitted(folder)) return;
    } catch (UncheckedIOException e) {
      throw PullbackException.usage(folder + " cannot be read: " + e.getCause().getMessage());
    }
    throw PullbackException.usage(folder + " is not " + what + " that was completed: it has no " + MARKER
        + " (the command that wrote it failed or is still running); run that command again");
  }
}
