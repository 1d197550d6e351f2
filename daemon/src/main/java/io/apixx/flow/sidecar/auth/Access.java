package io.apixx.flow.sidecar.auth;

/** What a caller must present to call a method. Every served method has exactly one. */
public enum Access {
  /** Anyone who can reach the listener: health checks and reflection (no secrets). */
  PUBLIC,
  /** The bearer is a run token (JWS); the method verifies and consumes it. */
  RUN_TOKEN,
  /** The bearer is an MFA challenge token from Login; the method consumes it. */
  MFA_CHALLENGE,
  /**
   * Credentials travel in the request (Login, OIDC). Over the Unix socket no bearer is needed;
   * over TCP the caller must present a service token, because every TCP call needs a bearer.
   */
  PRE_AUTH,
  /** A user or run session. */
  SESSION,
  /** A user session. */
  USER_SESSION,
  /** A run session. */
  RUN_SESSION,
  /** Any authenticated principal: run or user session, or a service. */
  AUTHENTICATED,
  /** A service, or an admin user who passed MFA within the step-up window. */
  ADMIN,
  /** A service only. */
  SERVICE
}
