package io.apixx.flow.sidecar;

import io.apixx.flow.sidecar.auth.AuthException;
import io.apixx.flow.sidecar.auth.Authenticator;
import io.apixx.flow.sidecar.auth.Principal;
import io.apixx.flow.sidecar.auth.ServicePrincipal;
import io.apixx.flow.sidecar.auth.ServiceTokens;
import java.util.Optional;

/**
 * An {@link Authenticator} that knows service tokens only: every session token is UNAUTHENTICATED.
 * The collector's (it has no sessions); thread-safe like the {@link ServiceTokens} it wraps.
 */
final class ServiceTokenAuthenticator implements Authenticator {
  private final ServiceTokens tokens;

  ServiceTokenAuthenticator(ServiceTokens tokens) {
    this.tokens = tokens;
  }

  @Override
  public Principal session(String token) {
    throw AuthException.unauthenticated("unknown_session", "unknown or expired session");
  }

  @Override
  public Optional<ServicePrincipal> service(String token) {
    return tokens.authenticate(token);
  }
}
