package io.apixx.flow.sidecar.auth;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * The file is re-read when it changes (checked at most every two seconds). Lookups compare hashes
 * in constant time. Thread-safe.
 */
public final class ServiceTokens {
  private static final Logger log = LoggerFactory.getLogger(ServiceTokens.class);
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
  private static final Duration CHECK_EVERY = Duration.ofSeconds(2);

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
      List<Entry> entries =
          YAMLMapper.builder()
              .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
              .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
              .build()
              .readerForListOf(Entry.class)
              .readValue(f.toFile());
      List<byte[]> hashes = new java.util.ArrayList<>();
      List<ServicePrincipal> principals = new java.util.ArrayList<>();
      for (Entry e : entries == null ? List.<Entry>of() : entries) {
        if (e.name() == null || e.name().isBlank() || e.tokenSha256() == null || !HEX.matcher(e.tokenSha256()).matches()
            || e.tenants() == null || e.tenants().isEmpty()) {
          throw new IllegalArgumentException("each entry needs name, token_sha256 (64 lowercase hex) and tenants");
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
}
