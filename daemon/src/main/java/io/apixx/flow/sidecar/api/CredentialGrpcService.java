package io.apixx.flow.sidecar.api;

import io.apixx.flow.sidecar.v1.CredentialServiceGrpc;
import io.apixx.flow.sidecar.v1.GetCredentialRequest;
import io.apixx.flow.sidecar.v1.GetCredentialResponse;
import io.apixx.flow.sidecar.v1.ListCredentialsRequest;
import io.apixx.flow.sidecar.v1.ListCredentialsResponse;
import io.apixx.flow.sidecar.v1.RedactRequest;
import io.apixx.flow.sidecar.v1.RedactResponse;
import io.apixx.flow.sidecar.v1.RevokeCredentialRequest;
import io.apixx.flow.sidecar.v1.RevokeCredentialResponse;
import io.apixx.flow.sidecar.v1.RotateCredentialRequest;
import io.apixx.flow.sidecar.v1.RotateCredentialResponse;
import io.apixx.flow.sidecar.v1.SealCredentialRequest;
import io.apixx.flow.sidecar.v1.SealCredentialResponse;
import io.grpc.stub.StreamObserver;

/** {@code CredentialService}: thin mapping from the wire to the credentials capability. */
public final class CredentialGrpcService extends CredentialServiceGrpc.CredentialServiceImplBase {
  private static final String CREDS = "envelope encryption and the credential store";

  @Override
  public void getCredential(GetCredentialRequest request, StreamObserver<GetCredentialResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("CredentialService.GetCredential", CREDS); });
  }

  @Override
  public void listCredentials(ListCredentialsRequest request, StreamObserver<ListCredentialsResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("CredentialService.ListCredentials", CREDS); });
  }

  @Override
  public void redact(RedactRequest request, StreamObserver<RedactResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("CredentialService.Redact", CREDS); });
  }

  @Override
  public void sealCredential(SealCredentialRequest request, StreamObserver<SealCredentialResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("CredentialService.SealCredential", CREDS); });
  }

  @Override
  public void rotateCredential(RotateCredentialRequest request, StreamObserver<RotateCredentialResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("CredentialService.RotateCredential", CREDS); });
  }

  @Override
  public void revokeCredential(RevokeCredentialRequest request, StreamObserver<RevokeCredentialResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("CredentialService.RevokeCredential", CREDS); });
  }
}
