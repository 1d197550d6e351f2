package io.apixx.flow.sidecar.audit;

import io.apixx.flow.sidecar.auth.Peer;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One privileged action, as a capability reports it to the {@link AuditSink}. The sink adds the
 * event id (UUIDv7), region, daemon instance, sequence number and hash chain when it makes the
 * record durable.
 *
 * <p>Never put a secret value here: no credential field, key, password, TOTP seed or token. Tokens
 * appear only as SHA-256 hex in {@link Actor#sessionHash()}.
 *
 * @param tenantId the tenant concerned; empty for daemon-wide actions
 * @param actor who acted
 * @param action dotted verb, e.g. {@code credential.release} (see {@link Actions})
 * @param target what it was done to, e.g. {@code connector/github-main/v3}
 * @param outcome success, denial or failure
 * @param reasonCode short machine-readable reason for a denial or failure; empty on success
 * @param requestId the gRPC request id
 * @param peer where the call came from
 * @param time when the action happened (UTC)
 * @param attributes further non-secret details (sorted for a stable hash)
 */
public record AuditEvent(
    String tenantId,
    Actor actor,
    String action,
    String target,
    Outcome outcome,
    String reasonCode,
    String requestId,
    Peer peer,
    Instant time,
    Map<String, String> attributes) {

  public AuditEvent {
    tenantId = Objects.requireNonNullElse(tenantId, "");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(action, "action");
    target = Objects.requireNonNullElse(target, "");
    Objects.requireNonNull(outcome, "outcome");
    reasonCode = Objects.requireNonNullElse(reasonCode, "");
    requestId = Objects.requireNonNullElse(requestId, "");
    peer = Objects.requireNonNullElse(peer, Peer.inProcess());
    Objects.requireNonNull(time, "time");
    attributes = attributes == null ? Map.of() : Map.copyOf(new TreeMap<>(attributes));
  }

  /** Who performed an action. */
  public record Actor(Kind kind, String id, String sessionHash) {
    public Actor {
      Objects.requireNonNull(kind, "kind");
      id = Objects.requireNonNullElse(id, "");
      sessionHash = Objects.requireNonNullElse(sessionHash, "");
    }

    public static Actor system() {
      return new Actor(Kind.SYSTEM, "sidecar", "");
    }

    public static Actor unknown() {
      return new Actor(Kind.UNKNOWN, "", "");
    }
  }

  /** Actor kinds, mirroring {@code apixx.flow.sidecar.v1.ActorKind}. */
  public enum Kind {
    UNKNOWN,
    RUN,
    USER,
    SERVICE,
    SYSTEM
  }

  /** Outcomes, mirroring {@code apixx.flow.sidecar.v1.Outcome}. */
  public enum Outcome {
    SUCCESS,
    DENIED,
    FAILURE
  }
}
