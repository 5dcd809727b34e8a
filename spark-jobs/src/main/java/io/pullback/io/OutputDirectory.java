package io.pullback.io;

import io.pullback.PullbackException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * <p>{@code --out} must not exist, or be an empty folder. It may be on any Hadoop file system
 * ({@link Location}). The staging-then-rename above is for stores with an atomic rename (local,
 * HDFS). On an object store (S3A, GCS, ABFS: rename is a copy) the files are written in place in
 * {@code --out} and {@link #publish()} writes the commit marker {@link Publication#MARKER} last; a
 * failed command deletes what it wrote, and a folder without the marker is never taken for a
 * result ({@link Publication#requireCommitted}). The symbolic-link checks apply to the local file
 * system (HDFS has symbolic links disabled by default; object stores have none).
 */
public final class OutputDirectory implements AutoCloseable {
  private final Location target;
  private final Location staging;
  private boolean published;

  private OutputDirectory(Location target, Location staging) {
    this.target = target;
    this.staging = staging;
  }

  /** Checks {@code out} and creates the staging folder (see the class comment). */
  public static OutputDirectory prepare(Location out) {
    requireAbsentOrEmpty(out, "choose a new {out} or remove it");
    Location target = throughLink(out.absolute());
    Location parent = target.parent();
    if (parent == null || target.name().isEmpty()) {
      throw PullbackException.usage("{out} " + out + " is a file-system root; choose a folder inside it");
    }
    Location staging = target.atomicRename()
        ? parent.resolve("." + target.name() + ".staging-" + UUID.randomUUID().toString().substring(0, 8))
        : target;
    try {
      staging.mkdirs();
    } catch (UncheckedIOException e) {
      throw PullbackException.usage("{out} " + out + ": cannot create a folder in " + parent + ": " + e.getCause().getMessage());
    }
    return new OutputDirectory(target, staging);
  }

  /**
   * The folder a local symbolic link {@code out} points to (so that publishing fills the link's
   * target instead of replacing the link by a folder), else {@code out}.
   */
  private static Location throughLink(Location out) {
    if (!out.isLocal() || !java.nio.file.Files.isSymbolicLink(out.localPath())) return out;
    try {
      return Location.local(out.localPath().toRealPath());
    } catch (IOException e) {
      return out; // a dangling link: created through, as any absent folder
    }
  }

  /** As {@link #prepare(Location)} for a local path. */
  public static OutputDirectory prepare(Path out) {
    return prepare(Location.local(out));
  }

  /**
   * Refuses an output folder that is a file or a non-empty folder (usage error naming it).
   *
   * @param advice what the user can do instead, appended to the message (may name parameters as {@code {name}})
   */
  public static void requireAbsentOrEmpty(Location out, String advice) {
    boolean nonEmpty;
    try {
      if (!out.exists()) return;
      if (!out.isDirectory()) throw PullbackException.usage("{out} " + out + " is an existing file; " + advice);
      nonEmpty = !out.list().isEmpty();
    } catch (UncheckedIOException e) {
      throw PullbackException.usage("{out} " + out + " cannot be read: " + e.getCause().getMessage());
    }
    if (nonEmpty) throw PullbackException.usage("{out} " + out + " already exists and is not empty; " + advice);
  }

  /** As {@link #requireAbsentOrEmpty(Location, String)} for a local path. */
  public static void requireAbsentOrEmpty(Path out, String advice) {
    requireAbsentOrEmpty(Location.local(out), advice);
  }

  /** Where files are written until {@link #publish()}: the staging folder, or {@code --out} itself on an object store. */
  public Location folder() {
    return staging;
  }

  /** The local staging folder (local file system only). */
  public Path staging() {
    return localOnly(staging);
  }

  /** The final folder. */
  public Location target() {
    return target;
  }

  private static Path localOnly(Location l) {
    if (!l.isLocal()) throw new IllegalStateException(l + " is not on the local file system");
    return l.localPath();
  }

  /** A path inside the local staging folder; refuses names that would escape it (see {@link #resolveInside(Path, String, String)}). */
  public Path resolveInside(String relative) {
    return resolveInside(staging(), relative, "output name");
  }

  /**
   * {@code folder/name} on any file system: the lexical checks of {@link #resolveInside(Path, String, String)}
   * everywhere, and its symbolic-link check on the local file system.
   */
  public static Location resolveInside(Location folder, String name, String what) {
    if (folder.isLocal()) {
      Path p = resolveInside(folder.localPath(), name, what, folder.toString());
      return folder.resolve(folder.localPath().relativize(p).toString());
    }
    checkName(folder.toString(), name, what, java.nio.file.FileSystems.getDefault());
    return folder.resolve(name);
  }

  /**
   * {@code folder/name}, where {@code name} comes from user input (an arm name, a run id): refused
   * (usage error naming {@code what} and the value) when it is empty or absolute, when it contains
   * {@code ..}, or when the path exists and is, or goes through, a symbolic link whose target is
   * outside {@code folder}.
   */
  public static Path resolveInside(Path folder, String name, String what) {
    return resolveInside(folder, name, what, folder.toString());
  }

  private static Path resolveInside(Path folder, String name, String what, String shown) {
    Path rel = checkName(shown, name, what, folder.getFileSystem());
    Path base = folder.toAbsolutePath().normalize();
    Path p = base.resolve(rel).normalize();
    if (!p.startsWith(base) || p.equals(base)) {
      throw PullbackException.usage(what + " '" + name + "' escapes " + shown + "; it must be a name inside it");
    }
    if (Files.exists(base)) {
      Path outside = escapingTarget(base, p);
      if (outside != null) {
        throw PullbackException.usage(what + " '" + name + "': " + p + " is a symbolic link to " + outside
            + ", outside " + shown + "; Pullback writes only inside the run folder: remove the link");
      }
    }
    return p;
  }

  /** The lexical checks of a name from user input; returns it as a relative path. */
  private static Path checkName(String folder, String name, String what, java.nio.file.FileSystem fileSystem) {
    if (name == null || name.isBlank()) throw PullbackException.usage(what + " is empty; it must be a name inside " + folder);
    Path rel;
    try {
      rel = fileSystem.getPath(name);
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
    return rel;
  }

  /** As {@link #requireNoLinkOutside(Path)} on the local file system; nothing to check elsewhere. */
  public static void requireNoLinkOutside(Location folder) {
    if (folder.isLocal()) requireNoLinkOutside(folder.localPath(), folder.toString());
  }

  /**
   * Refuses a run folder that holds a symbolic link pointing outside it (usage error naming the link
   * and its target). Nothing to check when the folder does not exist. Links whose target stays inside
   * the folder are allowed. The folder itself may be a link: it is the user's choice.
   */
  public static void requireNoLinkOutside(Path folder) {
    requireNoLinkOutside(folder, folder.toString());
  }

  private static void requireNoLinkOutside(Path folder, String shown) {
    if (!Files.exists(folder)) return;
    Path root;
    try {
      root = folder.toRealPath();
    } catch (IOException e) {
      throw PullbackException.usage("{out} " + shown + " cannot be read: " + e.getMessage());
    }
    try (Stream<Path> s = Files.walk(root)) { // does not follow links
      for (Path p : (Iterable<Path>) s::iterator) {
        if (!Files.isSymbolicLink(p)) continue;
        Path target = linkTarget(p);
        if (!target.startsWith(root)) {
          Path linkShown = Path.of(shown).resolve(root.relativize(p));
          throw PullbackException.usage("{out} " + shown + " holds a symbolic link that points outside it: " + linkShown + " -> "
              + target + "; Pullback writes only inside the run folder: replace the link with a real file or folder, or choose a new {out}");
        }
      }
    } catch (IOException | UncheckedIOException e) {
      throw PullbackException.usage("{out} " + shown + " cannot be read: " + e.getMessage());
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

  /**
   * Publishes: renames the staging folder to the target (replacing an empty target folder) where
   * rename is atomic; on an object store writes the commit marker (the last write).
   */
  public void publish() {
    try {
      if (target.atomicRename()) {
        if (target.isDirectory()) target.deleteRecursively(); // only an empty folder gets here
        staging.renameTo(target, false);
      } else {
        Publication.commit(target);
      }
      published = true;
    } catch (IOException | UncheckedIOException e) {
      throw new UncheckedIOException("cannot publish " + staging + " to " + target + ": " + e.getMessage(),
          e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
    }
  }

  /** Deletes the staging folder (on an object store: what was written in {@code --out}) unless published. */
  @Override
  public void close() {
    if (!published) staging.deleteRecursively();
  }

  /** Deletes a folder and everything in it (nothing when it does not exist; links are removed, not followed). */
  public static void deleteRecursively(Path root) {
    Location.local(root).deleteRecursively();
  }
}
