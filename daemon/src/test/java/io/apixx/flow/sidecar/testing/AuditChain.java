package io.apixx.flow.sidecar.testing;

import com.google.protobuf.ByteString;
import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.audit.AuditRecords;
import io.apixx.flow.sidecar.auth.Peer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One daemon instance's hash chain, built in memory as the spool would (sequence from 1, each
 * record's prev_hash the previous hash): for collector tests that need valid, gapped or forked
 * chains without a spool. Not thread-safe.
 */
public final class AuditChain {
  private final String instance;
  private long sequence;
  private ByteString previous = AuditRecords.GENESIS;

  public AuditChain(String instance) {
    this.instance = instance;
  }

  public String instance() {
    return instance;
  }

  /** The sequence of the last record made. */
  public long sequence() {
    return sequence;
  }

  /** The next record of the chain for {@code event}. */
  public io.apixx.flow.sidecar.v1.AuditEvent next(AuditEvent event) {
    io.apixx.flow.sidecar.v1.AuditEvent e = AuditRecords.chain(AuditRecords.toProto(event, "us-east-1", instance), ++sequence, previous);
    previous = e.getHash();
    return e;
  }

  /** {@code n} credential releases of {@code tenant}, one millisecond apart from {@code start}. */
  public List<io.apixx.flow.sidecar.v1.AuditEvent> releases(int n, String tenant, Instant start) {
    List<io.apixx.flow.sidecar.v1.AuditEvent> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(next(release(tenant, "run-" + (sequence + 1), "connector/github/v1", start.plusMillis(i))));
    }
    return out;
  }

  /** Leaves {@code n} sequence numbers out, as a lost segment would (a gap at the collector). */
  public void skip(int n) {
    sequence += n;
  }

  /** A successful credential release by run {@code runId}. */
  public static AuditEvent release(String tenant, String runId, String target, Instant time) {
    return event(tenant, new AuditEvent.Actor(AuditEvent.Kind.RUN, runId, ""), Actions.CREDENTIAL_RELEASE, target, time);
  }

  /** A successful action by {@code actor}. */
  public static AuditEvent event(String tenant, AuditEvent.Actor actor, String action, String target, Instant time) {
    return new AuditEvent(tenant, actor, action, target, AuditEvent.Outcome.SUCCESS, "", "req-" + time.toEpochMilli(), Peer.unix(42, 1000), time, Map.of());
  }
}
