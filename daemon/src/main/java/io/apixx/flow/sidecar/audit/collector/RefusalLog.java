package io.apixx.flow.sidecar.audit.collector;

import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.audit.AuditSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's {@link AuditSink}: the collector has no spool of its own, so the refusals its
 * interceptors report (a Query without a valid service token, a tenant outside the token's list)
 * are written to the log as warnings, one line each, naming actor, method, reason and peer (never
 * a token). Never throws. Thread-safe.
 */
public final class RefusalLog implements AuditSink {
  private static final Logger log = LoggerFactory.getLogger(RefusalLog.class);

  @Override
  public void record(AuditEvent e) {
    log.warn(
        "audit: {} {} by {}:{} on {} (reason {}, request {}, peer {} {})",
        e.action(),
        e.outcome(),
        e.actor().kind(),
        e.actor().id(),
        e.target(),
        e.reasonCode(),
        e.requestId(),
        e.peer().transport().label(),
        e.peer().ip());
  }
}
