package io.apixx.flow.sidecar.audit;

/**
 * Where capabilities report privileged actions.
 *
 * <p>Contract: {@link #record} returns only once the event is durable (in the production sink:
 * fsynced into the local spool, from which it is streamed to the collector). If that cannot be
 * done it throws {@link AuditUnavailableException} and the caller must not complete the action it
 * was auditing: no audit record, no secret. Thread-safe; may block for a group commit.
 */
public interface AuditSink {
  /**
   * Makes {@code event} durable.
   *
   * @throws AuditUnavailableException when the event cannot be made durable
   */
  void record(AuditEvent event);
}
