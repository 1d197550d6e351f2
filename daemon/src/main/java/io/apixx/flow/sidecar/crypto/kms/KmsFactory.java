package io.apixx.flow.sidecar.crypto.kms;

import io.apixx.flow.sidecar.config.KmsConfig;
import io.apixx.flow.sidecar.config.VaultKmsConfig;
import io.apixx.flow.sidecar.server.BoundedExecutors;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Builds the {@link Kms} that {@code kms.uri} selects, in the manner of Tink's {@code
 * KmsClient.doesSupport}: each backend says which key URIs it supports and the first that does is
 * built.
 *
 * <table>
 *   <caption>Backends</caption>
 *   <tr><th>URI</th><th>Backend</th><th>Uses from {@link KmsConfig}</th></tr>
 *   <tr><td>{@code file:PATH}, {@code file://PATH}</td><td>{@code LocalKeyringKms}</td>
 *       <td>{@link KmsConfig#keyringPath()}</td></tr>
 *   <tr><td>{@code vault-transit://HOST[:PORT][/MOUNT]}</td><td>{@code VaultTransitKms}</td>
 *       <td>{@link KmsConfig#vaultEndpoint()}, timeouts, retries, {@code kms.vault.*}</td></tr>
 * </table>
 *
 * <p>Typical wiring in the composition root:
 *
 * <pre>{@code
 * Kms backend = KmsFactory.create(config.kms(), Clock.systemUTC(), scheduler);
 * Kms kms = DekCache.wrap(backend, config.kms().dekCache(), Ticker.systemTicker());
 * EnvelopeAead aead = EnvelopeAead.create();
 * }</pre>
 */
public final class KmsFactory {
  /** Period of the background task that renews the Vault token before it expires. */
  static final long TOKEN_REFRESH_SECONDS = 5;

  /** One kind of backend. */
  interface Provider {
    /** True if this backend handles {@code keyUri} (decided by its scheme). */
    boolean supports(String keyUri);

    Kms create(KmsConfig config, Clock clock, ScheduledExecutorService scheduler);
  }

  private static final List<Provider> PROVIDERS = List.of(new LocalKeyring(), new VaultTransit());

  private KmsFactory() {}

  /** True if some backend supports {@code keyUri}. */
  public static boolean supports(String keyUri) {
    return provider(keyUri).isPresent();
  }

  /**
   * Builds the backend for {@code config.uri()}. Local keyring: opens the file (it is created on
   * first use). Vault: builds the TLS client; the first login happens on the first operation, and
   * a task on {@code scheduler} renews the token every {@value #TOKEN_REFRESH_SECONDS} s when due.
   *
   * @param clock for token lifetimes and key creation times
   * @param scheduler runs the periodic token refresh (owned by the caller; not used by the local
   *     keyring)
   * @throws KmsException {@code FAILED_PRECONDITION} if {@code kms.uri} is empty or no backend
   *     supports it, or the keyring file is open to group/others; {@code INTERNAL} if the keyring
   *     or CA file cannot be read
   */
  public static Kms create(KmsConfig config, Clock clock, ScheduledExecutorService scheduler) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(scheduler, "scheduler");
    if (config.uri().isEmpty()) {
      throw KmsException.failedPrecondition("kms_not_configured", "kms.uri is not set");
    }
    return provider(config.uri())
        .orElseThrow(
            () ->
                KmsException.failedPrecondition(
                    "kms_unsupported_uri", "no KMS backend supports the scheme of kms.uri"))
        .create(config, clock, scheduler);
  }

  private static Optional<Provider> provider(String keyUri) {
    return keyUri == null
        ? Optional.empty()
        : PROVIDERS.stream().filter(p -> p.supports(keyUri)).findFirst();
  }

  private static boolean hasScheme(String keyUri, String scheme) {
    return keyUri.regionMatches(true, 0, scheme + ":", 0, scheme.length() + 1);
  }

  private static final class LocalKeyring implements Provider {
    @Override
    public boolean supports(String keyUri) {
      return hasScheme(keyUri, KmsConfig.SCHEME_FILE);
    }

    @Override
    public Kms create(KmsConfig config, Clock clock, ScheduledExecutorService scheduler) {
      Path file = config.keyringPath().orElseThrow();
      return LocalKeyringKms.open(file, clock);
    }
  }

  private static final class VaultTransit implements Provider {
    @Override
    public boolean supports(String keyUri) {
      return hasScheme(keyUri, KmsConfig.SCHEME_VAULT_TRANSIT);
    }

    @Override
    public Kms create(KmsConfig config, Clock clock, ScheduledExecutorService scheduler) {
      VaultKmsConfig vault = config.vault();
      Optional<Path> ca = vault.caFile().isEmpty() ? Optional.empty() : Optional.of(Path.of(vault.caFile()));
      ExecutorService httpExecutor = BoundedExecutors.fixed("vault-http", 4, 4096);
      HttpClient http;
      try {
        http = VaultHttp.create(ca, config.connectTimeout(), httpExecutor);
      } catch (RuntimeException e) {
        httpExecutor.shutdownNow();
        throw e;
      }
      ScheduledFuture<?>[] refresh = new ScheduledFuture<?>[1];
      VaultTransitKms kms =
          VaultTransitKms.create(
              config,
              clock,
              http,
              Retrier.Sleeper.SYSTEM,
              () -> {
                if (refresh[0] != null) {
                  refresh[0].cancel(false);
                }
                httpExecutor.shutdownNow();
              });
      refresh[0] =
          scheduler.scheduleWithFixedDelay(
              kms::refreshToken, TOKEN_REFRESH_SECONDS, TOKEN_REFRESH_SECONDS, TimeUnit.SECONDS);
      return kms;
    }
  }
}
