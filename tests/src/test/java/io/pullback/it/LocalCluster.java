package io.pullback.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Drives {@code bin/local-cluster} (a real standalone Master and two Workers on 127.0.0.1) from a
 * test, in its own state folder under {@code tests/target/}, so a developer's cluster under
 * {@code target/local-cluster} is never touched.
 */
final class LocalCluster implements AutoCloseable {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Pattern DAEMON = Pattern.compile("Started daemon with process name: (\\d+)@");

  final Path state;
  final Map<String, String> env;
  String masterUrl;

  LocalCluster(Path state, Map<String, String> env) {
    this.state = state.toAbsolutePath();
    this.env = env;
  }

  record Result(int exitCode, String output) {
    String lastLine() {
      String[] lines = output.strip().split("\n");
      return lines[lines.length - 1].strip();
    }
  }

  Result script(String action) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("bin/local-cluster").toString(), action)
        .directory(ROOT.toFile()).redirectErrorStream(true);
    pb.environment().put("PULLBACK_CLUSTER_DIR", state.toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("bin/local-cluster " + action + " did not finish:\n" + out);
    }
    return new Result(p.exitValue(), out);
  }

  /** Starts the cluster and returns its master URL (the last line of {@code start}). */
  String start() throws IOException, InterruptedException {
    Result r = script("start");
    if (r.exitCode() != 0 || !r.lastLine().matches("spark://127\\.0\\.0\\.1:\\d+")) {
      throw new AssertionError("bin/local-cluster start failed (exit " + r.exitCode() + "):\n" + r.output());
    }
    masterUrl = r.lastLine();
    return masterUrl;
  }

  /** PIDs of the daemons the script recorded. */
  List<Long> daemonPids() throws IOException {
    List<Long> out = new ArrayList<>();
    Path pids = state.resolve("pids");
    if (!Files.exists(pids)) return out;
    for (String line : Files.readAllLines(pids)) if (!line.isBlank()) out.add(Long.parseLong(line.trim().split("\\s+")[0]));
    return out;
  }

  /** Executor stderr files of all applications, from the worker work dirs. */
  List<Path> executorLogs() throws IOException {
    Path work = state.resolve("work");
    if (!Files.isDirectory(work)) return List.of();
    try (Stream<Path> s = Files.walk(work)) {
      return s.filter(p -> p.getFileName().toString().equals("stderr")).toList();
    }
  }

  /** The Master's log. */
  Path masterLog() {
    return state.resolve("logs").resolve("master.log");
  }

  /** How many applications the Master has registered so far (its "Registering app" log lines). */
  long registeredApps() throws IOException {
    Path log = masterLog();
    if (!Files.exists(log)) return 0;
    return Files.readAllLines(log, StandardCharsets.ISO_8859_1).stream().filter(l -> l.contains("Registering app ")).count();
  }

  /** Executor stderr files of one application ({@code work/worker-N/APP_ID/EXECUTOR/stderr}). */
  List<Path> executorLogsOf(String appId) throws IOException {
    return executorLogs().stream().filter(p -> p.getParent().getParent().getFileName().toString().equals(appId)).toList();
  }

  /** PIDs of all executors the Workers started so far (alive or not). */
  List<Long> executorPids() throws IOException {
    List<Long> out = new ArrayList<>();
    for (Path stderr : executorLogs()) executorPid(stderr).ifPresent(out::add);
    return out;
  }

  /** The executor's PID from the first lines of its stderr, once it has started. */
  static OptionalLong executorPid(Path stderr) throws IOException {
    Matcher m = DAEMON.matcher(Files.readString(stderr, StandardCharsets.ISO_8859_1));
    return m.find() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
  }

  @Override
  public void close() throws IOException, InterruptedException {
    Result r = script("stop");
    if (r.exitCode() != 0) throw new AssertionError("bin/local-cluster stop failed:\n" + r.output());
  }
}
