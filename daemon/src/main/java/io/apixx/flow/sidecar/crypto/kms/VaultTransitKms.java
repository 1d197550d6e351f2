package io.apixx.flow.sidecar.crypto.kms;

import io.apixx.flow.sidecar.config.KmsConfig;
import io.apixx.flow.sidecar.config.VaultKmsConfig;
import io.apixx.flow.sidecar.crypto.InvalidCiphertextException;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import io.github.jopenlibs.vault.EnvironmentLoader;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.LogicalResponse;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Kms} backed by HashiCorp Vault's Transit secrets engine, through vault-java-driver's
 * {@code logical()} API. Each tenant has its own transit key, named {@code kms.vault.key_prefix +
 * tenantId}, created on first use as {@code aes256-gcm96}; data keys come from {@code
 * <mount>/datakey/plaintext/<key>} and are unwrapped with {@code <mount>/decrypt/<key>}, wrapped
 * with {@code <mount>/encrypt/<key>} and moved to the newest key version with {@code
 * <mount>/rewrap/<key>}. Key rotation and {@code min_decryption_version} are operator actions in
 * Vault; this daemon never needs the rotate capability.
 *
 * <h2>Wrapped DEK format</h2>
 *
 * The wrapped DEK is Vault's ciphertext string as US-ASCII bytes: {@code vault:v<N>:<base64 of
 * nonce || ciphertext || tag>}, where N is the transit key version. Key references read {@code
 * vault-transit:<mount>/<key name>:v<N>}. Because the transit key is per tenant, a wrapped DEK
 * presented for another tenant is sent to that tenant's key and fails to decrypt.
 *
 * <h2>Failure handling</h2>
 *
 * <ul>
 *   <li>Every request has the connect timeout and the request timeout of {@code kms.*}; TLS 1.3/1.2
 *       only ({@link VaultHttp}).
 *   <li>Connection errors, timeouts, HTTP 5xx, 429 and 412 are retried up to {@code
 *       kms.max_retries} times with exponential backoff (all transit calls used here are safe to
 *       repeat), then fail with {@code UNAVAILABLE}.
 *   <li>403 triggers one new login ({@link VaultAuthenticator}) and one repeat; a second 403 is
 *       {@code UNAVAILABLE} ({@code kms_permission_denied}).
 *   <li>400/404 from decrypt or rewrap (wrong tenant, altered ciphertext, version below {@code
 *       min_decryption_version}, missing key) is {@link InvalidCiphertextException}; from other
 *       calls it is {@code INTERNAL} (a configuration problem).
 *   <li>No message contains a response body, a token, a JWT or key material.
 * </ul>
 *
 * <p>Known limit: the plaintext DEK travels through the driver as a base64 Java string, which
 * cannot be wiped. Thread-safe.
 */
final class VaultTransitKms implements Kms {
  private static final Logger log = LoggerFactory.getLogger(VaultTransitKms.class);
  static final String KEY_REF_PREFIX = "vault-transit:";

  private static final Pattern CIPHERTEXT = Pattern.compile("vault:v([1-9][0-9]{0,9}):[A-Za-z0-9+/]+={0,2}");
  private static final int MAX_WRAPPED_BYTES = 4096;
  private static final int DEK_BYTES = 32;

  private final KmsConfig.VaultEndpoint endpoint;
  private final String keyPrefix;
  private final VaultAuthenticator auth;
  private final Retrier retrier;
  private final AutoCloseable resources;
  private final Set<String> knownKeys = ConcurrentHashMap.newKeySet();

  VaultTransitKms(
      KmsConfig.VaultEndpoint endpoint,
      String keyPrefix,
      VaultAuthenticator auth,
      Retrier retrier,
      AutoCloseable resources) {
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
    this.auth = Objects.requireNonNull(auth, "auth");
    this.retrier = Objects.requireNonNull(retrier, "retrier");
    this.resources = Objects.requireNonNull(resources, "resources");
  }

