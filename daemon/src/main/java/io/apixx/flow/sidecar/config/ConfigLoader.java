package io.apixx.flow.sidecar.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Builds the one {@link SidecarConfig} of a process from layered sources. Later layers override
 * earlier ones: built-in defaults, an optional built-in profile (dev mode), the YAML file, the
 * environment ({@code FLOW_SIDECAR_<SECTION>__<KEY>}, levels joined by a double underscore), then
 * {@code --set key.path=value} flags.
 *
 * <p>Every key must exist in the defaults (they double as the reference), so a typo is an error
 * that names the key, never a silently ignored setting. Values are typed strictly: "8" is not an
 * integer in a YAML file, but environment and flag values are parsed as YAML scalars first, so
 * {@code FLOW_SIDECAR_SERVER__WORKER_THREADS=8} is.
 *
 * <p>Not thread-safe (its YAML parser is not): one loader per thread.
 */
public final class ConfigLoader {
  /** Prefix of configuration environment variables. */
  public static final String ENV_PREFIX = "FLOW_SIDECAR_";

  /** Variables with the prefix that belong to the launcher script, not to the configuration. */
  private static final Set<String> LAUNCHER_ENV =
      Set.of("FLOW_SIDECAR_JAVA_OPTS", "FLOW_SIDECAR_HOME", "FLOW_SIDECAR_AOT_CACHE", "FLOW_SIDECAR_AOT_TRAIN");

  private static final String DEFAULTS = "defaults.yaml";

  // One parser for the whole load: SnakeYAML builds its resolver and constructors per instance.
  private final Yaml yaml = ConfigYaml.create();

  public ConfigLoader() {}

  /** The inputs of one load. */
  public record Sources(
      Optional<String> profile,
      Optional<Path> file,
      Map<String, String> environment,
      List<String> setFlags) {

    public static Sources of(Optional<Path> file, Map<String, String> env, List<String> flags) {
      return new Sources(Optional.empty(), file, env, flags);
    }

    public Sources withProfile(String name) {
      return new Sources(Optional.of(name), file, environment, setFlags);
    }
  }

  /**
   * Loads, merges, binds and validates.
   *
   * @throws ConfigException naming the first unknown, mistyped, missing or unacceptable key
   */
  public SidecarConfig load(Sources sources) {
    Map<String, Object> tree = readResource(DEFAULTS);
    if (sources.profile().isPresent()) {
      merge(tree, readResource(sources.profile().get() + ".yaml"), "");
    }
    if (sources.file().isPresent()) {
      merge(tree, readFile(sources.file().get()), "");
    }
    merge(tree, fromEnvironment(sources.environment()), "");
    merge(tree, fromFlags(sources.setFlags()), "");
    resolveInstanceId(tree, sources.environment());
    return RecordBinder.bind(tree, SidecarConfig.class).validate();
  }

  /** The merged tree as YAML (for {@code check-config --print}); contains no secret values. */
  public String render(SidecarConfig config) {
    return yaml.dump(shapedLike(readResource(DEFAULTS), RecordBinder.tree(config)));
  }

  /**
   * {@code tree} without the keys the reference {@code defaults} lack (a record shared by two
   * sections, such as the collector's database, has components one of them does not use), so that
   * what {@link #render} prints loads again.
   */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> shapedLike(Map<String, Object> defaults, Map<String, Object> tree) {
    if (defaults.isEmpty()) {
      return tree;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    tree.forEach((k, v) -> {
      if (defaults.containsKey(k)) {
        out.put(k, defaults.get(k) instanceof Map<?, ?> d && v instanceof Map<?, ?> m
            ? shapedLike((Map<String, Object>) d, (Map<String, Object>) m) : v);
      }
    });
    return out;
  }

  private Map<String, Object> readResource(String name) {
    try (InputStream in = ConfigLoader.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing built-in configuration " + name);
      }
      return mapping(yaml.load(new String(in.readAllBytes(), StandardCharsets.UTF_8)), "built-in " + name);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read built-in configuration " + name, e);
    }
  }

