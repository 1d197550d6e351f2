package io.apixx.flow.sidecar.auth;

import io.apixx.flow.sidecar.config.ConfigYaml;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.constructor.ConstructorException;
import org.yaml.snakeyaml.constructor.DuplicateKeyException;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Control-plane service tokens. The daemon never stores a service token: the file lists the
 * SHA-256 of each, with the service name and the tenants it may act on:
 *
 * <pre>
 * - name: control-plane
 *   token_sha256: 3f0a...   # sha256sum of the token (hex)
 *   tenants: ["*"]          # or a list of tenant ids
 * </pre>
 *
 * Only these three keys are allowed. Plain scalars are text, as written: {@code tenants: [0123, on]}
 * names the tenants {@code 0123} and {@code on} (YAML 1.1 typing, which would read them as 83 and
 * true, is off). Error messages name the entry and key, never a value.
 *
 * <p>The file is re-read when it changes (checked at most every two seconds). Lookups compare hashes
 * in constant time. Thread-safe.
 */
public final class ServiceTokens {
  private static final Logger log = LoggerFactory.getLogger(ServiceTokens.class);
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
  private static final Duration CHECK_EVERY = Duration.ofSeconds(2);
  private static final Set<String> KEYS = Set.of("name", "token_sha256", "tenants");
  // An unknown key is named only when it looks like a misspelt field: a service token pasted as a
  // key ("fst_" and 43 more characters) is too long to be shown.
  private static final Pattern SHOWN_KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,23}");

  /** One entry of the file. */
  public record Entry(String name, String tokenSha256, List<String> tenants) {}

  private record Loaded(List<byte[]> hashes, List<ServicePrincipal> principals) {}

  private final Optional<Path> file;
  private final Clock clock;
  private volatile Loaded loaded = new Loaded(List.of(), List.of());
  private volatile Instant nextCheck = Instant.MIN;
  private FileTime loadedTime;

  private ServiceTokens(Optional<Path> file, Clock clock) {
    this.file = file;
    this.clock = clock;
    file.ifPresent(f -> reload(true));
  }

  /**
   * Loads {@code file} (empty: no service tokens).
   *
   * @throws IllegalArgumentException naming the problem when the file is unreadable or invalid
   */
  public static ServiceTokens load(Optional<Path> file, Clock clock) {
    return new ServiceTokens(file, clock);
  }

  /** The service whose token this is, if any. */
  public Optional<ServicePrincipal> authenticate(String token) {
    if (file.isPresent() && clock.instant().isAfter(nextCheck)) {
      reload(false);
    }
    byte[] hash = Tokens.hash(token);
    Loaded l = loaded;
    ServicePrincipal found = null;
    // Compare with every entry so timing does not depend on where (or whether) it matches.
    for (int i = 0; i < l.hashes().size(); i++) {
      if (MessageDigest.isEqual(l.hashes().get(i), hash)) {
        found = l.principals().get(i);
      }
    }
    return Optional.ofNullable(found);
  }

  private synchronized void reload(boolean strict) {
    nextCheck = clock.instant().plus(CHECK_EVERY);
    Path f = file.orElseThrow();
    try {
      FileTime mtime = Files.getLastModifiedTime(f);
      if (mtime.equals(loadedTime)) {
        return;
      }
      List<Entry> entries;
      try (InputStream in = Files.newInputStream(f)) {
        entries = parse(in);
      }
      List<byte[]> hashes = new ArrayList<>();
      List<ServicePrincipal> principals = new ArrayList<>();
      for (int i = 0; i < entries.size(); i++) {
        Entry e = entries.get(i);
        String where = "entry " + (i + 1);
        if (e.name() == null || e.name().isBlank()) {
          throw new IllegalArgumentException(where + ": name is required");
        }
        if (e.tokenSha256() == null || !HEX.matcher(e.tokenSha256()).matches()) {
          throw new IllegalArgumentException(where + ": token_sha256 must be the SHA-256 of the token, 64 lowercase hex digits");
        }
        if (e.tenants() == null || e.tenants().isEmpty()) {
          throw new IllegalArgumentException(where + ": tenants must list tenant ids or \"*\"");
        }
        hashes.add(HexFormat.of().parseHex(e.tokenSha256()));
        principals.add(new ServicePrincipal(e.name(), Set.copyOf(e.tenants()), ServicePrincipal.Method.TOKEN));
      }
      loaded = new Loaded(List.copyOf(hashes), List.copyOf(principals));
      loadedTime = mtime;
      log.info("loaded {} service token(s) from {}", principals.size(), f);
    } catch (IOException | IllegalArgumentException e) {
      if (strict) {
        throw new IllegalArgumentException("service tokens file " + f + ": " + e.getMessage(), e);
      }
      log.warn("cannot reload service tokens file {}: {}; keeping the previous list", f, e.getMessage());
    }
  }

  /**
   * The entries of a service tokens file, bound as strictly as the Jackson mapping this replaces:
   * one YAML document, a list of mappings with the known keys only (each once), each a string or,
   * for {@code tenants}, a list of strings. A document that is only {@code ---} or {@code ~} has no
   * entries; a file without a document is refused, as before.
   *
   * @throws IllegalArgumentException naming the entry and key (or the line of a YAML syntax
   *     error), never quoting a value
   */
  private static List<Entry> parse(InputStream in) {
    Object doc;
    try {
      Iterator<Object> docs =
          ConfigYaml.textOnly().loadAll(in).iterator();
      if (!docs.hasNext()) {
        throw new IllegalArgumentException("no YAML document (for no service tokens, write [])");
      }
      doc = docs.next();
      if (docs.hasNext()) {
        throw new IllegalArgumentException("more than one YAML document");
      }
    } catch (YAMLException e) {
      // SnakeYAML's messages quote the offending line, which may hold a pasted token: say only
      // where it is, and drop the exception.
      Mark mark = e instanceof MarkedYAMLException m ? Objects.requireNonNullElse(m.getProblemMark(), m.getContextMark()) : null;
      String problem =
          e instanceof DuplicateKeyException ? "duplicate key"
              : e instanceof ConstructorException ? "unsupported YAML tag" // safe construction only
              : "not valid YAML";
      throw new IllegalArgumentException(
          problem + (mark == null ? "" : " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1)));
    }
    if (doc == null) {
      return List.of(); // "---" or "~" alone, as before
    }
    if (!(doc instanceof List<?> items)) {
      throw new IllegalArgumentException("expected a list of entries (- name: ...)");
    }
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      String where = "entry " + (i + 1);
      if (!(items.get(i) instanceof Map<?, ?> fields)) {
        throw new IllegalArgumentException(where + ": expected a mapping with name, token_sha256 and tenants");
      }
      for (Object key : fields.keySet()) {
        if (!(key instanceof String k && KEYS.contains(k))) {
          String shown = key instanceof String name && SHOWN_KEY.matcher(name).matches() ? "\"" + name + "\"" : "(not shown)";
          throw new IllegalArgumentException(where + ": unknown key " + shown + "; allowed: name, token_sha256, tenants");
        }
      }
      entries.add(new Entry(string(fields, "name", where), string(fields, "token_sha256", where), strings(fields, "tenants", where)));
    }
    return entries;
  }

  /** The string at {@code key}, null if absent or null. */
  private static String string(Map<?, ?> fields, String key, String where) {
    Object value = fields.get(key);
    if (value == null || value instanceof String) {
      return (String) value;
    }
    throw new IllegalArgumentException(where + ": " + key + " must be a string");
  }

  /** The list of strings at {@code key}, null if absent or null. */
  private static List<String> strings(Map<?, ?> fields, String key, String where) {
    Object value = fields.get(key);
    if (value == null) {
      return null;
    }
    if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
      return list.stream().map(String.class::cast).toList();
    }
    throw new IllegalArgumentException(where + ": " + key + " must be a list of strings");
  }
}
