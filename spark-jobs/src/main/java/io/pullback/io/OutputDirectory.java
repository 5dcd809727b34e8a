package io.pullback.io;

import io.pullback.PullbackException;
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
 * A command's output folder ("run folder"), and the rules that keep every write inside it.
 *
 * <p><b>Atomic publish.</b> {@link #prepare} creates a hidden staging folder next to {@code --out}
 * ({@code .NAME.staging-RANDOM}, in the same parent folder); the command writes there and
 * {@link #publish()} renames it to {@code --out}. Closing without publishing deletes the staging
 * folder, so a failed command leaves {@code --out} as it was. This is the standard
 * write-then-rename, and it is within the contract "nothing is written outside the chosen
 * location": a rename is atomic only inside one file system, and the parent of {@code --out} is the
 * one place that is on the same file system as {@code --out} and that the user must already let us
 * write to (creating {@code --out} needs it); the folder cannot be staged inside itself (a folder
 * cannot be renamed into its own child). The staging folder is hidden, named after {@code --out},
 * never holds anything but what would land in {@code --out}, and is removed on every failure that
 * lets the JVM run its clean-up (after a SIGKILL it may remain: it is safe to delete, and is never
 * read). {@code estimate} (and the estimates inside a {@code run}) publish this way; {@code train}
 * writes inside {@code --out} (it must, to {@code --resume}), each file atomically
 * ({@link AtomicFiles}: a temporary {@code .NAME.*.tmp} in the same folder, then a rename).
 *
 * <p><b>Nothing escapes the run folder.</b> Only {@code --out} (and its parents) is the user's
 * choice; every other path is a fixed name or a name from user input (experiment and arm names,
 * run ids) joined with {@link #resolveInside}, which refuses absolute names, {@code ..} and names
 * that are (or lead through) a symbolic link pointing outside the folder. Before writing into an
 * existing run folder ({@code train --resume}, {@code run --run-id} resuming),
 * {@link #requireNoLinkOutside} refuses the whole folder if any symbolic link in it points
 * outside, because a link such as {@code checkpoint -> /elsewhere} would make fixed names write
 * elsewhere. Refusals are usage errors (exit code 2) naming the link or name.
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
    if (parent == null || target.getFileName() == null) {
      throw PullbackException.usage("--out " + out + " is a file-system root; choose a folder inside it");
    }
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

  /** A path inside the staging folder; refuses names that would escape it (see {@link #resolveInside(Path, String, String)}). */
  public Path resolveInside(String relative) {
    return resolveInside(staging, relative, "output name");
  }

  /**
   * {@code folder/name}, where {@code name} comes from user input (an arm name, a run id): refused
   * (usage error naming {@code what} and the value) when it is empty or absolute, when it contains
   * {@code ..}, or when the path exists and is, or goes through, a symbolic link whose target is
   * outside {@code folder}.
   */
  public static Path resolveInside(Path folder, String name, String what) {
    if (name == null || name.isBlank()) throw PullbackException.usage(what + " is empty; it must be a name inside " + folder);
    Path rel;
    try {
      rel = folder.getFileSystem().getPath(name);
    } catch (java.nio.file.InvalidPathException e) {
      throw PullbackException.usage(what + " '" + name + "' is not a valid file name: " + e.getMessage());
    }
    if (rel.isAbsolute()) {
      throw PullbackException.usage(what + " '" + name + "' is an absolute path, which would escape " + folder + "; it must be a name inside it");
    }
    for (Path part : rel) {
      if (part.toString().equals("..")) {
        throw PullbackException.usage(what + " '" + name + "' contains '..', which would escape " + folder + "; it must be a name inside it");
      }
    }
    Path base = folder.toAbsolutePath().normalize();
    Path p = base.resolve(rel).normalize();
    if (!p.startsWith(base) || p.equals(base)) {
      throw PullbackException.usage(what + " '" + name + "' escapes " + folder + "; it must be a name inside it");
    }
    if (Files.exists(base)) {
      Path outside = escapingTarget(base, p);
      if (outside != null) {
        throw PullbackException.usage(what + " '" + name + "': " + p + " is a symbolic link to " + outside
            + ", outside " + folder + "; Pullback writes only inside the run folder: remove the link");
      }
    }
    return p;
  }

  /**
   * Refuses a run folder that holds a symbolic link pointing outside it (usage error naming the link
   * and its target). Nothing to check when the folder does not exist. Links whose target stays inside
   * the folder are allowed. The folder itself may be a link: it is the user's choice.
   */
  public static void requireNoLinkOutside(Path folder) {
    if (!Files.exists(folder)) return;
    Path root;
    try {
      root = folder.toRealPath();
    } catch (IOException e) {
      throw PullbackException.usage("--out " + folder + " cannot be read: " + e.getMessage());
    }
    try (Stream<Path> s = Files.walk(root)) { // does not follow links
      for (Path p : (Iterable<Path>) s::iterator) {
        if (!Files.isSymbolicLink(p)) continue;
        Path target = linkTarget(p);
        if (!target.startsWith(root)) {
          Path shown = folder.resolve(root.relativize(p));
          throw PullbackException.usage("--out " + folder + " holds a symbolic link that points outside it: " + shown + " -> "
              + target + "; Pullback writes only inside the run folder: replace the link with a real file or folder, or choose a new --out");
        }
      }
    } catch (IOException | UncheckedIOException e) {
      throw PullbackException.usage("--out " + folder + " cannot be read: " + e.getMessage());
    }
  }

  /** The first link on the way from {@code base} to {@code p} whose target is outside {@code base}, as its target; else null. */
  private static Path escapingTarget(Path base, Path p) {
    Path root;
    try {
      root = base.toRealPath();
    } catch (IOException e) {
      return null;
    }
    Path at = base;
    for (Path part : base.relativize(p)) {
      at = at.resolve(part);
      if (Files.isSymbolicLink(at)) {
        Path target = linkTarget(at);
        if (!target.startsWith(root)) return target;
      } else if (!Files.exists(at)) {
        return null;
      }
    }
    return null;
  }

  /** Where a link points, fully resolved when it can be, else lexically (a dangling link). */
  private static Path linkTarget(Path link) {
    try {
      return link.toRealPath();
    } catch (IOException e) {
      try {
        Path t = Files.readSymbolicLink(link);
        return link.getParent().toRealPath().resolve(t).normalize();
      } catch (IOException e2) {
        return link.toAbsolutePath().normalize();
      }
    }
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
