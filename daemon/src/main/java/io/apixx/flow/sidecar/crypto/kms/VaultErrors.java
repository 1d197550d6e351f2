package io.apixx.flow.sidecar.crypto.kms;

import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.rest.RestException;

/**
 * Classifies failures of the Vault driver without using their messages: the driver puts whole
 * response bodies into {@link VaultException#getMessage()}, and a response body may hold key
 * material. Only the HTTP status and the transport exception (connection refused, timeout, TLS
 * handshake) are kept.
 */
final class VaultErrors {
  private VaultErrors() {}

  /** True for statuses worth a retry: 5xx, 429 (rate limit), 412 (standby not caught up). */
  static boolean isTransientStatus(int status) {
    return status >= 500 || status == 429 || status == 412;
  }

  /**
   * @return a retryable failure for a transport error or a transient status, else null (the
   *     caller maps the status itself)
   */
  static Retrier.Transient asTransient(VaultException e) {
    int status = e.getHttpStatusCode();
    if (status == 0) {
      Throwable transport = transportCause(e);
      String what = transport == null ? "request failed" : transport.getClass().getSimpleName();
      return new Retrier.Transient("no response (" + what + ")", transport);
    }
    return isTransientStatus(status) ? new Retrier.Transient("HTTP " + status, null) : null;
  }

  /** The innermost cause below the driver's wrappers, or null: a JDK networking exception. */
  static Throwable transportCause(Throwable e) {
    Throwable c = e.getCause();
    while (c instanceof VaultException || c instanceof RestException) {
      c = c.getCause();
    }
    return c;
  }
}
