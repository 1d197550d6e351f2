package io.apixx.flow.sidecar.auth;

import java.util.Optional;

/** The daemon's {@link Authenticator}: sessions from {@link SessionService}, services from {@link ServiceTokens}. */
public final class SessionAuthenticator implements Authenticator {
  private final SessionService sessions;
  private final ServiceTokens services;

  public SessionAuthenticator(SessionService sessions, ServiceTokens services) {
    this.sessions = sessions;
    this.services = services;
  }

  @Override
  public Principal session(String token) {
    return sessions.validate(token).principal();
  }

  @Override
  public Optional<ServicePrincipal> service(String token) {
    return services.authenticate(token);
  }
}
