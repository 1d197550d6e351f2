package io.apixx.flow.sidecar.config;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Caller authentication ({@code auth.*}).
 *
 * @param runTokens how orchestrator-minted run tokens are verified
 * @param serviceTokensFile YAML file listing control-plane service tokens by SHA-256 (empty: none)
 * @param sessions session lifetimes and caching
 * @param passwords password hashing
 * @param throttle failed-attempt throttling (shared by every daemon through PostgreSQL)
 * @param mfa TOTP settings
 * @param oidc OpenID Connect settings (per-tenant issuers live in the database)
 */
public record AuthConfig(
    RunTokens runTokens,
    String serviceTokensFile,
    Sessions sessions,
    Passwords passwords,
    Throttle throttle,
    Mfa mfa,
    Oidc oidc) {

  /** Algorithms a run token may be signed with. */
  public static final Set<String> RUN_TOKEN_ALGORITHMS = Set.of("ES256", "EdDSA");

  /**
   * @param jwksFile JWKS file with the orchestrator's public keys, re-read when it changes
   * @param jwksUrl or an https URL serving the JWKS (cached; refetched on an unknown key id, at
   *     most once per {@code jwksRefreshMinInterval})
   * @param issuer required {@code iss}
   * @param audience required {@code aud}: this pod's audience
   * @param algorithms accepted {@code alg} values, a subset of ES256 and EdDSA
   * @param maxClockSkew tolerance for {@code exp} and {@code nbf}, at most 60 s
   * @param maxLifetime longest accepted {@code exp - nbf}
   * @param jwksRefreshMinInterval rate limit of JWKS refetches
   * @param allowHttpLoopbackJwks tests only: allow {@code http://127.0.0.1} JWKS URLs
   */
  public record RunTokens(
      String jwksFile,
      String jwksUrl,
      String issuer,
      String audience,
      List<String> algorithms,
      Duration maxClockSkew,
      Duration maxLifetime,
      Duration jwksRefreshMinInterval,
      boolean allowHttpLoopbackJwks) {

    void validate() {
      boolean file = jwksFile != null && !jwksFile.isBlank();
      boolean url = jwksUrl != null && !jwksUrl.isBlank();
      if (file && url) {
        throw new ConfigException("auth.run_tokens.jwks_url", "set either jwks_file or jwks_url, not both");
      }
      if (url && !jwksUrl.startsWith("https://") && !(allowHttpLoopbackJwks && jwksUrl.startsWith("http://127.0.0.1"))) {
        throw new ConfigException("auth.run_tokens.jwks_url", "must be an https:// URL");
      }
      Check.notBlank("auth.run_tokens.issuer", issuer);
      Check.notBlank("auth.run_tokens.audience", audience);
      Check.present("auth.run_tokens.algorithms", algorithms);
      if (algorithms.isEmpty() || !RUN_TOKEN_ALGORITHMS.containsAll(algorithms)) {
        throw new ConfigException("auth.run_tokens.algorithms", "must be a non-empty subset of [ES256, EdDSA]");
      }
      Check.present("auth.run_tokens.max_clock_skew", maxClockSkew);
      if (maxClockSkew.isNegative() || maxClockSkew.compareTo(Duration.ofSeconds(60)) > 0) {
        throw new ConfigException("auth.run_tokens.max_clock_skew", "must be between 0s and 60s");
      }
      Check.positive("auth.run_tokens.max_lifetime", maxLifetime);
      Check.positive("auth.run_tokens.jwks_refresh_min_interval", jwksRefreshMinInterval);
    }

    /** Whether run tokens can be verified at all (a key source is configured). */
    public boolean configured() {
      return (jwksFile != null && !jwksFile.isBlank()) || (jwksUrl != null && !jwksUrl.isBlank());
    }
  }

  /**
   * @param idleTimeout a session unused for this long ends (tenant plans may override)
   * @param absoluteTimeout a session ends this long after login whatever its use
   * @param cacheTtl how long a validated session is served from memory (revocations are pushed
   *     through LISTEN/NOTIFY, so this only bounds staleness when that channel is down)
   * @param touchInterval how often the last-seen time is written back at most
   * @param mfaChallengeTtl lifetime of an MFA challenge after a password check
   */
  public record Sessions(
      Duration idleTimeout, Duration absoluteTimeout, Duration cacheTtl, Duration touchInterval, Duration mfaChallengeTtl) {
    void validate() {
      Check.positive("auth.sessions.idle_timeout", idleTimeout);
      Check.positive("auth.sessions.absolute_timeout", absoluteTimeout);
      if (idleTimeout.compareTo(absoluteTimeout) > 0) {
        throw new ConfigException("auth.sessions.idle_timeout", "must not exceed absolute_timeout");
      }
      Check.positive("auth.sessions.cache_ttl", cacheTtl);
      Check.positive("auth.sessions.touch_interval", touchInterval);
      Check.positive("auth.sessions.mfa_challenge_ttl", mfaChallengeTtl);
    }
  }

  /**
   * @param bcryptCost cost of new hashes; stored hashes with a lower cost are re-hashed at login
   * @param hashThreads threads of the bounded hashing executor (0: half the CPUs, at least one)
   * @param hashQueue logins that may wait for a hashing thread; beyond that RESOURCE_EXHAUSTED
   */
  public record Passwords(int bcryptCost, int hashThreads, int hashQueue) {
    void validate() {
      Check.range("auth.passwords.bcrypt_cost", bcryptCost, 10, 16);
      Check.range("auth.passwords.hash_threads", hashThreads, 0, 64);
      Check.range("auth.passwords.hash_queue", hashQueue, 1, 100_000);
    }
  }

  /**
   * @param accountMaxFailures failures of one account before it is locked
   * @param sourceMaxFailures failures from one source (IP or peer uid) before it is locked
   * @param baseDelay after the first failure, the next attempt waits base * 2^(failures-1)
   * @param maxDelay cap of the growing delay
   * @param lockout how long a lock lasts
   * @param window failures older than this are forgotten
   */
  public record Throttle(
      int accountMaxFailures, int sourceMaxFailures, Duration baseDelay, Duration maxDelay, Duration lockout, Duration window) {
    void validate() {
      Check.range("auth.throttle.account_max_failures", accountMaxFailures, 1, 1000);
      Check.range("auth.throttle.source_max_failures", sourceMaxFailures, 1, 100_000);
      Check.positive("auth.throttle.base_delay", baseDelay);
      Check.positive("auth.throttle.max_delay", maxDelay);
      Check.positive("auth.throttle.lockout", lockout);
      Check.positive("auth.throttle.window", window);
    }
  }

  /**
   * @param issuer the issuer label shown in authenticator apps
   * @param stepUpMaxAge admin RPCs need an MFA check this recent
   * @param enrollmentTtl a pending TOTP enrollment expires after this
   */
  public record Mfa(String issuer, Duration stepUpMaxAge, Duration enrollmentTtl) {
    void validate() {
      Check.notBlank("auth.mfa.issuer", issuer);
      Check.positive("auth.mfa.step_up_max_age", stepUpMaxAge);
      Check.positive("auth.mfa.enrollment_ttl", enrollmentTtl);
    }
  }

  /**
   * @param maxClockSkew tolerance for ID-token times
   * @param allowHttpLoopbackJwks tests only: allow {@code http://127.0.0.1} JWKS URLs
   */
  public record Oidc(Duration maxClockSkew, boolean allowHttpLoopbackJwks) {
    void validate() {
      Check.present("auth.oidc.max_clock_skew", maxClockSkew);
      if (maxClockSkew.isNegative() || maxClockSkew.compareTo(Duration.ofMinutes(5)) > 0) {
        throw new ConfigException("auth.oidc.max_clock_skew", "must be between 0s and 5m");
      }
    }
  }

  void validate() {
    Check.present("auth.run_tokens", runTokens).validate();
    Check.present("auth.sessions", sessions).validate();
    Check.present("auth.passwords", passwords).validate();
    Check.present("auth.throttle", throttle).validate();
    Check.present("auth.mfa", mfa).validate();
    Check.present("auth.oidc", oidc).validate();
  }
}
