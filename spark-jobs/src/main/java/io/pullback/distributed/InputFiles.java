package io.pullback.distributed;

import io.pullback.PullbackException;
import io.pullback.data.InputFormat;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.io.compress.CompressionCodec;

/**
 * The data files a {@code {data}} value names, resolved on the driver before any Spark job, and
 * their format.
 *
 * <p>A value is one path, a glob ({@code data/part-*.csv}, Hadoop's glob syntax) or a
 * comma-separated list of them (a value that exists as a path is never split at its commas). A
 * folder stands for the data files below it (recursively); names starting with {@code .} or
 * {@code _} (hidden files, {@code _SUCCESS}, {@code _temporary/}), checksums ({@code *.crc}) and
 * {@code README*} are skipped, as Spark's own writers and readers do. Files are read in the order
 * of their full paths, so the same input always gives the same example order. The format is
 * {@code {format}} when given, else inferred from the file names ({@link InputFormat#guess}); all the
 * files must agree. Compressed text is read with Hadoop's codecs by suffix, {@code .zst} with
 * {@link ZstdCodec} (refused here, naming the file, when its native library does not load).
 *
 * @param files the data files, sorted, fully qualified
 * @param format their format
 */
public record InputFiles(List<Path> files, InputFormat format) {

  /** Resolves {@code data} with the file systems of {@code conf}. */
  public static InputFiles resolve(Configuration conf, String data, InputFormat format) {
    TreeSet<Path> files = new TreeSet<>();
    try {
      for (String entry : entries(conf, data)) files.addAll(expand(conf, entry));
    } catch (IOException e) {
      throw PullbackException.data("{data}: cannot read '" + data + "': " + e.getMessage());
    }
    List<Path> list = new ArrayList<>(files);
    for (Path f : list) {
      if (f.getName().endsWith(ZstdCodec.EXTENSION)) {
        ZstdCodec.requireAvailable(f);
        break;
      }
    }
    return new InputFiles(List.copyOf(list), format != null ? format : infer(data, list));
  }

  /** The comma-separated entries of {@code data}, unless {@code data} exists as it is. */
  private static List<String> entries(Configuration conf, String data) throws IOException {
    if (!data.contains(",") || exists(conf, data)) return List.of(data);
    List<String> out = new ArrayList<>();
    for (String s : data.split(",")) if (!s.isBlank()) out.add(s.trim());
    return out;
  }

  private static boolean exists(Configuration conf, String path) throws IOException {
    Path p = new Path(path);
    return p.getFileSystem(conf).exists(p);
  }

  private static List<Path> expand(Configuration conf, String entry) throws IOException {
    Path p = new Path(entry);
    FileSystem fs = p.getFileSystem(conf);
    List<FileStatus> matches = new ArrayList<>();
    if (isGlob(entry)) {
      FileStatus[] found = fs.globStatus(p);
      if (found == null || found.length == 0) throw PullbackException.data("{data}: '" + entry + "' matches no file");
      for (FileStatus s : found) matches.add(s);
    } else {
      if (!fs.exists(p)) throw PullbackException.data("{data}: input '" + entry + "' does not exist");
      matches.add(fs.getFileStatus(p));
    }
    List<Path> files = new ArrayList<>();
    for (FileStatus s : matches) {
      if (!s.isDirectory()) {
        files.add(s.getPath());
        continue;
      }
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(s.getPath(), true);
      int below = s.getPath().depth();
      while (it.hasNext()) {
        Path f = it.next().getPath();
        if (!skipped(f, below)) files.add(f);
      }
    }
    if (files.isEmpty()) {
      throw PullbackException.data("{data}: input '" + entry + "' is an empty folder"
          + " (no data files; hidden files, _SUCCESS, *.crc and README* are skipped)");
    }
    return files;
  }

  private static boolean isGlob(String path) {
    for (char c : new char[] {'*', '?', '[', '{'}) if (path.indexOf(c) >= 0) return true;
    return false;
  }

  /** Whether a file under a folder (of depth {@code rootDepth}) is not data: hidden, metadata, checksum, README. */
  static boolean skipped(Path file, int rootDepth) {
    for (Path p = file; p != null && p.depth() > rootDepth; p = p.getParent()) {
      String name = p.getName();
      if (name.startsWith(".") || name.startsWith("_")) return true;
    }
    String name = file.getName().toLowerCase(Locale.ROOT);
    return name.endsWith(".crc") || name.startsWith("readme");
  }

  /** The one format every file's name says (the given path's own name first, e.g. {@code data.parquet/}). */
  private static InputFormat infer(String data, List<Path> files) {
    if (!data.contains(",") && !isGlob(data)) {
      InputFormat named = InputFormat.guess(data.endsWith("/") ? data.substring(0, data.length() - 1) : data);
      if (named != null) return named;
    }
    InputFormat format = null;
    Path first = null;
    for (Path f : files) {
      InputFormat g = InputFormat.guess(f.getName());
      if (g == null) {
        throw PullbackException.usage("{format}: cannot tell the format of '" + (files.size() == 1 ? data : f.toString())
            + "' from its name; give {format} libsvm|csv|parquet");
      }
      if (format != null && g != format) {
        throw PullbackException.usage("{data}: '" + data + "' holds " + format.cliName() + " (" + first.getName() + ") and "
            + g.cliName() + " (" + f.getName() + ") files; keep one format, or give {format}");
      }
      format = g;
      first = f;
    }
    return format;
  }

  /**
   * The first line of a (possibly compressed) text file, without its terminator or a UTF-8 byte-order
   * mark, or null for an empty file.
   */
  static String firstLine(Configuration conf, Path file) {
    try {
      FileSystem fs = file.getFileSystem(conf);
      CompressionCodec codec = ZstdCodec.factory(conf).getCodec(file);
      try (InputStream raw = fs.open(file);
           InputStream in = codec == null ? raw : codec.createInputStream(raw);
           BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line = r.readLine();
        if (line != null && line.startsWith("\uFEFF")) line = line.substring(1);
        return line;
      }
    } catch (IOException e) {
      throw PullbackException.data("cannot read '" + file + "': " + e.getMessage());
    }
  }
}
