package io.pullback.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pullback.PullbackException;
import java.io.IOException;
import io.pullback.io.Location;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An experiment file ({@code conf/experiments/NAME.yaml}): shared {@code train} options, a list of
 * arms (each a name plus the train options it changes), and optional analyses. See
 * {@code docs/experiments.md} for the schema. Unknown keys are errors naming the key and the file.
 *
 * @param name the experiment's name (also the default output folder)
 * @param description one paragraph shown at the top of the report
 * @param train options of {@code pullback train} shared by every arm (keys are option names)
 * @param arms the arms, in report order
 * @param analyses {@code spectrum}, {@code decay} (needs {@code reference})
 * @param reference how to find the optimal loss L* for excess-loss plots: {@code none} or
 *     {@code least-squares} (one exact Gauss–Newton step, exact for models linear in θ with mse)
 * @param samePredictions pairs of arm names whose final predictions the report compares
 * @param ntkBatch examples in the batch of the {@code ntk-duality} analysis (default 32)
 * @param groups named groups of arms (e.g. a learning-rate grid), each reported by its best arm
 *     ({@link TimeToTarget}); empty when not given
 * @param target the arm or group whose (best) final error the report's time-to-target table uses, or null
 */
public record Experiment(String name, String description, Map<String, Object> train, List<Arm> arms, List<String> analyses,
                         String reference, List<List<String>> samePredictions, int ntkBatch,
                         Map<String, List<String>> groups, String target) {

  /** One arm: its name and the train options it sets on top of the shared ones. */
  public record Arm(String name, Map<String, Object> options) {}

  static final Set<String> KEYS = Set.of("name", "description", "train", "arms", "analyses", "reference", "same_predictions", "ntk_batch",
      "groups", "target");
  static final Set<String> ANALYSES = Set.of("spectrum", "decay", "ntk-duality");
  static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

  /** Reads and validates an experiment file, applying {@code --set key=value} overrides. */
  public static Experiment read(Location file, List<String> overrides) {
    if (!file.isFile()) throw PullbackException.usage("experiment file '" + file + "' does not exist");
    Object tree;
    try {
      try (java.io.InputStream in = file.open()) {
        tree = new ObjectMapper(new YAMLFactory()).readValue(in, Object.class);
      }
    } catch (IOException e) {
      throw PullbackException.usage("cannot parse " + file + " as YAML: " + e.getMessage());
    }
    if (!(tree instanceof Map<?, ?> root)) throw PullbackException.usage(file + " must hold a mapping (name, train, arms, ...)");
    for (Object k : root.keySet()) {
      if (!KEYS.contains(String.valueOf(k))) {
        throw PullbackException.usage("unknown key '" + k + "' in " + file + "; valid keys: " + new java.util.TreeSet<>(KEYS));
      }
    }
    String name = string(root.get("name"), "name", file);
    if (name == null || !SAFE_NAME.matcher(name).matches()) {
      throw PullbackException.usage("'name' in " + file + " must be a simple name (letters, digits, . _ -, starting with a letter or"
          + " digit; it names the folder runs/NAME), got '" + name + "'");
    }
    Map<String, Object> train = map(root.get("train"), "train", file);
    List<Arm> arms = new ArrayList<>();
    Object armsNode = root.get("arms") == null ? List.of() : root.get("arms");
    if (!(armsNode instanceof List<?> list)) throw PullbackException.usage("'arms' in " + file + " must be a list");
    Set<String> seen = new HashSet<>();
    for (Object a : list) {
      Map<String, Object> options = map(a, "arms[]", file);
      String armName = string(options.remove("name"), "arms[].name", file);
      if (armName == null || !SAFE_NAME.matcher(armName).matches()) {
        throw PullbackException.usage("every arm in " + file + " needs a simple 'name' (letters, digits, . _ -, starting with a letter"
            + " or digit; it names the folder arms/NAME), got '" + armName + "'");
      }
      if (!seen.add(armName)) throw PullbackException.usage("arm name '" + armName + "' appears twice in " + file);
      arms.add(new Arm(armName, options));
    }
    List<String> analyses = new ArrayList<>();
    if (root.get("analyses") instanceof List<?> l) {
      for (Object o : l) {
        if (!ANALYSES.contains(String.valueOf(o))) throw PullbackException.usage("unknown analysis '" + o + "' in " + file + "; valid: " + ANALYSES);
        analyses.add(String.valueOf(o));
      }
    } else if (root.get("analyses") != null) {
      throw PullbackException.usage("'analyses' in " + file + " must be a list");
    }
    String reference = root.get("reference") == null ? "none" : String.valueOf(root.get("reference"));
    if (!reference.equals("none") && !reference.equals("least-squares")) {
      throw PullbackException.usage("'reference' in " + file + " must be none or least-squares, got " + reference);
    }
    if (analyses.contains("decay") && reference.equals("none")) {
      throw PullbackException.usage("analysis 'decay' in " + file + " needs 'reference: least-squares'");
    }
    List<List<String>> pairs = new ArrayList<>();
    if (root.get("same_predictions") instanceof List<?> l) {
      for (Object o : l) {
        if (!(o instanceof List<?> pair) || pair.size() != 2 || !seen.contains(String.valueOf(pair.get(0))) || !seen.contains(String.valueOf(pair.get(1)))) {
          throw PullbackException.usage("'same_predictions' in " + file + " must list pairs of arm names, got " + o);
        }
        pairs.add(List.of(String.valueOf(pair.get(0)), String.valueOf(pair.get(1))));
      }
    }
    if (arms.isEmpty() && analyses.isEmpty()) throw PullbackException.usage(file + " has neither arms nor analyses: nothing to run");
    int ntkBatch = 32;
    if (root.get("ntk_batch") != null) {
      if (!(root.get("ntk_batch") instanceof Integer b) || b < 1) throw PullbackException.usage("'ntk_batch' in " + file + " must be a positive integer");
      ntkBatch = b;
    }
    Map<String, List<String>> groups = groups(root.get("groups"), arms, file);
    String target = root.get("target") == null ? null : String.valueOf(root.get("target"));
    if (target != null && !groups.containsKey(target) && arms.stream().noneMatch(a -> a.name().equals(target))) {
      throw PullbackException.usage("'target' in " + file + " is '" + target + "', neither an arm nor a group");
    }
    Experiment e = new Experiment(name, root.get("description") == null ? "" : String.valueOf(root.get("description")),
        train, arms, analyses, reference, pairs, ntkBatch, groups, target);
    return e.with(overrides);
  }

  /**
   * Applies {@code key=value} overrides: {@code key} is a train option for every arm, or
   * {@code ARM.key} for one arm. Values are read as YAML scalars ({@code 5}, {@code 0.1}, {@code true}).
   */
  Experiment with(List<String> overrides) {
    if (overrides == null || overrides.isEmpty()) return this;
    Map<String, Object> t = new LinkedHashMap<>(train);
    List<Arm> a = new ArrayList<>();
    for (Arm arm : arms) a.add(new Arm(arm.name(), new LinkedHashMap<>(arm.options())));
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) throw PullbackException.usage("--set " + o + ": expected key=value");
      String key = o.substring(0, eq);
      Object value;
      try {
        value = yaml.readValue(o.substring(eq + 1).isEmpty() ? "''" : o.substring(eq + 1), Object.class);
      } catch (IOException ex) {
        value = o.substring(eq + 1);
      }
      int dot = key.indexOf('.');
      Arm target = null;
      if (dot > 0) {
        String armName = key.substring(0, dot);
        for (Arm arm : a) if (arm.name().equals(armName)) target = arm;
      }
      if (target != null) {
        target.options().put(key.substring(dot + 1), value);
      } else {
        t.put(key, value);
      }
    }
    return new Experiment(name, description, t, a, analyses, reference, samePredictions, ntkBatch, groups, target);
  }

  /** {@code groups: {NAME: [arm, …]}}: every member an arm of the file. */
  private static Map<String, List<String>> groups(Object node, List<Arm> arms, Location file) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (node == null) return out;
    if (!(node instanceof Map<?, ?> m)) throw PullbackException.usage("'groups' in " + file + " must map group names to lists of arms");
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getValue() instanceof List<?> members) || members.isEmpty()) {
        throw PullbackException.usage("group '" + e.getKey() + "' in " + file + " must be a non-empty list of arm names");
      }
      List<String> names = new ArrayList<>();
      for (Object o : members) {
        String armName = String.valueOf(o);
        if (arms.stream().noneMatch(a -> a.name().equals(armName))) {
          throw PullbackException.usage("group '" + e.getKey() + "' in " + file + " names '" + armName + "', which is not an arm");
        }
        names.add(armName);
      }
      out.put(String.valueOf(e.getKey()), List.copyOf(names));
    }
    return out;
  }

  /** The train options of an arm: the shared ones overridden by the arm's. */
  public Map<String, Object> optionsOf(Arm arm) {
    Map<String, Object> m = new LinkedHashMap<>(train);
    m.putAll(arm.options());
    return m;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object node, String key, Location file) {
    if (node == null) return new LinkedHashMap<>();
    if (!(node instanceof Map<?, ?>)) throw PullbackException.usage("'" + key + "' in " + file + " must be a mapping of option names to values");
    Map<String, Object> out = new LinkedHashMap<>();
    ((Map<Object, Object>) node).forEach((k, v) -> out.put(String.valueOf(k), v));
    return out;
  }

  private static String string(Object node, String key, Location file) {
    if (node == null) return null;
    if (node instanceof Map || node instanceof List) throw PullbackException.usage("'" + key + "' in " + file + " must be a text value");
    return String.valueOf(node);
  }
}
