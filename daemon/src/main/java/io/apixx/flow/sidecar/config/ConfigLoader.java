package io.apixx.flow.sidecar.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

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
 */
public final class ConfigLoader {
  /** Prefix of configuration environment variables. */
  public static final String ENV_PREFIX = "FLOW_SIDECAR_";

  /** Variables with the prefix that belong to the launcher script, not to the configuration. */
  private static final Set<String> LAUNCHER_ENV =
      Set.of("FLOW_SIDECAR_JAVA_OPTS", "FLOW_SIDECAR_HOME", "FLOW_SIDECAR_AOT_CACHE", "FLOW_SIDECAR_AOT_TRAIN");

  private static final String DEFAULTS = "defaults.yaml";

  private final YAMLMapper mapper;

  public ConfigLoader() {
    this.mapper = newMapper();
  }

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
    ObjectNode tree = readResource(DEFAULTS);
    if (sources.profile().isPresent()) {
      merge(tree, readResource(sources.profile().get() + ".yaml"), "");
    }
    if (sources.file().isPresent()) {
      merge(tree, readFile(sources.file().get()), "");
    }
    merge(tree, fromEnvironment(sources.environment()), "");
    merge(tree, fromFlags(sources.setFlags()), "");
    resolveInstanceId(tree, sources.environment());
    return bind(tree).validate();
  }

  /** The merged tree as YAML (for {@code check-config --print}); contains no secret values. */
  public String render(SidecarConfig config) {
    try {
      return mapper.writeValueAsString(mapper.valueToTree(config));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render configuration", e);
    }
  }

  private ObjectNode readResource(String name) {
    try (InputStream in = ConfigLoader.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing built-in configuration " + name);
      }
      return (ObjectNode) mapper.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read built-in configuration " + name, e);
    }
  }

  private ObjectNode readFile(Path file) {
    JsonNode node;
    try {
      node = mapper.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new ConfigException("--config", "file " + file + " does not exist");
    } catch (JsonProcessingException e) {
      throw new ConfigException(
          "--config",
          "file " + file + " is not valid YAML (line " + e.getLocation().getLineNr() + ")");
    } catch (IOException e) {
      throw new ConfigException("--config", "cannot read " + file + ": " + e.getMessage());
    }
    if (node == null || node.isMissingNode() || node.isNull()) {
      return JsonNodeFactory.instance.objectNode();
    }
    if (!node.isObject()) {
      throw new ConfigException("--config", "file " + file + " must contain a YAML mapping");
    }
    return (ObjectNode) node;
  }

  private ObjectNode fromEnvironment(Map<String, String> env) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    // Sorted so that the first error reported is deterministic.
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(ENV_PREFIX) || LAUNCHER_ENV.contains(name)) {
        continue;
      }
      String path = name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace("__", ".");
      put(root, path, parseScalar(name, e.getValue()));
    }
    return root;
  }

  private ObjectNode fromFlags(List<String> flags) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    for (String flag : flags) {
      int eq = flag.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("--set", "expected key.path=value, got '" + flag + "'");
      }
      String path = flag.substring(0, eq).trim();
      put(root, path, parseScalar(path, flag.substring(eq + 1)));
    }
    return root;
  }

  private JsonNode parseScalar(String key, String text) {
    if (text.isEmpty()) {
      return TextNode.valueOf("");
    }
    try {
      JsonNode n = mapper.readTree(text);
      return n == null || n.isMissingNode() ? TextNode.valueOf(text) : n;
    } catch (JsonProcessingException e) {
      // Not YAML (e.g. contains ': '): take it as a plain string.
      return TextNode.valueOf(text);
    }
  }

  private static void put(ObjectNode root, String dottedPath, JsonNode value) {
    String[] parts = dottedPath.split("\\.");
    ObjectNode node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode child = node.get(parts[i]);
      if (child == null || !child.isObject()) {
        child = node.putObject(parts[i]);
      }
      node = (ObjectNode) child;
    }
    node.set(parts[parts.length - 1], value);
  }

  /**
   * Merges {@code overlay} into {@code base}. Objects merge key by key; anything else replaces.
   * A key absent from {@code base} is unknown, unless the base object is an empty mapping, which
   * marks a free-form map.
   */
  private static void merge(ObjectNode base, ObjectNode overlay, String prefix) {
    Iterator<Map.Entry<String, JsonNode>> it = overlay.fields();
    boolean freeForm = base.isEmpty();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      JsonNode existing = base.get(e.getKey());
      if (existing == null && !freeForm) {
        throw new ConfigException(key, "unknown configuration key");
      }
      JsonNode value = e.getValue();
      if (existing != null && existing.isObject()) {
        if (value.isNull()) {
          continue;
        }
        if (!value.isObject()) {
          throw new ConfigException(key, "expected a mapping of settings");
        }
        merge((ObjectNode) existing, (ObjectNode) value, key);
      } else {
        base.set(e.getKey(), value);
      }
    }
  }

  private static void resolveInstanceId(ObjectNode tree, Map<String, String> env) {
    JsonNode id = tree.get("instance_id");
    if (id == null || id.asText().isBlank()) {
      String host = env.getOrDefault("HOSTNAME", "");
      if (host.isBlank()) {
        host = "sidecar";
      }
      tree.put("instance_id", host + "-" + ProcessHandle.current().pid());
    }
  }

  private SidecarConfig bind(ObjectNode tree) {
    try {
      return mapper.treeToValue(tree, SidecarConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(pathOf(e), "unknown configuration key", e);
    } catch (JsonMappingException e) {
      throw new ConfigException(pathOf(e), describe(e), e);
    } catch (JsonProcessingException e) {
      throw new ConfigException("config", "cannot be read: " + e.getOriginalMessage(), e);
    }
  }

  private static String pathOf(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.length() == 0 ? "config" : sb.toString();
  }

  private static String describe(JsonMappingException e) {
    Throwable cause = e.getCause();
    if (cause instanceof IllegalArgumentException && cause.getMessage() != null) {
      return cause.getMessage();
    }
    if (e instanceof MismatchedInputException mie && mie.getTargetType() != null) {
      Class<?> t = mie.getTargetType();
      String expected;
      if (t == int.class || t == Integer.class || t == long.class || t == Long.class) {
        expected = "an integer";
      } else if (t == boolean.class || t == Boolean.class) {
        expected = "true or false";
      } else if (t == String.class) {
        expected = "a string";
      } else if (List.class.isAssignableFrom(t)) {
        expected = "a list";
      } else if (t.isRecord()) {
        expected = "a mapping of settings";
      } else {
        expected = "a value of type " + t.getSimpleName();
      }
      return "expected " + expected;
    }
    return "invalid value";
  }

  private static YAMLMapper newMapper() {
    SimpleModule types = new SimpleModule("flow-sidecar-config");
    types.addDeserializer(Duration.class, textValue("a duration", Durations::parse));
    types.addDeserializer(DataSize.class, new DataSizeDeserializer());
    types.addDeserializer(ListenAddress.class, textValue("host:port", ListenAddress::parse));
    types.addSerializer(Duration.class, asText(Durations::format));
    types.addSerializer(DataSize.class, asText(d -> Long.toString(d.bytes())));
    types.addSerializer(ListenAddress.class, asText(ListenAddress::toString));
    YAMLMapper m =
        YAMLMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .addModule(types)
            .build();
    // Strict scalar types: a quoted "8" is not an integer, 8 is not a string, "yes" is not a boolean.
    m.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
    m.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
    m.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    m.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    m.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    m.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    return m;
  }

  /** A deserializer for types written as a string; the empty string means "not set" (null). */
  private static <T> JsonDeserializer<T> textValue(String what, Function<String, T> parse) {
    return new JsonDeserializer<>() {
      @Override
      public T deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
          throw MismatchedInputException.from(p, String.class, "expected " + what);
        }
        String text = p.getText();
        if (text.isBlank()) {
          return null;
        }
        try {
          return parse.apply(text);
        } catch (IllegalArgumentException e) {
          throw JsonMappingException.from(p, e.getMessage(), e);
        }
      }
    };
  }

  private static <T> JsonSerializer<T> asText(Function<T, String> format) {
    return new JsonSerializer<>() {
      @Override
      public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
        gen.writeString(format.apply(value));
      }
    };
  }

  private static final class DataSizeDeserializer extends JsonDeserializer<DataSize> {
    @Override
    public DataSize deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      try {
        if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
          return DataSize.ofBytes(p.getLongValue());
        }
        if (p.currentToken() == JsonToken.VALUE_STRING) {
          return DataSize.parse(p.getText());
        }
      } catch (IllegalArgumentException e) {
        throw JsonMappingException.from(p, e.getMessage(), e);
      }
      throw MismatchedInputException.from(p, DataSize.class, "expected a size such as 64KiB");
    }
  }

  /** For tests: the keys of the built-in defaults, dotted. */
  List<String> knownKeys() {
    List<String> out = new ArrayList<>();
    collect(readResource(DEFAULTS), "", out);
    return out;
  }

  private static void collect(JsonNode node, String prefix, List<String> out) {
    node.fields()
        .forEachRemaining(
            e -> {
              String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
              if (e.getValue().isObject() && !e.getValue().isEmpty()) {
                collect(e.getValue(), key, out);
              } else {
                out.add(key);
              }
            });
  }
}
