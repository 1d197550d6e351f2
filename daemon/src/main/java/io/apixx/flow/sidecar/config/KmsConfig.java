package io.apixx.flow.sidecar.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The key management service that wraps data keys ({@code kms.*}).
 *
 * <h2>Key URIs ({@code kms.uri})</h2>
 *
 * <ul>
 *   <li>{@code ""} — no KMS configured; credential operations are unavailable.
 *   <li>{@code file:PATH} or {@code file://PATH} — the local JSON keyring (dev mode, tests). PATH is
 *       taken literally, without percent-decoding and without a host part: {@code
 *       file://.dev/keyring.json} and {@code file:.dev/keyring.json} both name {@code
 *       .dev/keyring.json} relative to the working directory; {@code file:///var/lib/k.json} names
 *       the absolute {@code /var/lib/k.json}. PATH must not contain {@code ?} or {@code #}.
 *   <li>{@code vault-transit://HOST[:PORT][/MOUNT][?tls=false]} — Vault Transit at {@code
 *       https://HOST:PORT} (port 8200 by default), engine mounted at MOUNT (else {@code
 *       kms.vault.transit_mount}, else {@code transit}). {@code tls=false} switches to plain HTTP
 *       and is accepted only for a loopback HOST (tests, a local Vault Agent proxy).
 * </ul>
 *
 * @param uri the key URI, see above
 * @param connectTimeout how long to wait for a TCP/TLS connection to the KMS
 * @param requestTimeout how long one KMS request may take once connected; Vault requests count in
 *     whole seconds (rounded up)
 * @param maxRetries further attempts after a failed KMS request that failed for a transient reason
 *     (connection error, timeout, HTTP 5xx/429); 0 to 10
 * @param retryBackoff wait before the first retry; doubled for each further one (with jitter)
 * @param retryMaxBackoff the longest wait between retries, and between login/renewal attempts
 * @param dekCache bounds of the unwrapped-DEK cache
 * @param vault Vault settings, used when {@code uri} selects Vault
 */
public record KmsConfig(
    String uri,
    Duration connectTimeout,
    Duration requestTimeout,
    int maxRetries,
    Duration retryBackoff,
    Duration retryMaxBackoff,
    DekCacheConfig dekCache,
    VaultKmsConfig vault) {

  /** Scheme of the local keyring. */
  public static final String SCHEME_FILE = "file";
  /** Scheme of Vault Transit. */
  public static final String SCHEME_VAULT_TRANSIT = "vault-transit";

  private static final int DEFAULT_VAULT_PORT = 8200;
  private static final String DEFAULT_TRANSIT_MOUNT = "transit";

  public KmsConfig {
    uri = uri == null ? "" : uri.trim();
  }

  /**
   * Where and how to reach Vault.
   *
   * @param address base URL, {@code https://host:port} (or {@code http://} for loopback tests)
   * @param transitMount mount path of the transit engine, without slashes at either end
   */
  public record VaultEndpoint(URI address, String transitMount) {
    public boolean tls() {
      return "https".equals(address.getScheme());
    }
  }

  /** The scheme of {@link #uri()} in lower case, or empty when no KMS is configured. */
  public Optional<String> scheme() {
    int colon = uri.indexOf(':');
    return colon <= 0 ? Optional.empty() : Optional.of(uri.substring(0, colon).toLowerCase(Locale.ROOT));
  }

  /**
   * For a {@code file:} URI, the keyring path as written (relative paths stay relative to the
   * working directory).
   */
  public Optional<Path> keyringPath() {
    if (!scheme().equals(Optional.of(SCHEME_FILE))) {
      return Optional.empty();
    }
    String rest = uri.substring(SCHEME_FILE.length() + 1);
    if (rest.startsWith("//")) {
      rest = rest.substring(2);
    }
    if (rest.isEmpty() || rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0) {
      throw new ConfigException(
          "kms.uri", "expected file:PATH or file:///ABSOLUTE/PATH without ? or #");
    }
    return Optional.of(Path.of(rest));
  }

  /** For a {@code vault-transit:} URI, the endpoint it names. */
  public Optional<VaultEndpoint> vaultEndpoint() {
    if (!scheme().equals(Optional.of(SCHEME_VAULT_TRANSIT))) {
      return Optional.empty();
    }
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException e) {
      throw new ConfigException("kms.uri", "is not a valid URI: " + e.getReason());
    }
    if (parsed.getHost() == null || parsed.getUserInfo() != null || parsed.getFragment() != null) {
      throw new ConfigException("kms.uri", "expected vault-transit://HOST[:PORT][/MOUNT][?tls=false]");
    }
    boolean tls = tlsParameter(parsed.getRawQuery());
    String host = parsed.getHost();
    if (!tls && !isLoopback(host)) {
      throw new ConfigException(
          "kms.uri", "tls=false is only allowed for a loopback host; Vault needs TLS");
    }
    int port = parsed.getPort() < 0 ? DEFAULT_VAULT_PORT : parsed.getPort();
    String path = stripSlashes(parsed.getPath() == null ? "" : parsed.getPath());
    String configured = vault == null ? "" : vault.transitMount();
    if (!path.isEmpty() && !configured.isEmpty() && !path.equals(configured)) {
      throw new ConfigException(
          "kms.vault.transit_mount", "disagrees with the mount in kms.uri; set only one of them");
    }
    String mount = !path.isEmpty() ? path : !configured.isEmpty() ? configured : DEFAULT_TRANSIT_MOUNT;
    VaultKmsConfig.mount("kms.uri", mount);
    URI address = URI.create((tls ? "https" : "http") + "://" + hostForUri(host) + ":" + port);
    return Optional.of(new VaultEndpoint(address, mount));
  }

  /** Throws {@link ConfigException} naming the first bad key. */
  void validate() {
    Check.present("kms.dek_cache", dekCache).validate();
    Check.present("kms.vault", vault);
    Check.positive("kms.connect_timeout", connectTimeout);
    Check.positive("kms.request_timeout", requestTimeout);
    Check.range("kms.max_retries", maxRetries, 0, 10);
    Check.positive("kms.retry_backoff", retryBackoff);
    Check.positive("kms.retry_max_backoff", retryMaxBackoff);
    if (retryMaxBackoff.compareTo(retryBackoff) < 0) {
      throw new ConfigException("kms.retry_max_backoff", "must not be shorter than kms.retry_backoff");
    }
    if (uri.isEmpty()) {
      return;
    }
    String scheme = scheme().orElseThrow(() -> new ConfigException("kms.uri", "has no scheme"));
    switch (scheme) {
      case SCHEME_FILE -> keyringPath();
      case SCHEME_VAULT_TRANSIT -> {
        vault.validate();
        vaultEndpoint();
      }
      default ->
          throw new ConfigException(
              "kms.uri", "unknown scheme '" + scheme + "'; expected file or vault-transit");
    }
  }

  private static boolean tlsParameter(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return true;
    }
    return switch (rawQuery) {
      case "tls=true" -> true;
      case "tls=false" -> false;
      default -> throw new ConfigException("kms.uri", "the only query parameter is tls=true|false");
    };
  }

  private static boolean isLoopback(String host) {
    return new ListenAddress(stripBrackets(host), 0).isLoopback();
  }

  private static String stripBrackets(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  private static String hostForUri(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  private static String stripSlashes(String path) {
    int start = 0;
    int end = path.length();
    while (start < end && path.charAt(start) == '/') {
      start++;
    }
    while (end > start && path.charAt(end - 1) == '/') {
      end--;
    }
    return path.substring(start, end);
  }
}
