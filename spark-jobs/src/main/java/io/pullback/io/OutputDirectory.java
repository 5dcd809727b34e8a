package io.pullback.io;

import io.pullback.job.PullbackException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A command's output folder, published all at once. Work goes into a hidden staging folder next to
 * {@code --out} ({@code .NAME.staging-RANDOM}); {@link #publish()} renames it to {@code --out}. Closing
 * without publishing deletes the staging folder, so a failed command leaves {@code --out} as it was.
 *
 * <p>{@code --out} must not exist, or be an empty folder. Only local paths are supported
 * ({@code file:} or plain); other schemes are refused.
 */
public final class OutputDirectory implements AutoCloseable {
  private final Path target;
  private final Path staging;
  private boolean published;

  private OutputDirectory(Path target, Path staging) {
    this.target = target;
    this.staging = staging;
  }

  /** Checks {@code out} and creates the staging folder. */
  public static OutputDirectory prepare(Path out) {
    Path target = out.toAbsolutePath().normalize();
    requireAbsentOrEmpty(out, "choose a new --out or remove it");
    Path parent = target.getParent();
    Path staging = parent.resolve("." + target.getFileName() + ".staging-" + UUID.randomUUID().toString().substring(0, 8));
    try {
      Files.createDirectories(staging);
    } catch (IOException e) {
      throw PullbackException.usage("--out " + out + ": cannot create a folder in " + parent + ": " + e.getMessage());
    }
    return new OutputDirectory(target, staging);
  }

  /**
   * Refuses an output folder that is a file or a non-empty folder (usage error naming it).
   *
   * @param advice what the user can do instead, appended to the message
   */
  public static void requireAbsentOrEmpty(Path out, String advice) {
    if (!Files.exists(out)) return;
    if (!Files.isDirectory(out)) {
      throw PullbackException.usage("--out " + out + " is an existing file; " + advice);
    }
    try (Stream<Path> s = Files.list(out)) {
      if (s.findAny().isPresent()) {
        throw PullbackException.usage("--out " + out + " already exists and is not empty; " + advice);
      }
    } catch (IOException e) {
      throw PullbackException.usage("--out " + out + " cannot be read: " + e.getMessage());
    }
  }

  /** Where files are written until {@link #publish()}. */
  public Path staging() {
    return staging;
  }

  /** The final folder. */
  public Path target() {
    return target;
  }

  /** A path inside the staging folder; refuses names that would escape it. */
  public Path resolveInside(String relative) {
    Path p = staging.resolve(relative).normalize();
    if (Path.of(relative).isAbsolute() || !p.startsWith(staging)) {
      throw PullbackException.usage("output name '" + relative + "' escapes the output folder");
    }
    return p;
  }

  /** Moves the staging folder to the target (replacing an empty target folder). */
  public void publish() {
    try {
      if (Files.isDirectory(target)) Files.delete(target); // only an empty folder gets here
      try {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(staging, target);
      }
      published = true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot publish " + staging + " to " + target + ": " + e.getMessage(), e);
    }
  }

  /** Deletes the staging folder unless published. */
  @Override
  public void close() {
    if (!published) deleteRecursively(staging);
  }

  /** Deletes a folder and everything in it (nothing when it does not exist). */
  public static void deleteRecursively(Path root) {
    if (!Files.exists(root)) return;
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root + ": " + e.getMessage(), e);
    }
  }
}
