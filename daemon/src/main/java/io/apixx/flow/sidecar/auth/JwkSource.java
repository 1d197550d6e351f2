package io.apixx.flow.sidecar.auth;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.SecurityContext;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where verification keys come from. Keys are looked up by key id only; a token can never bring
 * its own key or point at one ({@code jwk}, {@code jku}, {@code x5u}, {@code x5c} are refused
 * before any lookup).
 */
public interface JwkSource {

  /** The public key with {@code keyId}, if the source has it. Thread-safe. */
  Optional<JWK> find(String keyId);

  /** A JWKS file, re-read when its modification time or size changes (checked at most every second). */
  static JwkSource file(Path path, Clock clock) {
    return new FileJwks(path, clock);
  }

  /**
   * A JWKS URL, cached for {@code ttl}; an unknown key id triggers a refetch, at most once per
   * {@code minInterval} (nimbus' rate-limited, caching JWK source).
   */
  static JwkSource url(URL url, Duration ttl, Duration minInterval) {
    JWKSource<SecurityContext> source =
        JWKSourceBuilder.<SecurityContext>create(url)
            .cache(ttl.toMillis(), Math.min(ttl.toMillis(), 15_000))
            .rateLimited(minInterval.toMillis())
            .retrying(false)
            .refreshAheadCache(false)
            .build();
    return keyId -> {
      try {
        List<JWK> keys = source.get(new JWKSelector(new JWKMatcher.Builder().keyID(keyId).build()), null);
        return keys.stream().findFirst();
      } catch (KeySourceException e) {
        LoggerFactory.getLogger(JwkSource.class).warn("JWKS at {} unavailable: {}", url.getHost(), e.getMessage());
        return Optional.empty();
      }
    };
  }

  /** A fixed set (tests, the embedded dev orchestrator). */
  static JwkSource of(JWKSet set) {
    return keyId -> Optional.ofNullable(set.getKeyByKeyId(keyId));
  }

  /** No keys at all: every token is refused. */
  static JwkSource none() {
    return keyId -> Optional.empty();
  }

  /** {@link JwkSource#file}. */
  final class FileJwks implements JwkSource {
    private static final Logger log = LoggerFactory.getLogger(FileJwks.class);
    private static final Duration CHECK_EVERY = Duration.ofSeconds(1);

    private final Path path;
    private final Clock clock;
    private volatile JWKSet keys = new JWKSet();
    private volatile Instant nextCheck = Instant.MIN;
    private FileTime loadedTime;
    private long loadedSize = -1;

    FileJwks(Path path, Clock clock) {
      this.path = path;
      this.clock = clock;
      reloadIfChanged();
    }

    @Override
    public Optional<JWK> find(String keyId) {
      if (clock.instant().isAfter(nextCheck)) {
        reloadIfChanged();
      }
      return Optional.ofNullable(keys.getKeyByKeyId(keyId));
    }

    private synchronized void reloadIfChanged() {
      nextCheck = clock.instant().plus(CHECK_EVERY);
      try {
        FileTime mtime = Files.getLastModifiedTime(path);
        long size = Files.size(path);
        if (mtime.equals(loadedTime) && size == loadedSize) {
          return;
        }
        JWKSet loaded = JWKSet.parse(Files.readString(path));
        // Keep only public keys: a JWKS file that contains private material is a mistake, not a reason to use it.
        keys = loaded.toPublicJWKSet();
        loadedTime = mtime;
        loadedSize = size;
        log.info("loaded {} run-token verification key(s) from {}", keys.size(), path);
      } catch (IOException | ParseException e) {
        log.warn("cannot load JWKS file {}: {}; keeping {} key(s) loaded before", path, e.getMessage(), keys.size());
      }
    }
  }
}
