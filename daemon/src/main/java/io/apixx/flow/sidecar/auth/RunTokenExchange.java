package io.apixx.flow.sidecar.auth;

import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.audit.AuditSink;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.persistence.TenantScope;
import io.apixx.flow.sidecar.tenancy.TenantDirectory;
import java.time.Clock;
import java.util.Map;

/**
 * {@code ExchangeRunToken}: verifies a run token, accepts its {@code jti} once across every daemon
 * (a row in {@code flow.used_run_tokens}), and issues a run session ending at the token's
 * {@code exp}, in one transaction. Every outcome is audited (the token only as a hash).
 */
public final class RunTokenExchange {
  private final RunTokenVerifier verifier;
  private final TenantScope tenants;
  private final TenantDirectory directory;
  private final SessionService sessions;
  private final AuditSink audit;
  private final Clock clock;

  public RunTokenExchange(
      RunTokenVerifier verifier, TenantScope tenants, TenantDirectory directory, SessionService sessions, AuditSink audit, Clock clock) {
    this.verifier = verifier;
    this.tenants = tenants;
    this.directory = directory;
    this.sessions = sessions;
    this.audit = audit;
    this.clock = clock;
  }

  /** The result: the session and the run it belongs to. */
  public record Exchanged(SessionService.Issued session, RunPrincipal principal) {}

  /**
   * @throws AuthException UNAUTHENTICATED for an invalid, expired or replayed token
   */
  public Exchanged exchange(String runToken, RequestMeta meta, String clientLabel) {
    RunTokenVerifier.Claims c;
    try {
      c = verifier.verify(runToken);
    } catch (AuthException e) {
      record(meta, "", AuditEvent.Actor.unknown(), "", AuditEvent.Outcome.DENIED, e.reasonCode(), runToken, clientLabel);
      throw e;
    }
    AuditEvent.Actor actor = new AuditEvent.Actor(AuditEvent.Kind.RUN, c.runId(), "");
    if (directory.find(c.tenantId()).isEmpty()) {
      record(meta, c.tenantId(), actor, c.runId(), AuditEvent.Outcome.DENIED, "unknown_tenant", runToken, clientLabel);
      throw AuthException.unauthenticated("unknown_tenant", "run token rejected (unknown_tenant)");
    }
    try {
      return tenants.inTenant(
          c.tenantId(),
          DbActor.run(c.runId()),
          tx -> {
            int n = tx.update(
                "INSERT INTO flow.used_run_tokens (tenant_id, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                c.tenantId(), c.jti(), c.expiresAt());
            if (n == 0) {
              throw AuthException.unauthenticated("replayed", "run token rejected (replayed)");
            }
            SessionService.Issued s = sessions.issueRun(tx, c.runId(), c.workflowId(), c.connectors(), c.expiresAt());
            RunPrincipal p = new RunPrincipal(c.tenantId(), c.runId(), c.workflowId(), c.connectors(), c.expiresAt(), Tokens.hashHex(s.token()));
            // Audited inside the transaction: if the record cannot be made durable, no session exists.
            record(meta, c.tenantId(), p.actor(), c.runId(), AuditEvent.Outcome.SUCCESS, "", runToken, clientLabel);
            return new Exchanged(s, p);
          });
    } catch (SidecarException e) {
      if (e.kind() == ErrorKind.UNAUTHENTICATED) {
        record(meta, c.tenantId(), actor, c.runId(), AuditEvent.Outcome.DENIED, e.reasonCode(), runToken, clientLabel);
      }
      throw e;
    }
  }

  private void record(
      RequestMeta meta, String tenant, AuditEvent.Actor actor, String runId, AuditEvent.Outcome outcome, String reason, String token, String label) {
    audit.record(
        new AuditEvent(
            tenant, actor, Actions.AUTH_RUN_TOKEN, runId.isEmpty() ? "run" : "run/" + runId, outcome, reason, meta.requestId(), meta.peer(),
            clock.instant(), Map.of("token_sha256", Tokens.hashHex(token), "client_label", label)));
  }
}
