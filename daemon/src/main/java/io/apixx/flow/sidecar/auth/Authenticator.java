package io.apixx.flow.sidecar.auth;

import java.util.Optional;

/** Turns bearer tokens into principals. Implementations are thread-safe. */
public interface Authenticator {

  /**
   * The principal of a session token ({@code fss_...}).
   *
   * @throws AuthException UNAUTHENTICATED for an unknown, expired or revoked session
   */
  Principal session(String token);

  /** The service a service token ({@code fst_...}) belongs to, if any. */
  Optional<ServicePrincipal> service(String token);
}
