package io.apixx.flow.sidecar.auth;

import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.audit.AuditSink;
import io.apixx.flow.sidecar.auth.Peer.Transport;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.server.CallContext;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates every call according to its method's {@link Access} rule and puts the principal
 * into the Context. A refused call is closed with UNAUTHENTICATED or PERMISSION_DENIED and a no-op
 * listener; refusals on protected methods are audited (with the token only as a hash).
 *
 * <p>Fails closed: a method without a rule is refused, a malformed {@code authorization} header is
 * UNAUTHENTICATED, and on loopback TCP nothing but PUBLIC methods runs without a bearer token.
 */
public final class AuthInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(AuthInterceptor.class);
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Map<String, Access> rules;
  private final Authenticator authenticator;
  private final AuditSink audit;
  private final Clock clock;
  private final Duration stepUpMaxAge;

  /**
   * @param rules access rule by full method name (every served method must have one)
   * @param stepUpMaxAge how recent an admin's MFA must be for ADMIN methods
   */
  public AuthInterceptor(Map<String, Access> rules, Authenticator authenticator, AuditSink audit, Clock clock, Duration stepUpMaxAge) {
    this.rules = Map.copyOf(rules);
    this.authenticator = authenticator;
    this.audit = audit;
    this.clock = clock;
    this.stepUpMaxAge = stepUpMaxAge;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    Access access = rules.get(method);
    if (access == null) {
      return refuse(call, Status.PERMISSION_DENIED.withDescription(method + " has no access rule"), null, method, "no_access_rule");
    }
    if (access == Access.PUBLIC) {
      return next.startCall(call, headers);
    }
    Optional<String> bearer;
    try {
      bearer = bearer(headers);
    } catch (AuthException e) {
      return refuse(call, Status.UNAUTHENTICATED.withDescription(e.getMessage()), null, method, e.reasonCode());
    }
    Peer peer = CallContext.peer();
    Principal principal = null;
    try {
      principal = authorize(access, bearer, peer.transport());
    } catch (SidecarException e) {
      Status status = switch (e.kind()) {
        case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
        case UNAVAILABLE -> Status.UNAVAILABLE;
        case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
        default -> Status.UNAUTHENTICATED;
      };
      Principal known = e instanceof Denied d ? d.principal : null;
      return refuse(call, status.withDescription(e.getMessage()), known, method, e.reasonCode());
    }
    Context ctx = Context.current();
    if (principal != null) {
      ctx = ctx.withValue(AuthContext.PRINCIPAL, principal);
    }
    if (bearer.isPresent()) {
      ctx = ctx.withValue(AuthContext.BEARER, bearer.get());
    }
    return Contexts.interceptCall(ctx, call, headers, next);
  }

  /** The principal the rule requires, or null where none is required. */
  private Principal authorize(Access access, Optional<String> bearer, Transport transport) {
    return switch (access) {
      case PUBLIC -> null;
      case RUN_TOKEN -> {
        require(bearer, "a run token is required as the bearer token");
        yield null;
      }
      case MFA_CHALLENGE -> {
        String b = require(bearer, "the MFA challenge token is required as the bearer token");
        if (!b.startsWith(Tokens.MFA_CHALLENGE + "_")) {
          throw AuthException.unauthenticated("not_a_challenge", "the bearer token is not an MFA challenge");
        }
        yield null;
      }
      case PRE_AUTH -> {
        if (bearer.isEmpty()) {
          if (transport == Transport.TCP) {
            throw AuthException.unauthenticated(
                "bearer_required", "over TCP this call needs a service token as the bearer; use the Unix socket otherwise");
          }
          yield null;
        }
        yield authenticator.service(bearer.get())
            .orElseThrow(() -> AuthException.unauthenticated("invalid_service_token", "the bearer token is not a valid service token"));
      }
      case SESSION -> session(require(bearer, "a session token is required"));
      case USER_SESSION -> {
        // any(): a valid service token here is a known caller in the wrong role (PERMISSION_DENIED).
        Principal p = any(require(bearer, "a user session token is required"));
        if (!(p instanceof UserPrincipal)) {
          throw new Denied(p, "user_session_required", "this call needs a user session");
        }
        yield p;
      }
      case RUN_SESSION -> {
        Principal p = any(require(bearer, "a run session token is required"));
        if (!(p instanceof RunPrincipal)) {
          throw new Denied(p, "run_session_required", "this call is for workflow runs only");
        }
        yield p;
      }
      case AUTHENTICATED -> any(require(bearer, "a bearer token is required"));
      case ADMIN -> {
        Principal p = any(require(bearer, "a bearer token is required"));
        if (p instanceof ServicePrincipal) {
          yield p;
        }
        if (p instanceof UserPrincipal u && u.hasRole(UserPrincipal.ADMIN)) {
          if (!u.mfaWithin(stepUpMaxAge, clock.instant())) {
            throw new Denied(p, "mfa_step_up_required", "admin calls need a TOTP check within the last " + stepUpMaxAge.toMinutes() + " minutes");
          }
          yield p;
        }
        throw new Denied(p, "admin_required", "this call needs an admin user or a service");
      }
      case SERVICE -> {
        Principal p = any(require(bearer, "a service token is required"));
        if (!(p instanceof ServicePrincipal)) {
          throw new Denied(p, "service_required", "this call is for services only");
        }
        yield p;
      }
    };
  }

  private Principal session(String token) {
    if (!token.startsWith(Tokens.SESSION + "_")) {
      throw AuthException.unauthenticated("not_a_session", "the bearer token is not a session token");
    }
    return authenticator.session(token);
  }

  private Principal any(String token) {
    if (token.startsWith(Tokens.SERVICE + "_")) {
      return authenticator.service(token)
          .orElseThrow(() -> AuthException.unauthenticated("invalid_service_token", "the bearer token is not a valid service token"));
    }
    return session(token);
  }

  private static String require(Optional<String> bearer, String message) {
    return bearer.orElseThrow(() -> AuthException.unauthenticated("bearer_required", message));
  }

  /** Parses {@code authorization: Bearer <token>}; absent is empty, anything else malformed. */
  static Optional<String> bearer(Metadata headers) {
    Iterable<String> all = headers.getAll(AUTHORIZATION);
    if (all == null) {
      return Optional.empty();
    }
    String value = null;
    for (String v : all) {
      if (value != null) {
        throw AuthException.unauthenticated("bad_authorization_header", "send exactly one authorization header");
      }
      value = v;
    }
    if (value.length() < 8 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw AuthException.unauthenticated("bad_authorization_header", "the authorization header must be 'Bearer <token>'");
    }
    String token = value.substring(7).trim();
    if (token.isEmpty() || token.length() > 8192) {
      throw AuthException.unauthenticated("bad_authorization_header", "the bearer token is empty or too long");
    }
    return Optional.of(token);
  }

  private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status, Principal principal, String method, String reason) {
    try {
      audit.record(
          new AuditEvent(
              principal instanceof RunPrincipal r ? r.tenantId() : principal instanceof UserPrincipal u ? u.tenantId() : "",
              principal == null ? AuditEvent.Actor.unknown() : principal.actor(),
              Actions.ACCESS_DENIED,
              "method/" + method,
              AuditEvent.Outcome.DENIED,
              reason,
              CallContext.requestId(),
              CallContext.peer(),
              clock.instant(),
              Map.of("status", status.getCode().name())));
    } catch (SidecarException e) {
      // The call is refused either way; a refusal that cannot be audited is still a refusal.
      log.warn("could not audit a refused call to {}: {}", method, e.getMessage());
    }
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }

  /** A refusal of a caller who did authenticate (so the audit event names them). */
  private static final class Denied extends SidecarException {
    private static final long serialVersionUID = 1L;
    private final transient Principal principal;

    Denied(Principal principal, String reason, String message) {
      super(io.apixx.flow.sidecar.error.ErrorKind.PERMISSION_DENIED, reason, message);
      this.principal = principal;
    }
  }
}
