package io.apixx.flow.sidecar.audit.collector;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.apixx.flow.sidecar.audit.AuditRecords;
import io.apixx.flow.sidecar.v1.AuditEvent;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's PostgreSQL store: append-only events, per-chain heads, alarms and the webhook
 * outbox. Thread-safe; each call is one transaction on a pooled connection of the collector role.
 */
public final class AuditStore {
  private static final Logger log = LoggerFactory.getLogger(AuditStore.class);
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private final DataSource dataSource;
  private final ChainAlarms alarms;

  /** Receives chain anomalies (metrics, logs). */
  public interface ChainAlarms {
    void raised(String daemonInstance, String kind);
  }

  public AuditStore(DataSource dataSource, ChainAlarms alarms) {
    this.dataSource = dataSource;
    this.alarms = alarms;
  }

  /**
   * Stores one batch from one daemon chain and verifies the chain on arrival. Events already stored
   * (same id) are skipped, which makes redelivery harmless. A gap or a fork is recorded as an
   * alarm; the events are stored anyway (losing evidence would be worse).
   *
   * @return the highest sequence of the batch, now durably stored (the acknowledgement)
   * @throws CollectorException INVALID_ARGUMENT naming the event and field of a malformed event,
   *     UNAVAILABLE when the database cannot be used
   */
  public long store(String instance, List<AuditEvent> batch) {
    if (instance == null || !ID.matcher(instance).matches()) {
      throw CollectorException.invalid("daemon_instance: expected 1..128 characters of [A-Za-z0-9._:-]");
    }
    List<AuditEvent> events = new ArrayList<>(batch);
    events.sort(Comparator.comparingLong(AuditEvent::getSequence));
    for (AuditEvent e : events) {
      validate(instance, e);
    }
    if (events.isEmpty()) {
      return 0;
    }
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        Head head = lockHead(c, instance);
        long lastSeq = head.sequence();
        ByteString lastHash = head.hash();
        List<String[]> raised = new ArrayList<>();
        try (PreparedStatement ins = c.prepareStatement(
                "INSERT INTO audit.events (event_id, event_time, tenant_id, daemon_instance, sequence, actor_kind, actor_id, action, target,"
                    + " outcome, reason_code, request_id, region, prev_hash, hash, record) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                    + " ON CONFLICT DO NOTHING");
            PreparedStatement outbox = c.prepareStatement(
                "INSERT INTO audit.webhook_outbox (tenant_id, event_id, event_time) SELECT tenant_id, ?, ? FROM audit.webhooks"
                    + " WHERE tenant_id = ? AND enabled")) {
          for (AuditEvent e : events) {
            long seq = e.getSequence();
            UUID id = UUID.fromString(e.getEventId());
            Timestamp time = Timestamp.from(AuditRecords.instant(e.getTime()));
            bindEvent(ins, id, time, instance, e);
            boolean inserted = ins.executeUpdate() == 1;
            if (!inserted) {
              continue; // a redelivery of an event we already have
            }
            if (seq <= lastSeq) {
              raised.add(new String[] {"fork", Long.toString(lastSeq + 1), Long.toString(seq), id.toString()});
              continue;
            }
            if (seq > lastSeq + 1) {
              raised.add(new String[] {"gap", Long.toString(lastSeq + 1), Long.toString(seq), id.toString()});
            } else if (!e.getPrevHash().equals(lastHash)) {
              raised.add(new String[] {"fork", Long.toString(lastSeq + 1), Long.toString(seq), id.toString()});
            }
            lastSeq = seq;
            lastHash = e.getHash();
            if (!e.getTenantId().isEmpty()) {
              outbox.setObject(1, id);
              outbox.setTimestamp(2, time);
              outbox.setString(3, e.getTenantId());
              outbox.executeUpdate();
            }
          }
        }
        try (PreparedStatement up = c.prepareStatement(
            "UPDATE audit.chain_heads SET last_sequence = ?, last_hash = ?, updated_at = now() WHERE daemon_instance = ?")) {
          up.setLong(1, lastSeq);
          up.setBytes(2, lastHash.toByteArray());
          up.setString(3, instance);
          up.executeUpdate();
        }
        if (!raised.isEmpty()) {
          try (PreparedStatement al = c.prepareStatement(
              "INSERT INTO audit.alarms (daemon_instance, kind, expected_sequence, got_sequence, event_id) VALUES (?,?,?,?,?)")) {
            for (String[] a : raised) {
              al.setString(1, instance);
              al.setString(2, a[0]);
              al.setLong(3, Long.parseLong(a[1]));
              al.setLong(4, Long.parseLong(a[2]));
              al.setObject(5, UUID.fromString(a[3]));
              al.executeUpdate();
            }
          }
        }
        c.commit();
        for (String[] a : raised) {
          log.error("audit chain {} of {}: expected sequence {}, got {}", a[0], instance, a[1], a[2]);
          alarms.raised(instance, a[0]);
        }
        return events.get(events.size() - 1).getSequence();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw CollectorException.unavailable("audit database unavailable", e);
    }
  }

  private record Head(long sequence, ByteString hash) {}

  /** Locks (creating if needed) the chain head of {@code instance} for this transaction. */
  private static Head lockHead(Connection c, String instance) throws SQLException {
    try (PreparedStatement ins = c.prepareStatement(
        "INSERT INTO audit.chain_heads (daemon_instance, last_sequence, last_hash) VALUES (?, 0, ?) ON CONFLICT DO NOTHING")) {
      ins.setString(1, instance);
      ins.setBytes(2, AuditRecords.GENESIS.toByteArray());
      ins.executeUpdate();
    }
    try (PreparedStatement sel = c.prepareStatement(
        "SELECT last_sequence, last_hash FROM audit.chain_heads WHERE daemon_instance = ? FOR UPDATE")) {
      sel.setString(1, instance);
      try (ResultSet rs = sel.executeQuery()) {
        rs.next();
        return new Head(rs.getLong(1), ByteString.copyFrom(rs.getBytes(2)));
      }
    }
  }