  /**
   * Builds the backend for {@code config} (whose URI selects Vault). Nothing is sent to Vault until
   * the first operation.
   *
   * @param httpClient the client from {@link VaultHttp#create}, shared by all requests
   * @param sleeper how retries wait (tests record instead of sleeping)
   * @param resources closed by {@link #close()} (e.g. the HTTP client's executor)
   */
  static VaultTransitKms create(
      KmsConfig config,
      Clock clock,
      HttpClient httpClient,
      Retrier.Sleeper sleeper,
      AutoCloseable resources) {
    KmsConfig.VaultEndpoint endpoint = config.vaultEndpoint().orElseThrow();
    VaultKmsConfig vault = config.vault();
    Retrier retrier =
        new Retrier(config.maxRetries(), config.retryBackoff(), config.retryMaxBackoff(), sleeper);
    int readTimeoutSeconds = (int) Math.max(1, ceilSeconds(config.requestTimeout()));
    int openTimeoutSeconds = (int) Math.max(1, ceilSeconds(config.connectTimeout()));
    VaultAuthenticator auth =
        new VaultAuthenticator(
            vault,
            token ->
                newClient(
                    endpoint, vault.namespace(), token, httpClient, openTimeoutSeconds, readTimeoutSeconds),
            clock,
            retrier);
    return new VaultTransitKms(endpoint, vault.keyPrefix(), auth, retrier, resources);
  }

  @Override
  public DataKey generateDataKey(String tenantId) {
    String key = ensureKey(tenantId);
    LogicalResponse r =
        call("KMS datakey", false, "datakey/plaintext/" + key, Map.of("bits", DEK_BYTES * 8));
    SecretBytes plaintext = decodeDek(r.getData().get("plaintext"), false);
    try {
      return new DataKey(plaintext, wrapped(key, r.getData().get("ciphertext")));
    } catch (RuntimeException e) {
      plaintext.wipe();
      throw e;
    }
  }

  @Override
  public SecretBytes unwrap(String tenantId, byte[] wrapped) {
    String key = keyName(tenantId);
    String ciphertext = parseWrapped(wrapped);
    LogicalResponse r = call("KMS decrypt", true, "decrypt/" + key, Map.of("ciphertext", ciphertext));
    return decodeDek(r.getData().get("plaintext"), true);
  }

  @Override
  public WrappedKey wrap(String tenantId, SecretBytes dek) {
    Objects.requireNonNull(dek, "dek");
    if (dek.isWiped() || dek.length() != DEK_BYTES) {
      throw KmsException.invalidArgument("invalid_dek", "a data key must be 32 unwiped bytes");
    }
    String key = ensureKey(tenantId);
    String b64 = Base64.getEncoder().encodeToString(dek.reveal(SecretAccess.RELEASE));
    LogicalResponse r = call("KMS encrypt", false, "encrypt/" + key, Map.of("plaintext", b64));
    return wrapped(key, r.getData().get("ciphertext"));
  }

  @Override
  public WrappedKey rewrap(String tenantId, byte[] wrapped) {
    String key = keyName(tenantId);
    String ciphertext = parseWrapped(wrapped);
    LogicalResponse r = call("KMS rewrap", true, "rewrap/" + key, Map.of("ciphertext", ciphertext));
    return wrapped(key, r.getData().get("ciphertext"));
  }

  /**
   * Renews or replaces the Vault token if due; for a periodic task. Never throws: an escaping
   * exception would silently cancel the scheduled task.
   */
  void refreshToken() {
    try {
      auth.refreshIfDue();
    } catch (RuntimeException e) {
      log.warn("Vault token refresh failed unexpectedly ({})", e.getClass().getSimpleName());
    }
  }

  VaultAuthenticator authenticator() {
    return auth;
  }

  @Override
  public void close() {
    try {
      resources.close();
    } catch (Exception e) {
      // Nothing useful to do at shutdown.
    }
  }

  @Override
  public String toString() {
    return "VaultTransitKms[address=" + endpoint.address() + ", mount=" + endpoint.transitMount() + "]";
  }

  /** The tenant's key name, created in Vault (idempotently) the first time this process uses it. */
  private String ensureKey(String tenantId) {
    String key = keyName(tenantId);
    if (!knownKeys.contains(key)) {
      // Creating an existing key is a no-op in Vault, so racing threads are harmless.
      call("KMS key creation", false, "keys/" + key, Map.of("type", "aes256-gcm96"));
      knownKeys.add(key);
    }
    return key;
  }

  private String keyName(String tenantId) {
    return keyPrefix + TenantIds.check(tenantId);
  }

