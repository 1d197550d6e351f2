package io.apixx.flow.sidecar.config;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Binds a configuration tree (what {@link ConfigYaml} loads: maps, lists, strings, numbers,
 * booleans, null) to the configuration records, and back for rendering. Keys are the records'
 * component names in snake case ({@code maxInboundMessageSize} is {@code max_inbound_message_size}).
 *
 * <p>Strict, naming the dotted key on every error: a key without a component, a missing or null
 * value for a primitive, a string where a number or boolean belongs ("8" is not an integer), a
 * number or boolean where a string belongs. Durations, sizes and addresses are strings parsed by
 * {@link Durations}, {@link DataSize} and {@link ListenAddress} (a blank string means not set);
 * a size may also be a plain number of bytes.
 */
final class RecordBinder {
  private RecordBinder() {}

  /** The record {@code type} built from the mapping {@code tree}. */
  static <T extends Record> T bind(Map<String, Object> tree, Class<T> type) {
    return type.cast(value(tree, type, ""));
  }

  /** The tree of {@code config}: records as mappings, durations, sizes and addresses as text. */
  static Map<String, Object> tree(Record config) {
    @SuppressWarnings("unchecked")
    Map<String, Object> out = (Map<String, Object>) render(config);
    return out;
  }

  private static Object value(Object node, Type type, String key) {
    Class<?> raw = raw(type);
    if (raw == List.class) {
      if (!(node instanceof List<?> items)) {
        throw new ConfigException(key, "expected a list");
      }
      Type element = ((ParameterizedType) type).getActualTypeArguments()[0];
      List<Object> out = new ArrayList<>(items.size());
      for (int i = 0; i < items.size(); i++) {
        out.add(value(items.get(i), element, key + "[" + i + "]"));
      }
      return List.copyOf(out);
    }
    if (raw == int.class || raw == Integer.class) {
      if (node instanceof Integer i) {
        return i;
      }
      throw new ConfigException(key, "expected an integer" + (node instanceof Long || node instanceof BigInteger ? " from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE : ""));
    }
    if (raw == long.class || raw == Long.class) {
      if (node instanceof Integer || node instanceof Long) {
        return ((Number) node).longValue();
      }
      throw new ConfigException(key, "expected an integer");
    }
    if (raw == boolean.class || raw == Boolean.class) {
      if (node instanceof Boolean b) {
        return b;
      }
      throw new ConfigException(key, "expected true or false");
    }
    if (raw == String.class) {
      if (node == null || node instanceof String) {
        return node;
      }
      throw new ConfigException(key, "expected a string");
    }
    if (raw == Duration.class) {
      return text(node, key, "a duration such as 250ms, 10s, 5m, 12h or 30d", Durations::parse);
    }
    if (raw == ListenAddress.class) {
      return text(node, key, "host:port", ListenAddress::parse);
    }
    if (raw == DataSize.class) {
      if (node instanceof Integer || node instanceof Long) {
        return parsed(key, ((Number) node).longValue(), DataSize::ofBytes);
      }
      return text(node, key, "a size such as 64KiB", DataSize::parse);
    }
    // After the value types above, two of which are records written as text.
    if (raw.isRecord()) {
      return record(node, raw, key);
    }
    // A component type this binder does not know is a programming error, found by ConfigLoaderTest.
    throw new IllegalStateException(key + ": no binding for " + type);
  }

  private static Object record(Object node, Class<?> type, String key) {
    if (!(node instanceof Map<?, ?> map)) {
      throw new ConfigException(key.isEmpty() ? "config" : key, "expected a mapping of settings");
    }
    RecordComponent[] components = type.getRecordComponents();
    Set<String> names = new java.util.HashSet<>();
    Object[] args = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      RecordComponent c = components[i];
      String name = snakeCase(c.getName());
      names.add(name);
      types[i] = c.getType();
      String path = key.isEmpty() ? name : key + "." + name;
      Object child = map.get(name);
      if (child == null && c.getType().isPrimitive()) {
        throw new ConfigException(path, describe(c.getType()));
      }
      args[i] = child == null ? null : value(child, c.getGenericType(), path);
    }
    for (Object k : map.keySet()) {
      if (!names.contains(k)) {
        String name = String.valueOf(k);
        throw new ConfigException(key.isEmpty() ? name : key + "." + name, "unknown configuration key");
      }
    }
    try {
      Constructor<?> canonical = type.getDeclaredConstructor(types);
      return canonical.newInstance(args);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof IllegalArgumentException iae && iae.getMessage() != null) {
        throw new ConfigException(key.isEmpty() ? "config" : key, iae.getMessage(), iae);
      }
      throw new IllegalStateException("cannot build " + type.getSimpleName(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot build " + type.getSimpleName(), e);
    }
  }

  private static String describe(Class<?> primitive) {
    return primitive == boolean.class ? "expected true or false" : "expected an integer";
  }

  private static <T> T text(Object node, String key, String what, Function<String, T> parse) {
    if (!(node instanceof String s)) {
      throw new ConfigException(key, "expected " + what);
    }
    return s.isBlank() ? null : parsed(key, s, parse);
  }

  private static <A, T> T parsed(String key, A input, Function<A, T> parse) {
    try {
      return parse.apply(input);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, e.getMessage(), e);
    }
  }

  private static Object render(Object value) {
    // The value types first: two of them are records written as text.
    if (value instanceof Duration d) {
      return Durations.format(d);
    }
    if (value instanceof DataSize s) {
      return s.bytes();
    }
    if (value instanceof ListenAddress a) {
      return a.toString();
    }
    if (value instanceof List<?> list) {
      return list.stream().map(RecordBinder::render).toList();
    }
    if (value instanceof Record r) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (RecordComponent c : r.getClass().getRecordComponents()) {
        try {
          out.put(snakeCase(c.getName()), render(c.getAccessor().invoke(r)));
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException("cannot read " + c.getName(), e);
        }
      }
      return out;
    }
    return value;
  }

  /** {@code maxRstFramesPerWindow} → {@code max_rst_frames_per_window} (as Jackson's SNAKE_CASE did). */
  static String snakeCase(String name) {
    StringBuilder sb = new StringBuilder(name.length() + 8);
    boolean prevUpper = false;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isUpperCase(c)) {
        if (!prevUpper && sb.length() > 0 && sb.charAt(sb.length() - 1) != '_') {
          sb.append('_');
        }
        sb.append(Character.toLowerCase(c));
        prevUpper = true;
      } else {
        sb.append(c);
        prevUpper = false;
      }
    }
    return sb.toString();
  }

  private static Class<?> raw(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    throw new IllegalStateException("no binding for " + type);
  }
}
