package io.apixx.flow.sidecar.client;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Call credentials that attach {@code authorization: Bearer <token>}. The daemon is pod-local
 * (Unix socket or loopback), so the token may travel over plaintext transports; for anything else
 * gRPC's rule applies and the token is sent only over a privacy-and-integrity channel.
 */
final class BearerToken extends CallCredentials {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String token;
  private final boolean podLocal;

  BearerToken(String token, boolean podLocal) {
    this.token = Objects.requireNonNull(token, "token");
    this.podLocal = podLocal;
  }

  @Override
  public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
    if (!podLocal && info.getSecurityLevel() != SecurityLevel.PRIVACY_AND_INTEGRITY) {
      applier.fail(Status.UNAUTHENTICATED.withDescription("refusing to send a bearer token over an insecure channel"));
      return;
    }
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    applier.apply(headers);
  }

  @Override
  public String toString() {
    return "BearerToken[REDACTED]";
  }
}