  /**
   * POSTs {@code body} to {@code <mount>/<path>} with retries and one re-login on 403.
   *
   * @param decrypting true for decrypt/rewrap, where 400/404 means the ciphertext is not valid
   */
  private LogicalResponse call(String what, boolean decrypting, String path, Map<String, Object> body) {
    String fullPath = endpoint.transitMount() + "/" + path;
    return retrier.call(
        what,
        () -> {
          Vault client = auth.client();
          for (boolean retriedLogin = false; ; retriedLogin = true) {
            int status;
            LogicalResponse response;
            try {
              response = client.logical().write(fullPath, body);
              status = response.getRestResponse().getStatus();
            } catch (VaultException e) {
              Retrier.Transient t = VaultErrors.asTransient(e);
              if (t != null) {
                throw t;
              }
              throw KmsException.internal(
                  "kms_unexpected_status", what + " failed (HTTP " + e.getHttpStatusCode() + ")", null);
            }
            if (status == 200 || status == 204) {
              return response;
            }
            if (status == 403 && !retriedLogin) {
              client = auth.forbidden(client);
              continue;
            }
            if (status == 403) {
              throw KmsException.unavailable(
                  "kms_permission_denied", what + " was denied by the KMS (HTTP 403)", null);
            }
            if (VaultErrors.isTransientStatus(status)) {
              throw new Retrier.Transient("HTTP " + status, null);
            }
            if (decrypting && (status == 400 || status == 404)) {
              throw new InvalidCiphertextException();
            }
            throw KmsException.internal("kms_bad_request", what + " was rejected (HTTP " + status + ")", null);
          }
        });
  }

  private WrappedKey wrapped(String key, String ciphertext) {
    Matcher m = ciphertext == null ? null : CIPHERTEXT.matcher(ciphertext);
    if (m == null || !m.matches()) {
      throw KmsException.internal("kms_bad_response", "the KMS returned no valid ciphertext", null);
    }
    return new WrappedKey(
        ciphertext.getBytes(StandardCharsets.US_ASCII),
        KEY_REF_PREFIX + endpoint.transitMount() + "/" + key + ":v" + m.group(1));
  }

  /** The ciphertext string of a wrapped DEK, checked locally before anything is sent. */
  private static String parseWrapped(byte[] wrapped) {
    Objects.requireNonNull(wrapped, "wrapped");
    if (wrapped.length > MAX_WRAPPED_BYTES) {
      throw new InvalidCiphertextException();
    }
    String s = new String(wrapped, StandardCharsets.US_ASCII);
    if (!CIPHERTEXT.matcher(s).matches()) {
      throw new InvalidCiphertextException();
    }
    return s;
  }

  /**
   * @param unwrapping true when decoding a decrypt result (a wrong size means the ciphertext did
   *     not hold a DEK of ours)
   */
  private static SecretBytes decodeDek(String base64, boolean unwrapping) {
    byte[] dek;
    try {
      dek = base64 == null ? null : Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      dek = null;
    }
    if (dek == null || dek.length != DEK_BYTES) {
      if (dek != null) {
        Arrays.fill(dek, (byte) 0);
      }
      if (unwrapping) {
        throw new InvalidCiphertextException();
      }
      throw KmsException.internal("kms_bad_response", "the KMS returned no valid data key", null);
    }
    return SecretBytes.adopt(dek);
  }

  private static Vault newClient(
      KmsConfig.VaultEndpoint endpoint,
      String namespace,
      String token,
      HttpClient httpClient,
      int openTimeoutSeconds,
      int readTimeoutSeconds) {
    try {
      VaultConfig c =
          new VaultConfig()
              .environmentLoader(new NoEnvironment())
              .address(endpoint.address().toString())
              .httpClient(httpClient)
              .openTimeout(openTimeoutSeconds)
              .readTimeout(readTimeoutSeconds)
              .engineVersion(1);
      if (token != null) {
        c.token(token);
      }
      if (!namespace.isEmpty()) {
        c.nameSpace(namespace);
      }
      // Engine version 1: the driver must not rewrite transit paths as KV v2 "data/" paths.
      return Vault.create(c.build(), 1);
    } catch (VaultException e) {
      throw KmsException.internal("kms_client", "cannot configure the Vault client", null);
    }
  }

  private static long ceilSeconds(Duration d) {
    return (d.toMillis() + 999) / 1000;
  }

  /** Keeps the driver from reading VAULT_* environment variables: configuration comes from kms.*. */
  private static final class NoEnvironment extends EnvironmentLoader {
    private static final long serialVersionUID = 1L;

    @Override
    public String loadVariable(String name) {
      return null;
    }
  }
}
