package io.apixx.flow.sidecar.crypto.kms;

import io.apixx.flow.sidecar.config.VaultKmsConfig;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.AuthResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the daemon's Vault token and keeps it valid.
 *
 * <ul>
 *   <li><b>kubernetes</b>: logs in at {@code auth/<mount>/login} with the service-account JWT,
 *       read from its file at every login (the kubelet rotates it). The token is renewed ({@code
 *       auth/token/renew-self}) once two thirds of its TTL have passed; if it is not renewable, or
 *       renewal shows it is close to its maximum TTL, the daemon logs in again instead.
 *   <li><b>token</b>: uses the token in the token file (kept fresh by Vault Agent or an operator),
 *       re-read whenever Vault answers 403. Its lifetime is not tracked.
 * </ul>
 *
 * A request that gets 403 calls {@link #forbidden}, which logs in again once for all threads that
 * saw the same token. Failed logins and renewals back off exponentially (at most {@code
 * kms.retry_max_backoff}); while a login is backing off, requests fail fast with {@code
 * UNAVAILABLE}, and a token that is still valid keeps being used while its renewal backs off.
 *
 * <p>Time comes from the injected {@link Clock}. Thread-safe: one lock serialises logins and
 * renewals; reads of the current token are lock-free. Tokens and JWTs are never logged or put in
 * messages; Java strings holding them cannot be wiped (a known limit).
 */
final class VaultAuthenticator {
  private static final Logger log = LoggerFactory.getLogger(VaultAuthenticator.class);

  /** A token in use and its lease, measured from before the request that obtained it. */
  private record Session(
      Vault vault, Instant obtainedAt, Duration ttl, boolean renewable, Duration loginTtl) {
    boolean expiring() {
      return !ttl.isZero();
    }

    Instant renewAt() {
      return expiring() ? obtainedAt.plus(ttl.multipliedBy(2).dividedBy(3)) : Instant.MAX;
    }

    Instant expiresAt() {
      return expiring() ? obtainedAt.plus(ttl) : Instant.MAX;
    }

    @Override
    public String toString() {
      return "Session[obtainedAt=" + obtainedAt + ", ttl=" + ttl + "]";
    }
  }

  private final VaultKmsConfig config;
  private final Function<String, Vault> clients;
  private final Clock clock;
  private final Retrier retrier;
  private final ReentrantLock lock = new ReentrantLock();
  private volatile Session session;
  /** Guarded by lock: no login or renewal before this instant (after failures). */
  private Instant notBefore = Instant.MIN;
  /** Guarded by lock: consecutive failed logins/renewals. */
  private int failures;

  private final AtomicLong logins = new AtomicLong();
  private final AtomicLong renewals = new AtomicLong();

  /**
   * @param clients makes a driver client for a token (null: unauthenticated, for login)
   */
  VaultAuthenticator(
      VaultKmsConfig config, Function<String, Vault> clients, Clock clock, Retrier retrier) {
    this.config = Objects.requireNonNull(config, "config");
    this.clients = Objects.requireNonNull(clients, "clients");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.retrier = Objects.requireNonNull(retrier, "retrier");
  }

  /**
   * A client with a valid token, logging in or renewing first if needed.
   *
   * @throws KmsException {@code UNAVAILABLE} if no valid token can be had
   */
  Vault client() {
    Session s = session;
    Instant now = clock.instant();
    if (s != null && now.isBefore(s.renewAt())) {
      return s.vault();
    }
    if (s != null && now.isBefore(s.expiresAt())) {
      // Due for renewal but still valid: one thread renews, the others carry on.
      if (lock.tryLock()) {
        try {
          refreshLocked(s);
        } finally {
          lock.unlock();
        }
      }
      Session current = session;
      return current != null ? current.vault() : s.vault();
    }
    lock.lock();
    try {
      s = session;
      if (s != null && clock.instant().isBefore(s.expiresAt())) {
        return s.vault();
      }
      return loginLocked().vault();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Called when Vault answered 403 to a request made with {@code rejected}: logs in again unless
   * another thread already did.
   *
   * @return a client with a fresh token
   * @throws KmsException {@code UNAVAILABLE} if the login fails or is backing off
   */
  Vault forbidden(Vault rejected) {
    lock.lock();
    try {
      Session s = session;
      if (s != null && s.vault() != rejected && clock.instant().isBefore(s.expiresAt())) {
        return s.vault();
      }
      session = null;
      return loginLocked().vault();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Renews or replaces the token if it is due, for a periodic background task, so that an idle
   * daemon keeps a valid token. Never throws; failures are logged and backed off.
   */
  void refreshIfDue() {
    Session s = session;
    if (s != null && clock.instant().isBefore(s.renewAt())) {
      return;
    }
    if (!lock.tryLock()) {
      return;
    }
    try {
      s = session;
      if (s == null || !clock.instant().isBefore(s.expiresAt())) {
        loginLocked();
      } else {
        refreshLocked(s);
      }
    } catch (KmsException e) {
      // Already logged and backed off; the next request will report it.
    } finally {
      lock.unlock();
    }
  }

  long logins() {
    return logins.get();
  }

  long renewals() {
    return renewals.get();
  }

  @Override
  public String toString() {
    return "VaultAuthenticator[method=" + config.authMethod() + ", session=" + session + "]";
  }

  /** Renews {@code s} (or logs in again) unless backing off. Holds lock; never throws. */
  private void refreshLocked(Session s) {
    Instant now = clock.instant();
    if (session != s || now.isBefore(notBefore) || now.isBefore(s.renewAt())) {
      return;
    }
    try {
      if (s.renewable()) {
        renewLocked(s, now);
      } else {
        loginLocked();
      }
    } catch (KmsException e) {
      // The current token stays in use until it expires.
    }
  }

  private void renewLocked(Session s, Instant now) {
    AuthResponse r;
    try {
      r = callDriver("KMS token renewal", "kms_renew_refused", () -> s.vault().auth().renewSelf());
    } catch (KmsException e) {
      if ("kms_renew_refused".equals(e.reasonCode())) {
        // The token cannot be renewed (revoked, expired, at max TTL): get a new one.
        log.info("Vault token renewal refused; logging in again");
        loginLocked();
        return;
      }
      backOff(now, "Vault token renewal", e);
      throw e;
    }
    renewals.incrementAndGet();
    Duration ttl = Duration.ofSeconds(Math.max(0, r.getAuthLeaseDuration()));
    succeeded();
    if (ttl.compareTo(s.loginTtl().dividedBy(2)) < 0) {
      // Renewal no longer extends the token much: it is near its max TTL.
      loginLocked();
      return;
    }
    session = new Session(s.vault(), now, ttl, r.isAuthRenewable(), s.loginTtl());
  }

  /** Logs in (respecting the backoff) and publishes the new session. Holds lock. */
  private Session loginLocked() {
    Instant now = clock.instant();
    if (now.isBefore(notBefore)) {
      throw KmsException.unavailable(
          "kms_login_backoff", "KMS login failed recently; next attempt after backoff", null);
    }
    Session fresh;
    try {
      fresh =
          VaultKmsConfig.AUTH_TOKEN.equals(config.authMethod())
              ? tokenFileSession(now)
              : kubernetesSession(now);
    } catch (KmsException e) {
      backOff(now, "Vault login", e);
      throw e;
    }
    session = fresh;
    logins.incrementAndGet();
    succeeded();
    log.info(
        "logged in to Vault ({} auth); token TTL {}",
        config.authMethod(),
        fresh.expiring() ? fresh.ttl().toSeconds() + "s" : "not tracked");
    return fresh;
  }

  private Session kubernetesSession(Instant now) {
    // Read at every login: the kubelet replaces the projected token before it expires.
    String jwt = readSecretFile(Path.of(config.serviceAccountTokenFile()), "service-account token");
    Vault anonymous = clients.apply(null);
    // The driver's three-argument form posts to /v1/<authMount>/login, so the mount is passed
    // with its "auth/" prefix (Vault's path is /v1/auth/<mount>/login).
    AuthResponse r =
        callDriver(
            "KMS login",
            "kms_login_refused",
            () ->
                anonymous
                    .auth()
                    .loginByKubernetes(config.role(), jwt, "auth/" + config.kubernetesMount()));
    String token = r.getAuthClientToken();
    if (token == null || token.isBlank()) {
      throw KmsException.unavailable("kms_login_refused", "KMS login returned no token", null);
    }
    Duration ttl = Duration.ofSeconds(Math.max(0, r.getAuthLeaseDuration()));
    return new Session(clients.apply(token), now, ttl, r.isAuthRenewable(), ttl);
  }

  /** A driver call that may throw {@link VaultException}. */
  @FunctionalInterface
  private interface DriverCall<T> {
    T run() throws VaultException;
  }

  /**
   * Runs an auth call with retries for transient failures; any other HTTP status becomes {@code
   * UNAVAILABLE} with {@code refusedReason} (the response body is never looked at).
   */
  private <T> T callDriver(String what, String refusedReason, DriverCall<T> call) {
    return retrier.call(
        what,
        () -> {
          try {
            return call.run();
          } catch (VaultException e) {
            Retrier.Transient t = VaultErrors.asTransient(e);
            if (t != null) {
              throw t;
            }
            throw KmsException.unavailable(
                refusedReason, what + " refused (HTTP " + e.getHttpStatusCode() + ")", null);
          }
        });
  }

  private Session tokenFileSession(Instant now) {
    String token = readSecretFile(Path.of(config.tokenFile()), "Vault token");
    return new Session(clients.apply(token), now, Duration.ZERO, false, Duration.ZERO);
  }

  private static String readSecretFile(Path file, String what) {
    String value;
    try {
      value = Files.readString(file).trim();
    } catch (IOException e) {
      throw KmsException.unavailable("kms_credential_file", "cannot read the " + what + " file " + file, e);
    }
    if (value.isEmpty()) {
      throw KmsException.unavailable("kms_credential_file", "the " + what + " file " + file + " is empty", null);
    }
    return value;
  }

  private void backOff(Instant now, String what, KmsException e) {
    Duration wait = retrier.delay(failures++);
    notBefore = now.plus(wait);
    log.warn("{} failed ({}); next attempt in {} ms", what, e.reasonCode(), wait.toMillis());
  }

  private void succeeded() {
    failures = 0;
    notBefore = Instant.MIN;
  }
}
