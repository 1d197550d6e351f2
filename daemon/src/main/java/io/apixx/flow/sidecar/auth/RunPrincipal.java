package io.apixx.flow.sidecar.auth;

import io.apixx.flow.sidecar.audit.AuditEvent;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * Code running in a workflow sandbox, authenticated by a run session that was issued for a run
 * token.
 *
 * @param tenantId the run's tenant
 * @param runId the run (the token's {@code sub})
 * @param workflowId the workflow the run executes
 * @param allowedConnectors connectors whose credentials the run may fetch
 * @param expiresAt when the run session ends (the run token's {@code exp})
 * @param sessionHash SHA-256 hex of the session token, for audit and revocation
 */
public record RunPrincipal(
    String tenantId,
    String runId,
    String workflowId,
    Set<String> allowedConnectors,
    Instant expiresAt,
    String sessionHash)
    implements Principal {

  public RunPrincipal {
    Objects.requireNonNull(tenantId, "tenantId");
    Objects.requireNonNull(runId, "runId");
    workflowId = Objects.requireNonNullElse(workflowId, "");
    allowedConnectors = Set.copyOf(allowedConnectors);
    Objects.requireNonNull(expiresAt, "expiresAt");
    sessionHash = Objects.requireNonNullElse(sessionHash, "");
  }

  @Override
  public String id() {
    return runId;
  }

  @Override
  public AuditEvent.Actor actor() {
    return new AuditEvent.Actor(AuditEvent.Kind.RUN, runId, sessionHash);
  }

  @Override
  public boolean mayActOn(String tenant) {
    return tenantId.equals(tenant);
  }

  /** Whether the run's token names {@code connectorId}. */
  public boolean mayUse(String connectorId) {
    return allowedConnectors.contains(connectorId);
  }
}
