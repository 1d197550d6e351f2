package io.apixx.flow.sidecar.crypto.kms;

import io.apixx.flow.sidecar.crypto.InvalidCiphertextException;
import io.apixx.flow.sidecar.secret.SecretBytes;

/**
 * Wraps and unwraps data keys (DEKs) under a per-tenant key-encryption key held by a key
 * management service. One KMS key per tenant, created on first use by the backend; the daemon
 * never sees a tenant key, only DEKs.
 *
 * <p>Backends are chosen by the key URI in {@code kms.uri}, see {@link KmsFactory}:
 *
 * <ul>
 *   <li>{@code vault-transit://host:port/mount} — HashiCorp Vault Transit ({@code
 *       VaultTransitKms});
 *   <li>{@code file:path} — a local JSON keyring for dev mode and tests ({@code LocalKeyringKms}).
 * </ul>
 *
 * {@link DekCache#wrap} puts a bounded cache of unwrapped DEKs in front of any backend.
 *
 * <h2>Contract (checked for every backend by {@code KmsContractTest})</h2>
 *
 * <ul>
 *   <li>Tenant ids match {@code [A-Za-z0-9][A-Za-z0-9._-]{0,127}}; anything else is {@link
 *       KmsException} with {@code INVALID_ARGUMENT}.
 *   <li>A wrapped key opens only under the tenant it was made for; under any other tenant, or
 *       altered in any byte, {@link #unwrap} throws {@link InvalidCiphertextException}.
 *   <li>After the tenant key is rotated, older wrapped keys still unwrap (until the backend's
 *       minimum decryption version is raised) and {@link #rewrap} moves them to the newest
 *       version without the plaintext leaving the backend call.
 *   <li>A backend that cannot be reached, or refuses this daemon, throws {@link KmsException}
 *       with {@code UNAVAILABLE}: callers fail closed and retry later.
 *   <li>Every returned {@link SecretBytes} is new and owned by the caller, who wipes it.
 *   <li>No message, log line or {@code toString()} contains key material or a KMS credential.
 * </ul>
 *
 * <p>Implementations are thread-safe.
 */
public interface Kms extends AutoCloseable {

  /**
   * Makes a new random 256-bit data key for {@code tenantId} (creating the tenant's key on first
   * use).
   *
   * @return the plaintext DEK (caller wipes it) and its wrapped form with the key reference to
   *     store beside it
   * @throws KmsException {@code UNAVAILABLE} when the KMS cannot be used, {@code INVALID_ARGUMENT}
   *     for a bad tenant id
   */
  DataKey generateDataKey(String tenantId);

  /**
   * Recovers the plaintext DEK from {@code wrapped}.
   *
   * @return a new {@link SecretBytes} the caller wipes
   * @throws InvalidCiphertextException if {@code wrapped} was not made for this tenant by this
   *     backend, or was altered, or its key version may no longer decrypt
   * @throws KmsException {@code UNAVAILABLE} when the KMS cannot be used
   */
  SecretBytes unwrap(String tenantId, byte[] wrapped);

  /**
   * Wraps an existing DEK under the newest version of the tenant's key (e.g. when importing).
   * {@code dek} stays owned by the caller.
   *
   * @throws KmsException {@code UNAVAILABLE} when the KMS cannot be used
   */
  WrappedKey wrap(String tenantId, SecretBytes dek);

  /**
   * Re-encrypts {@code wrapped} under the newest version of the tenant's key. The result unwraps
   * to the same DEK; the plaintext is not returned.
   *
   * @throws InvalidCiphertextException as for {@link #unwrap}
   * @throws KmsException {@code UNAVAILABLE} when the KMS cannot be used
   */
  WrappedKey rewrap(String tenantId, byte[] wrapped);

  /** Releases connections, threads and cached key material. Idempotent. */
  @Override
  void close();
}
