package io.apixx.flow.sidecar.api;

import io.apixx.flow.sidecar.auth.Access;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.grpc.health.v1.HealthGrpc;
import java.util.Map;

/**
 * Who may call what on the collector ({@code flow-sidecar collector}, and dev mode's in-process
 * collector): the collector's counterpart of {@link AccessRules}, one table.
 *
 * <ul>
 *   <li>{@code Stream} is PUBLIC at the gRPC layer because the transport authenticates it: the
 *       collector's listener requires a client certificate signed by the configured client CA, so
 *       no call reaches it from a peer without one. (Plaintext exists only for dev and tests, on
 *       loopback.)
 *   <li>{@code Query} needs a service token from {@code collector.service_tokens_file}; the service
 *       then reads only the tenants its token lists.
 *   <li>Health and reflection are PUBLIC, as on the daemon.
 * </ul>
 */
public final class CollectorAccessRules {
  private CollectorAccessRules() {}

  public static Map<String, Access> all() {
    return Map.of(
        HealthGrpc.getCheckMethod().getFullMethodName(), Access.PUBLIC,
        HealthGrpc.getWatchMethod().getFullMethodName(), Access.PUBLIC,
        "grpc.reflection.v1.ServerReflection/ServerReflectionInfo", Access.PUBLIC,
        "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", Access.PUBLIC,
        AuditIngestServiceGrpc.getStreamMethod().getFullMethodName(), Access.PUBLIC,
        AuditIngestServiceGrpc.getQueryMethod().getFullMethodName(), Access.SERVICE);
  }
}