  private Map<String, Object> readFile(Path file) {
    Object node;
    try {
      node = yaml.load(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new ConfigException("--config", "file " + file + " does not exist");
    } catch (MarkedYAMLException e) {
      // The line only: SnakeYAML's message quotes the offending text, which may be anything.
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      throw new ConfigException(
          "--config", "file " + file + " is not valid YAML" + (mark == null ? "" : " (line " + (mark.getLine() + 1) + ")"));
    } catch (YAMLException e) {
      throw new ConfigException("--config", "file " + file + " is not valid YAML");
    } catch (IOException e) {
      throw new ConfigException("--config", "cannot read " + file + ": " + e.getMessage());
    }
    if (node == null) {
      return new LinkedHashMap<>();
    }
    return mapping(node, "--config");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> mapping(Object node, String source) {
    if (!(node instanceof Map<?, ?>)) {
      throw new ConfigException(source, "must contain a YAML mapping");
    }
    return (Map<String, Object>) node;
  }

  private Map<String, Object> fromEnvironment(Map<String, String> env) {
    Map<String, Object> root = new LinkedHashMap<>();
    // Sorted so that the first error reported is deterministic.
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(ENV_PREFIX) || LAUNCHER_ENV.contains(name)) {
        continue;
      }
      String path = name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace("__", ".");
      put(root, path, parseScalar(e.getValue()));
    }
    return root;
  }

  private Map<String, Object> fromFlags(List<String> flags) {
    Map<String, Object> root = new LinkedHashMap<>();
    for (String flag : flags) {
      int eq = flag.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("--set", "expected key.path=value, got '" + flag + "'");
      }
      String path = flag.substring(0, eq).trim();
      put(root, path, parseScalar(flag.substring(eq + 1)));
    }
    return root;
  }

  /** An environment or flag value read as YAML, so that 8 is an integer; text that is not YAML is a string. */
  private Object parseScalar(String text) {
    if (text.isEmpty()) {
      return "";
    }
    try {
      return yaml.load(text);
    } catch (YAMLException e) {
      // Not YAML (e.g. contains ': ' after a quote): take it as a plain string.
      return text;
    }
  }

  @SuppressWarnings("unchecked")
  private static void put(Map<String, Object> root, String dottedPath, Object value) {
    String[] parts = dottedPath.split("\\.");
    Map<String, Object> node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      Object child = node.get(parts[i]);
      if (!(child instanceof Map<?, ?>)) {
        child = new LinkedHashMap<String, Object>();
        node.put(parts[i], child);
      }
      node = (Map<String, Object>) child;
    }
    node.put(parts[parts.length - 1], value);
  }

  /**
   * Merges {@code overlay} into {@code base}. Objects merge key by key; anything else replaces.
   * A key absent from {@code base} is unknown, unless the base object is an empty mapping, which
   * marks a free-form map.
   */
  @SuppressWarnings("unchecked")
  private static void merge(Map<String, Object> base, Map<String, Object> overlay, String prefix) {
    boolean freeForm = base.isEmpty();
    for (Map.Entry<String, Object> e : overlay.entrySet()) {
      String key = prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey();
      Object existing = base.get(e.getKey());
      if (existing == null && !base.containsKey(e.getKey()) && !freeForm) {
        throw new ConfigException(key, "unknown configuration key");
      }
      Object value = e.getValue();
      if (existing instanceof Map<?, ?> section) {
        if (value == null) {
          continue;
        }
        if (!(value instanceof Map<?, ?>)) {
          throw new ConfigException(key, "expected a mapping of settings");
        }
        merge((Map<String, Object>) section, (Map<String, Object>) value, key);
      } else {
        base.put(e.getKey(), value);
      }
    }
  }

  private static void resolveInstanceId(Map<String, Object> tree, Map<String, String> env) {
    Object id = tree.get("instance_id");
    if (id == null || String.valueOf(id).isBlank()) {
      String host = env.getOrDefault("HOSTNAME", "");
      if (host.isBlank()) {
        host = "sidecar";
      }
      tree.put("instance_id", host + "-" + ProcessHandle.current().pid());
    }
  }

  /** For tests: the keys of the built-in defaults, dotted. */
  List<String> knownKeys() {
    List<String> out = new ArrayList<>();
    collect(readResource(DEFAULTS), "", out);
    return out;
  }

  private static void collect(Map<?, ?> node, String prefix, List<String> out) {
    node.forEach((k, v) -> {
      String key = prefix.isEmpty() ? String.valueOf(k) : prefix + "." + k;
      if (v instanceof Map<?, ?> m && !m.isEmpty()) {
        collect(m, key, out);
      } else {
        out.add(key);
      }
    });
  }
}
