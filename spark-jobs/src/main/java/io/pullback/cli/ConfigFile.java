package io.pullback.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pullback.PullbackException;
import io.pullback.io.Location;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/**
 * {@code --config FILE.yaml}: a command's options as YAML, keys being the long option names without
 * dashes ({@code model: mlp}, {@code hidden: [16, 16]}, {@code metric: fisher}). Options given on the
 * command line override the file; unknown keys are errors naming the key and the file.
 */
final class ConfigFile {
  private ConfigFile() {}

  /**
   * Expands {@code --config FILE} in a command line into the options it holds (those not also given
   * on the command line). Returns the arguments unchanged when there is no {@code --config}.
   */
  static String[] expand(String[] args, CommandLine root) {
    int at = -1;
    String file = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config")) {
        if (i + 1 >= args.length) throw PullbackException.usage("--config needs a YAML file");
        at = i;
        file = args[i + 1];
        break;
      }
      if (args[i].startsWith("--config=")) {
        at = i;
        file = args[i].substring("--config=".length());
        break;
      }
    }
    if (at < 0) return args;
    if (at == 0 || args[0].startsWith("-") || !root.getSubcommands().containsKey(args[0])) {
      throw PullbackException.usage("--config goes after the command, e.g. pullback estimate --config conf/estimate.yaml");
    }
    CommandSpec spec = root.getSubcommands().get(args[0]).getCommandSpec();
    List<String> rest = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      if (i == at) {
        if (args[i].equals("--config")) i++;
        continue;
      }
      rest.add(args[i]);
    }
    Set<String> onCommandLine = new HashSet<>();
    for (String a : rest) {
      String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
      OptionSpec o = name.startsWith("--") ? spec.findOption(name) : null;
      if (o != null) onCommandLine.add(o.longestName());
    }
    List<String> expanded = new ArrayList<>();
    expanded.add(args[0]);
    for (Map.Entry<String, Object> e : read(file).entrySet()) {
      OptionSpec o = spec.findOption("--" + e.getKey());
      if (o == null || e.getKey().equals("config")) {
        throw PullbackException.usage("unknown key '" + e.getKey() + "' in " + file + "; valid keys: "
            + spec.options().stream().map(OptionSpec::longestName).filter(n -> n.startsWith("--") && !n.equals("--help") && !n.equals("--version"))
                .map(n -> n.substring(2)).sorted().collect(Collectors.joining(", ")));
      }
      if (onCommandLine.contains(o.longestName()) || e.getValue() == null) continue;
      Object v = e.getValue();
      if (o.arity().max() == 0) {
        if (!(v instanceof Boolean b)) throw PullbackException.usage("key '" + e.getKey() + "' in " + file + " must be true or false, got " + v);
        if (b) expanded.add(o.longestName());
        continue;
      }
      if (v instanceof Map<?, ?>) throw PullbackException.usage("key '" + e.getKey() + "' in " + file + " must be a value or a list, got a mapping");
      String value = v instanceof List<?> l ? l.stream().map(String::valueOf).collect(Collectors.joining(",")) : String.valueOf(v);
      expanded.add(o.longestName());
      expanded.add(value);
    }
    expanded.addAll(rest);
    return expanded.toArray(new String[0]);
  }

  /**
   * Turns {@code option-name → value} pairs into command-line arguments for {@code spec}: lists
   * become comma-separated values, booleans switch flags on or off.
   *
   * @param context where the options come from, for error messages (e.g. "arm ngd in quickstart.yaml")
   */
  static List<String> toArgs(Map<String, Object> options, CommandSpec spec, String context) {
    List<String> args = new ArrayList<>();
    for (Map.Entry<String, Object> e : options.entrySet()) {
      OptionSpec o = spec.findOption("--" + e.getKey());
      if (o == null || e.getKey().equals("config") || e.getKey().equals("out")) {
        throw PullbackException.usage("unknown option '" + e.getKey() + "' in " + context + "; valid: "
            + spec.options().stream().map(OptionSpec::longestName).filter(n -> n.startsWith("--") && !n.equals("--help")
                && !n.equals("--version") && !n.equals("--config") && !n.equals("--out"))
                .map(n -> n.substring(2)).sorted().collect(Collectors.joining(", ")));
      }
      Object v = e.getValue();
      if (v == null) continue;
      if (o.arity().max() == 0) {
        if (!(v instanceof Boolean b)) throw PullbackException.usage("'" + e.getKey() + "' in " + context + " must be true or false, got " + v);
        if (b) args.add(o.longestName());
        continue;
      }
      if (v instanceof Map<?, ?>) throw PullbackException.usage("'" + e.getKey() + "' in " + context + " must be a value or a list, got a mapping");
      args.add(o.longestName());
      args.add(v instanceof List<?> l ? l.stream().map(String::valueOf).collect(Collectors.joining(",")) : String.valueOf(v));
    }
    return args;
  }

  /**
   * Parses options (a map of option names to values) into a command object, with errors that name
   * {@code context}. {@code out} is passed as {@code --out}.
   */
  static <T> T parse(T command, Map<String, Object> options, String out, String context) {
    CommandLine cl = new CommandLine(command);
    List<String> args = toArgs(options, cl.getCommandSpec(), context);
    args.add("--out");
    args.add(out);
    try {
      cl.parseArgs(args.toArray(new String[0]));
    } catch (CommandLine.ParameterException e) {
      throw PullbackException.usage(context + ": " + e.getMessage());
    }
    return command;
  }

  /**
   * The Hadoop configuration for reading a {@code --config} file before any Spark session exists:
   * Hadoop's files on the class path plus the {@code spark.hadoop.*} settings spark-submit passes as
   * system properties (as Spark's own Hadoop configuration would have them).
   */
  static org.apache.hadoop.conf.Configuration hadoopConf() {
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("spark.hadoop."))
        .forEach(k -> conf.set(k.substring("spark.hadoop.".length()), System.getProperty(k), "spark.hadoop system property"));
    return conf;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> read(String spelled) {
    Location file = Location.of(Location.spelling(spelled), Location.isLocal(spelled) ? null : hadoopConf(), "config");
    if (!file.isFile()) throw PullbackException.usage("--config: file '" + file + "' does not exist");
    try {
      String text = file.readString();
      rejectDuplicatesAndAliases(file, text);
      Object tree = new ObjectMapper(new YAMLFactory()).readValue(text, Object.class);
      if (tree == null) return Map.of();
      if (!(tree instanceof Map)) throw PullbackException.usage("--config: " + file + " must hold a mapping of option names to values");
      return new LinkedHashMap<>((Map<String, Object>) tree);
    } catch (IOException e) {
      throw PullbackException.usage("--config: cannot parse " + file + " as YAML: " + e.getMessage());
    }
  }

  /** One open mapping or sequence of the YAML event stream. */
  private static final class Level {
    final boolean mapping;
    final Set<String> keys = new HashSet<>();
    boolean expectKey = true;

    Level(boolean mapping) {
      this.mapping = mapping;
    }
  }

  /**
   * Refuses what YAML allows but a configuration must not hold, naming the file and the 1-based line:
   * a key given twice in one mapping (YAML readers silently keep the last), and aliases ({@code *name},
   * which would read as the anchor's value in one place and as text in another). One pass over the
   * parser's events; nothing is built.
   */
  static void rejectDuplicatesAndAliases(Object file, String text) {
    java.util.Deque<Level> open = new java.util.ArrayDeque<>();
    try {
      for (org.yaml.snakeyaml.events.Event e : new org.yaml.snakeyaml.Yaml().parse(new java.io.StringReader(text))) {
        int line = e.getStartMark() == null ? 0 : e.getStartMark().getLine() + 1;
        if (e instanceof org.yaml.snakeyaml.events.AliasEvent a) {
          throw PullbackException.usage("--config: " + file + ", line " + line + ": alias '*" + a.getAnchor()
              + "' is not supported; write the value out");
        }
        boolean starts = e instanceof org.yaml.snakeyaml.events.MappingStartEvent
            || e instanceof org.yaml.snakeyaml.events.SequenceStartEvent;
        if (e instanceof org.yaml.snakeyaml.events.CollectionEndEvent) {
          open.pop();
          continue;
        }
        if (!starts && !(e instanceof org.yaml.snakeyaml.events.ScalarEvent)) continue;
        Level top = open.peek();
        if (top != null && top.mapping) {
          if (top.expectKey && e instanceof org.yaml.snakeyaml.events.ScalarEvent key && !top.keys.add(key.getValue())) {
            throw PullbackException.usage("--config: " + file + ", line " + line + ": key '" + key.getValue()
                + "' is given twice; keep one");
          }
          top.expectKey = !top.expectKey;
        }
        if (starts) open.push(new Level(e instanceof org.yaml.snakeyaml.events.MappingStartEvent));
      }
    } catch (org.yaml.snakeyaml.error.YAMLException e) {
      throw PullbackException.usage("--config: cannot parse " + file + " as YAML: " + e.getMessage());
    }
  }
}