  private static void bindEvent(PreparedStatement ins, UUID id, Timestamp time, String instance, AuditEvent e) throws SQLException {
    ins.setObject(1, id);
    ins.setTimestamp(2, time);
    ins.setString(3, e.getTenantId());
    ins.setString(4, instance);
    ins.setLong(5, e.getSequence());
    ins.setString(6, e.getActor().getKind().name());
    ins.setString(7, e.getActor().getId());
    ins.setString(8, e.getAction());
    ins.setString(9, e.getTarget());
    ins.setString(10, e.getOutcome().name());
    ins.setString(11, e.getReasonCode());
    ins.setString(12, e.getRequestId());
    ins.setString(13, e.getRegion());
    ins.setBytes(14, e.getPrevHash().toByteArray());
    ins.setBytes(15, e.getHash().toByteArray());
    ins.setBytes(16, e.toByteArray());
  }

  private static void validate(String instance, AuditEvent e) {
    String id = e.getEventId();
    try {
      UUID.fromString(id);
    } catch (IllegalArgumentException ex) {
      throw CollectorException.invalid("event_id: not a UUID (sequence " + e.getSequence() + ")");
    }
    String where = " (event " + id + ")";
    if (!instance.equals(e.getDaemonInstance())) {
      throw CollectorException.invalid("daemon_instance: differs from the stream's" + where);
    }
    if (e.getSequence() <= 0) {
      throw CollectorException.invalid("sequence: must be positive" + where);
    }
    if (e.getAction().isEmpty()) {
      throw CollectorException.invalid("action: required" + where);
    }
    if (!e.hasTime()) {
      throw CollectorException.invalid("time: required" + where);
    }
    if (e.getPrevHash().size() != 32 || e.getHash().size() != 32) {
      throw CollectorException.invalid("hash: prev_hash and hash must be 32 bytes" + where);
    }
    if (!MessageDigest.isEqual(e.getHash().toByteArray(), AuditRecords.hashOf(e))) {
      throw CollectorException.invalid("hash: does not match the event's contents" + where);
    }
  }

  /** One page of {@link #query}. */
  public record Page(List<AuditEvent> events, String nextPageToken) {}

  /**
   * A tenant's events in [{@code from}, {@code to}), newest first, filtered by actor, target and
   * action when those are non-empty; keyset-paginated.
   */
  public Page query(String tenantId, Instant from, Instant to, String actorId, String target, String action, int pageSize, String pageToken) {
    StringBuilder sql = new StringBuilder(
        "SELECT record, event_time, event_id FROM audit.events WHERE tenant_id = ? AND event_time >= ? AND event_time < ?");
    List<Object> args = new ArrayList<>(List.of(tenantId, Timestamp.from(from), Timestamp.from(to)));
    if (!actorId.isEmpty()) {
      sql.append(" AND actor_id = ?");
      args.add(actorId);
    }
    if (!target.isEmpty()) {
      sql.append(" AND target = ?");
      args.add(target);
    }
    if (!action.isEmpty()) {
      sql.append(" AND action = ?");
      args.add(action);
    }
    Optional<Cursor> after = Cursor.parse(pageToken);
    if (after.isPresent()) {
      sql.append(" AND (event_time, event_id) < (?, ?)");
      args.add(Timestamp.from(after.get().time()));
      args.add(after.get().id());
    }
    sql.append(" ORDER BY event_time DESC, event_id DESC LIMIT ?");
    args.add(pageSize + 1);
    try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      List<AuditEvent> out = new ArrayList<>();
      Cursor last = null;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (out.size() == pageSize) {
            return new Page(out, last.encode());
          }
          out.add(AuditEvent.parseFrom(rs.getBytes(1)));
          last = new Cursor(rs.getTimestamp(2).toInstant(), (UUID) rs.getObject(3));
        }
      }
      return new Page(out, "");
    } catch (SQLException e) {
      throw CollectorException.unavailable("audit database unavailable", e);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored audit record does not parse", e);
    }
  }

  /** Keyset position: the last row of a page. Opaque to callers (base64url). */
  record Cursor(Instant time, UUID id) {
    String encode() {
      ByteBuffer b = ByteBuffer.allocate(28);
      b.putLong(time.getEpochSecond()).putInt(time.getNano()).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
      return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    static Optional<Cursor> parse(String token) {
      if (token == null || token.isEmpty()) {
        return Optional.empty();
      }
      try {
        ByteBuffer b = ByteBuffer.wrap(Base64.getUrlDecoder().decode(token));
        if (b.remaining() != 28) {
          throw CollectorException.invalid("page_token: malformed");
        }
        return Optional.of(new Cursor(Instant.ofEpochSecond(b.getLong(), b.getInt()), new UUID(b.getLong(), b.getLong())));
      } catch (IllegalArgumentException e) {
        throw CollectorException.invalid("page_token: malformed");
      }
    }
  }

  /** Whether the database answers (for the collector's health). */
  public boolean ping() {
    try (Connection c = dataSource.getConnection()) {
      return c.isValid(2);
    } catch (SQLException | RuntimeException e) {
      return false;
    }
  }
}
