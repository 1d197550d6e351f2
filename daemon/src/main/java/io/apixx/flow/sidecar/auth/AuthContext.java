package io.apixx.flow.sidecar.auth;

import io.grpc.Context;
import java.util.Optional;

/**
 * The authenticated caller of the current call, set by {@link AuthInterceptor}. Service code reads
 * it here; it never comes from request fields.
 */
public final class AuthContext {
  static final Context.Key<Principal> PRINCIPAL = Context.key("flow-sidecar.principal");
  static final Context.Key<String> BEARER = Context.key("flow-sidecar.bearer");

  private AuthContext() {}

  /** The caller, if the method's access rule produced one (PRE_AUTH over the socket does not). */
  public static Optional<Principal> principal() {
    return Optional.ofNullable(PRINCIPAL.get());
  }

  /** The caller; for methods whose access rule guarantees one. */
  public static Principal requirePrincipal() {
    Principal p = PRINCIPAL.get();
    if (p == null) {
      throw AuthException.unauthenticated("no_principal", "this call needs an authenticated caller");
    }
    return p;
  }

  /**
   * The raw bearer token, for the methods that consume it (run token, MFA challenge, session to
   * validate or end). Never log it.
   */
  public static String requireBearer() {
    String b = BEARER.get();
    if (b == null) {
      throw AuthException.unauthenticated("no_bearer", "authorization: Bearer <token> is required");
    }
    return b;
  }
}
