package io.apixx.flow.sidecar.api;

import io.apixx.flow.sidecar.audit.AuditRecords;
import io.apixx.flow.sidecar.audit.AuditSink;
import io.apixx.flow.sidecar.auth.AuthContext;
import io.apixx.flow.sidecar.auth.AuthException;
import io.apixx.flow.sidecar.auth.MfaService;
import io.apixx.flow.sidecar.auth.OidcLogin;
import io.apixx.flow.sidecar.auth.PasswordLogin;
import io.apixx.flow.sidecar.auth.RequestMeta;
import io.apixx.flow.sidecar.auth.RunPrincipal;
import io.apixx.flow.sidecar.auth.RunTokenExchange;
import io.apixx.flow.sidecar.auth.ServicePrincipal;
import io.apixx.flow.sidecar.auth.SessionService;
import io.apixx.flow.sidecar.auth.UserPrincipal;
import io.apixx.flow.sidecar.server.CallContext;
import io.apixx.flow.sidecar.v1.ConfirmTotpRequest;
import io.apixx.flow.sidecar.v1.ConfirmTotpResponse;
import io.apixx.flow.sidecar.v1.EnrollTotpRequest;
import io.apixx.flow.sidecar.v1.EnrollTotpResponse;
import io.apixx.flow.sidecar.v1.ExchangeOidcTokenRequest;
import io.apixx.flow.sidecar.v1.ExchangeOidcTokenResponse;
import io.apixx.flow.sidecar.v1.ExchangeRunTokenRequest;
import io.apixx.flow.sidecar.v1.ExchangeRunTokenResponse;
import io.apixx.flow.sidecar.v1.IdentityServiceGrpc;
import io.apixx.flow.sidecar.v1.LoginRequest;
import io.apixx.flow.sidecar.v1.LoginResponse;
import io.apixx.flow.sidecar.v1.LogoutRequest;
import io.apixx.flow.sidecar.v1.LogoutResponse;
import io.apixx.flow.sidecar.v1.MfaChallenge;
import io.apixx.flow.sidecar.v1.Principal;
import io.apixx.flow.sidecar.v1.PrincipalKind;
import io.apixx.flow.sidecar.v1.Session;
import io.apixx.flow.sidecar.v1.ValidateSessionRequest;
import io.apixx.flow.sidecar.v1.ValidateSessionResponse;
import io.apixx.flow.sidecar.v1.VerifyMfaRequest;
import io.apixx.flow.sidecar.v1.VerifyMfaResponse;
import io.apixx.flow.sidecar.v1.WhoAmIRequest;
import io.apixx.flow.sidecar.v1.WhoAmIResponse;
import io.grpc.stub.StreamObserver;
import java.util.TreeSet;

/** {@code IdentityService}: thin mapping from the wire to the auth capability. */
public final class IdentityGrpcService extends IdentityServiceGrpc.IdentityServiceImplBase {
  private final RunTokenExchange runTokens;
  private final PasswordLogin passwords;
  private final MfaService mfa;
  private final OidcLogin oidc;
  private final SessionService sessions;
  private final AuditSink audit;

  public IdentityGrpcService(
      RunTokenExchange runTokens, PasswordLogin passwords, MfaService mfa, OidcLogin oidc, SessionService sessions, AuditSink audit) {
    this.runTokens = runTokens;
    this.passwords = passwords;
    this.mfa = mfa;
    this.oidc = oidc;
    this.sessions = sessions;
    this.audit = audit;
  }

  static RequestMeta meta() {
    return new RequestMeta(CallContext.requestId(), CallContext.peer());
  }

  @Override
  public void exchangeRunToken(ExchangeRunTokenRequest request, StreamObserver<ExchangeRunTokenResponse> observer) {
    GrpcCalls.unary(observer, () -> {
      if (request.getClientLabel().length() > 128) {
        throw AuthException.invalid("bad_client_label", "client_label: at most 128 characters");
      }
      RunTokenExchange.Exchanged e = runTokens.exchange(AuthContext.requireBearer(), meta(), request.getClientLabel());
      return ExchangeRunTokenResponse.newBuilder()
          .setSession(session(e.session(), e.principal()).setToken(e.session().token()))
          .build();
    });
  }

  @Override
  public void login(LoginRequest request, StreamObserver<LoginResponse> observer) {
    GrpcCalls.async(observer, () -> passwords
        .login(request.getTenantId(), request.getEmail(), request.getPassword(), meta())
        .thenApply(o -> {
          if (o.challenge().isPresent()) {
            return LoginResponse.newBuilder()
                .setMfaChallenge(MfaChallenge.newBuilder()
                    .setChallengeToken(o.challenge().get().token())
                    .setExpireTime(AuditRecords.timestamp(o.challenge().get().absoluteExpiresAt())))
                .build();
          }
          SessionService.Issued s = o.session().orElseThrow();
          return LoginResponse.newBuilder().setSession(session(s, sessions.validate(s.token()).principal()).setToken(s.token())).build();
        }));
  }

