package io.apixx.flow.sidecar.api;

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
import io.apixx.flow.sidecar.v1.ValidateSessionRequest;
import io.apixx.flow.sidecar.v1.ValidateSessionResponse;
import io.apixx.flow.sidecar.v1.VerifyMfaRequest;
import io.apixx.flow.sidecar.v1.VerifyMfaResponse;
import io.apixx.flow.sidecar.v1.WhoAmIRequest;
import io.apixx.flow.sidecar.v1.WhoAmIResponse;
import io.grpc.stub.StreamObserver;

/** {@code IdentityService}: thin mapping from the wire to the auth capability. */
public final class IdentityGrpcService extends IdentityServiceGrpc.IdentityServiceImplBase {
  private static final String AUTH = "caller authentication (run tokens, passwords, TOTP, OIDC, sessions)";

  @Override
  public void exchangeRunToken(ExchangeRunTokenRequest request, StreamObserver<ExchangeRunTokenResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("IdentityService.ExchangeRunToken", AUTH); });
  }

  @Override
  public void login(LoginRequest request, StreamObserver<LoginResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("IdentityService.Login", AUTH); });
  }

  @Override
  public void verifyMfa(VerifyMfaRequest request, StreamObserver<VerifyMfaResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("IdentityService.VerifyMfa", AUTH); });
  }

  @Override
  public void validateSession(ValidateSessionRequest request, StreamObserver<ValidateSessionResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("IdentityService.ValidateSession", AUTH); });
  }

  @Override
  public void logout(LogoutRequest request, StreamObserver<LogoutResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("IdentityService.Logout", AUTH); });
  }

  @Override
  public void enrollTotp(EnrollTotpRequest request, StreamObserver<EnrollTotpResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("IdentityService.EnrollTotp", AUTH); });
  }

  @Override
  public void confirmTotp(ConfirmTotpRequest request, StreamObserver<ConfirmTotpResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("IdentityService.ConfirmTotp", AUTH); });
  }

  @Override
  public void exchangeOidcToken(ExchangeOidcTokenRequest request, StreamObserver<ExchangeOidcTokenResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("IdentityService.ExchangeOidcToken", AUTH); });
  }

  @Override
  public void whoAmI(WhoAmIRequest request, StreamObserver<WhoAmIResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("IdentityService.WhoAmI", AUTH); });
  }
}
