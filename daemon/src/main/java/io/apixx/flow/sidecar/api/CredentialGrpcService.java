package io.apixx.flow.sidecar.api;

import com.google.protobuf.Timestamp;
import io.apixx.flow.sidecar.audit.AuditRecords;
import io.apixx.flow.sidecar.auth.AuthContext;
import io.apixx.flow.sidecar.auth.AuthException;
import io.apixx.flow.sidecar.auth.Principal;
import io.apixx.flow.sidecar.auth.RunPrincipal;
import io.apixx.flow.sidecar.credentials.CredentialMetadata;
import io.apixx.flow.sidecar.credentials.CredentialPage;
import io.apixx.flow.sidecar.credentials.CredentialService;
import io.apixx.flow.sidecar.credentials.RedactionResult;
import io.apixx.flow.sidecar.credentials.ReleasedCredential;
import io.apixx.flow.sidecar.credentials.RequestMeta;
import io.apixx.flow.sidecar.credentials.SecretFields;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.server.CallContext;
import io.apixx.flow.sidecar.tenancy.Tenancy;
import io.apixx.flow.sidecar.v1.CredentialServiceGrpc;
import io.apixx.flow.sidecar.v1.CredentialState;
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
import java.util.Objects;

/**
 * {@code CredentialService}: thin mapping from the wire to {@link CredentialService}. It reads
 * the principal from the Context (put there by the authentication interceptor, never from the
 * request), checks the request's optional {@code tenant_id} against it, maps messages, delegates,
 * and routes every failure through {@link StatusMapper}. Access rules ({@code AccessRules}) are
 * enforced before these methods run; the domain checks roles and scope again.
 *
 * <p>Secret values exist as {@code String}s only while a request or response message is built
 * (protobuf strings cannot be wiped); the domain's containers are wiped right after mapping.
 */
public final class CredentialGrpcService extends CredentialServiceGrpc.CredentialServiceImplBase {
  private final CredentialService credentials;

  public CredentialGrpcService(CredentialService credentials) {
    this.credentials = Objects.requireNonNull(credentials, "credentials");
  }

  /**
   * Transitional: the service without the capability, every RPC answering UNIMPLEMENTED as
   * before. It exists only so that {@code Main}, which is wired separately, still compiles; delete
   * it together with the {@code Main} change that passes a {@link CredentialService}.
   *
   * @deprecated construct with {@link #CredentialGrpcService(CredentialService)}
   */
  @Override
  public void getCredential(GetCredentialRequest request, StreamObserver<GetCredentialResponse> observer) {
    GrpcCalls.unary(
        observer,
        () -> {
          RunPrincipal run = runPrincipal();
          Tenancy.effectiveTenant(run, request.getTenantId());
          try (ReleasedCredential released = credentials.release(run, request.getConnectorId(), meta())) {
            return GetCredentialResponse.newBuilder()
                .setMetadata(toProto(released.metadata()))
                .putAllSecretFields(released.fields().revealUtf8(SecretAccess.RELEASE))
                .build();
          }
        });
  }

  @Override
  public void listCredentials(ListCredentialsRequest request, StreamObserver<ListCredentialsResponse> observer) {
    GrpcCalls.unary(
        observer,
        () -> {
          CredentialPage page =
              credentials.list(
                  AuthContext.requirePrincipal(), request.getTenantId(), request.getPageSize(), request.getPageToken(), meta());
          ListCredentialsResponse.Builder out = ListCredentialsResponse.newBuilder().setNextPageToken(page.nextPageToken());
          page.credentials().forEach(m -> out.addCredentials(toProto(m)));
          return out.build();
        });
  }

  @Override
  public void redact(RedactRequest request, StreamObserver<RedactResponse> observer) {
    GrpcCalls.unary(
        observer,
        () -> {
          RedactionResult result = credentials.redact(runPrincipal(), request.getPayload(), request.getMask());
          return RedactResponse.newBuilder().setPayload(result.payload()).setReplacements(result.replacements()).build();
        });
  }

  @Override
  public void sealCredential(SealCredentialRequest request, StreamObserver<SealCredentialResponse> observer) {
    GrpcCalls.unary(
        observer,
        () -> {
          try (SecretFields fields = SecretFields.fromStrings(request.getSecretFieldsMap())) {
            CredentialMetadata m =
                credentials.seal(
                    AuthContext.requirePrincipal(), request.getTenantId(), request.getConnectorId(), request.getDisplayName(),
                    fields, meta());
            return SealCredentialResponse.newBuilder().setMetadata(toProto(m)).build();
          }
        });
  }

  @Override
  public void rotateCredential(RotateCredentialRequest request, StreamObserver<RotateCredentialResponse> observer) {
    GrpcCalls.unary(
        observer,
        () -> {
          try (SecretFields fields = SecretFields.fromStrings(request.getSecretFieldsMap())) {
            CredentialMetadata m =
                credentials.rotate(
                    AuthContext.requirePrincipal(), request.getTenantId(), request.getConnectorId(), fields, meta());
            return RotateCredentialResponse.newBuilder().setMetadata(toProto(m)).build();
          }
        });
  }

  @Override
  public void revokeCredential(RevokeCredentialRequest request, StreamObserver<RevokeCredentialResponse> observer) {
    GrpcCalls.unary(
        observer,
        () -> {
          CredentialMetadata m =
              credentials.revoke(
                  AuthContext.requirePrincipal(), request.getTenantId(), request.getConnectorId(), request.getReason(), meta());
          return RevokeCredentialResponse.newBuilder().setMetadata(toProto(m)).build();
        });
  }

  /** The caller, which the RUN_SESSION access rule guarantees to be a run. */
  private static RunPrincipal runPrincipal() {
    Principal p = AuthContext.requirePrincipal();
    if (p instanceof RunPrincipal run) {
      return run;
    }
    throw AuthException.denied("run_session_required", "this call is for workflow runs only");
  }

  private static RequestMeta meta() {
    return new RequestMeta(CallContext.requestId(), CallContext.peer());
  }

  static io.apixx.flow.sidecar.v1.CredentialMetadata toProto(CredentialMetadata m) {
    io.apixx.flow.sidecar.v1.CredentialMetadata.Builder b =
        io.apixx.flow.sidecar.v1.CredentialMetadata.newBuilder()
            .setTenantId(m.tenantId())
            .setConnectorId(m.connectorId())
            .setCredentialId(m.credentialId().toString())
            .setVersion(m.version())
            .addAllFieldNames(m.fieldNames())
            .setState(
                m.state() == CredentialMetadata.State.REVOKED
                    ? CredentialState.CREDENTIAL_STATE_REVOKED
                    : CredentialState.CREDENTIAL_STATE_ACTIVE)
            .setCreateTime(timestamp(m.createTime()));
    m.rotateTime().ifPresent(t -> b.setRotateTime(timestamp(t)));
    m.revokeTime().ifPresent(t -> b.setRevokeTime(timestamp(t)));
    return b.build();
  }

  private static Timestamp timestamp(java.time.Instant t) {
    return AuditRecords.timestamp(t);
  }
}