  @Override
  public void verifyMfa(VerifyMfaRequest request, StreamObserver<VerifyMfaResponse> observer) {
    GrpcCalls.unary(observer, () -> {
      SessionService.Issued s = mfa.verify(AuthContext.requireBearer(), request.getCode(), meta());
      return VerifyMfaResponse.newBuilder().setSession(session(s, sessions.validate(s.token()).principal()).setToken(s.token())).build();
    });
  }

  @Override
  public void validateSession(ValidateSessionRequest request, StreamObserver<ValidateSessionResponse> observer) {
    GrpcCalls.unary(observer, () -> {
      SessionService.Validated v = sessions.touch(AuthContext.requireBearer());
      return ValidateSessionResponse.newBuilder()
          .setSession(Session.newBuilder()
              .setExpireTime(AuditRecords.timestamp(v.absoluteExpiresAt()))
              .setIdleExpireTime(AuditRecords.timestamp(v.idleExpiresAt()))
              .setPrincipal(principal(v.principal())))
          .build();
    });
  }

  @Override
  public void logout(LogoutRequest request, StreamObserver<LogoutResponse> observer) {
    GrpcCalls.unary(observer, () -> {
      sessions.logout(AuthContext.requireBearer(), AuthContext.requirePrincipal(), meta(), audit);
      return LogoutResponse.getDefaultInstance();
    });
  }

  @Override
  public void enrollTotp(EnrollTotpRequest request, StreamObserver<EnrollTotpResponse> observer) {
    GrpcCalls.unary(observer, () -> {
      MfaService.Enrollment e = mfa.enroll((UserPrincipal) AuthContext.requirePrincipal(), meta());
      return EnrollTotpResponse.newBuilder().setOtpauthUri(e.otpauthUri()).setExpireTime(AuditRecords.timestamp(e.expiresAt())).build();
    });
  }

  @Override
  public void confirmTotp(ConfirmTotpRequest request, StreamObserver<ConfirmTotpResponse> observer) {
    GrpcCalls.unary(observer, () -> {
      SessionService.Issued s = mfa.confirm((UserPrincipal) AuthContext.requirePrincipal(), request.getCode(), meta());
      return ConfirmTotpResponse.newBuilder().setSession(session(s, sessions.validate(s.token()).principal()).setToken(s.token())).build();
    });
  }

  @Override
  public void exchangeOidcToken(ExchangeOidcTokenRequest request, StreamObserver<ExchangeOidcTokenResponse> observer) {
    GrpcCalls.unary(observer, () -> {
      SessionService.Issued s = oidc.exchange(request.getTenantId(), request.getIdToken(), request.getNonce(), meta());
      return ExchangeOidcTokenResponse.newBuilder().setSession(session(s, sessions.validate(s.token()).principal()).setToken(s.token())).build();
    });
  }

  @Override
  public void whoAmI(WhoAmIRequest request, StreamObserver<WhoAmIResponse> observer) {
    GrpcCalls.unary(observer, () -> WhoAmIResponse.newBuilder()
        .setPrincipal(principal(AuthContext.requirePrincipal()))
        .setTransport(CallContext.peer().transport().label())
        .build());
  }

  private static Session.Builder session(SessionService.Issued s, io.apixx.flow.sidecar.auth.Principal p) {
    return Session.newBuilder()
        .setExpireTime(AuditRecords.timestamp(s.absoluteExpiresAt()))
        .setIdleExpireTime(AuditRecords.timestamp(s.idleExpiresAt()))
        .setPrincipal(principal(p));
  }

  static Principal principal(io.apixx.flow.sidecar.auth.Principal p) {
    Principal.Builder b = Principal.newBuilder().setId(p.id());
    switch (p) {
      case RunPrincipal r -> b.setKind(PrincipalKind.PRINCIPAL_KIND_RUN).setTenantId(r.tenantId()).setWorkflowId(r.workflowId())
          .addAllAllowedConnectors(new TreeSet<>(r.allowedConnectors()));
      case UserPrincipal u -> {
        b.setKind(PrincipalKind.PRINCIPAL_KIND_USER).setTenantId(u.tenantId()).setEmail(u.email()).addAllRoles(new TreeSet<>(u.roles()));
        u.mfaTime().ifPresent(t -> b.setMfaTime(AuditRecords.timestamp(t)));
      }
      case ServicePrincipal s -> {
        b.setKind(PrincipalKind.PRINCIPAL_KIND_SERVICE);
        if (s.singleTenant()) {
          b.setTenantId(s.tenants().iterator().next());
        }
      }
    }
    return b.build();
  }
}
