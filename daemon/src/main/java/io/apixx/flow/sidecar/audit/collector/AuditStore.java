package io.apixx.flow.sidecar.audit.collector;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.apixx.flow.sidecar.audit.AuditRecords;
import io.apixx.flow.sidecar.persistence.DatabaseException;
import io.apixx.flow.sidecar.v1.AuditEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's PostgreSQL store: append-only events ({@code audit.events}), one chain head per
 * daemon instance, alarms and the webhook outbox.
 *
 * <p>Storing a batch is one transaction of four round trips whatever its size: lock the chain head,
 * insert every event and its webhook deliveries in one statement ({@code unnest} of arrays, {@code
 * ON CONFLICT DO NOTHING}, returning the ids actually inserted), move the head, commit. Batches of
 * one daemon instance are serialized by the head's row lock; different instances store in
 * parallel.
 *
 * <p>Times are stored with microsecond precision (PostgreSQL's), truncated.
 *
 * <p>Thread-safe. Ingestion and queries use separate pools, so reads cannot starve ingestion.
 */
public final class AuditStore {
  private static final Logger log = LoggerFactory.getLogger(AuditStore.class);

  // One statement per batch: events, then the webhook deliveries of the events that were new.
  private static final String INSERT =
      "WITH new_events AS ("
          + " INSERT INTO audit.events (event_id, event_time, tenant_id, daemon_instance, sequence, actor_kind, actor_id, action,"
          + " target, outcome, reason_code, request_id, region, prev_hash, hash, record)"
          + " SELECT id, timestamptz 'epoch' + micros * interval '1 microsecond', tenant, ?, seq, actor_kind, actor_id, action,"
          + " target, outcome, reason_code, request_id, region, prev_hash, hash, record"
          + " FROM unnest(?::uuid[], ?::int8[], ?::text[], ?::int8[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],"
          + " ?::text[], ?::text[], ?::text[], ?::bytea[], ?::bytea[], ?::bytea[])"
          + " AS u(id, micros, tenant, seq, actor_kind, actor_id, action, target, outcome, reason_code, request_id, region,"
          + " prev_hash, hash, record)"
          + " ON CONFLICT DO NOTHING"
          + " RETURNING event_id, event_time, tenant_id),"
          + " deliveries AS ("
          + " INSERT INTO audit.webhook_outbox (tenant_id, event_id, event_time)"
          + " SELECT n.tenant_id, n.event_id, n.event_time FROM new_events n"
          + " JOIN audit.webhooks w ON w.tenant_id = n.tenant_id AND w.enabled)"
          + " SELECT event_id FROM new_events";

  private final DataSource ingest;
  private final DataSource reads;
  private final Observer observer;

  /** Receives what the store did, for metrics. Called after the transaction committed. */
  public interface Observer {
    Observer NONE = new Observer() {};

    /** {@code stored} new events were stored, {@code duplicates} already stored ones skipped. */
    default void stored(int stored, int duplicates) {}

    /** A chain anomaly of kind {@code gap} or {@code fork} was recorded. */
    default void alarm(String kind) {}
  }

  /**
   * @param ingest connections of the collector role for {@link #store}
   * @param reads connections of the collector role for {@link #query}
   */
  public AuditStore(DataSource ingest, DataSource reads, Observer observer) {
    this.ingest = ingest;
    this.reads = reads;
    this.observer = observer;
  }

  /** What one {@link #store} did. */
  public record Stored(long ackedSequence, int inserted, int duplicates, List<Alarm> alarms) {}

  /** A chain anomaly: {@code kind} is {@code gap} or {@code fork}. */
  public record Alarm(String kind, long expectedSequence, long gotSequence, UUID eventId) {}

  private record Head(long sequence, ByteString hash) {}

  /**
   * Stores one batch of daemon instance {@code instance} and verifies the chain on arrival. Events
   * already stored (same id) are skipped, which makes redelivery harmless. A gap (sequences
   * missing) or a fork (a sequence already passed, or a record whose prev_hash is not the hash of
   * the one before) is recorded in {@code audit.alarms}; the events are stored anyway, since losing
   * evidence would be worse. Nothing of a batch with a malformed event is stored.
   *
   * @return the highest sequence of the batch, now durably stored (the acknowledgement), with
   *     counts and alarms
   * @throws CollectorException INVALID_ARGUMENT naming the event and field of a malformed event
   * @throws DatabaseException UNAVAILABLE when the database cannot be used
   */
  public Stored store(String instance, List<AuditEvent> batch) {
    EventCheck.instance(instance);
    List<AuditEvent> events = new ArrayList<>(batch);
    events.sort(Comparator.comparingLong(AuditEvent::getSequence));
    EventCheck.batch(instance, events);
    if (events.isEmpty()) {
      return new Stored(0, 0, 0, List.of());
    }
    try (Connection c = ingest.getConnection()) {
      c.setAutoCommit(false);
      try {
        Head head = lockHead(c, instance);
        Set<UUID> inserted = insert(c, instance, events);
        List<Alarm> alarms = new ArrayList<>();
        long lastSeq = head.sequence();
        ByteString lastHash = head.hash();
        for (AuditEvent e : events) {
          UUID id = UUID.fromString(e.getEventId());
          if (!inserted.contains(id)) {
            continue; // a redelivery of an event already stored
          }
          long seq = e.getSequence();
          if (seq <= lastSeq) {
            alarms.add(new Alarm("fork", lastSeq + 1, seq, id));
            continue;
          }
          if (seq > lastSeq + 1) {
            alarms.add(new Alarm("gap", lastSeq + 1, seq, id));
          } else if (!e.getPrevHash().equals(lastHash)) {
            alarms.add(new Alarm("fork", lastSeq + 1, seq, id));
          }
          lastSeq = seq;
          lastHash = e.getHash();
        }
        if (lastSeq != head.sequence()) {
          moveHead(c, instance, lastSeq, lastHash);
        }
        recordAlarms(c, instance, alarms);
        c.commit();
        int duplicates = events.size() - inserted.size();
        observer.stored(inserted.size(), duplicates);
        for (Alarm a : alarms) {
          log.error("audit chain {} in {}: expected sequence {}, got {} (event {})",
              a.kind(), instance, a.expectedSequence(), a.gotSequence(), a.eventId());
          observer.alarm(a.kind());
        }
        return new Stored(events.get(events.size() - 1).getSequence(), inserted.size(), duplicates, List.copyOf(alarms));
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw DatabaseException.from(e);
    }
  }

  /** Locks (creating it if needed) the chain head of {@code instance} for this transaction. */
  private static Head lockHead(Connection c, String instance) throws SQLException {
    Optional<Head> head = selectHeadForUpdate(c, instance);
    if (head.isPresent()) {
      return head.get();
    }
    try (PreparedStatement ins = c.prepareStatement(
        "INSERT INTO audit.chain_heads (daemon_instance, last_sequence, last_hash) VALUES (?, 0, ?) ON CONFLICT DO NOTHING")) {
      ins.setString(1, instance);
      ins.setBytes(2, AuditRecords.GENESIS.toByteArray());
      ins.executeUpdate();
    }
    return selectHeadForUpdate(c, instance).orElseThrow(() -> new SQLException("chain head vanished", "40001"));
  }

  private static Optional<Head> selectHeadForUpdate(Connection c, String instance) throws SQLException {
    try (PreparedStatement sel = c.prepareStatement(
        "SELECT last_sequence, last_hash FROM audit.chain_heads WHERE daemon_instance = ? FOR UPDATE")) {
      sel.setString(1, instance);
      try (ResultSet rs = sel.executeQuery()) {
        return rs.next() ? Optional.of(new Head(rs.getLong(1), ByteString.copyFrom(rs.getBytes(2)))) : Optional.empty();
      }
    }
  }

  /** Inserts the batch and its webhook deliveries; returns the ids that were new. */
  private static Set<UUID> insert(Connection c, String instance, List<AuditEvent> events) throws SQLException {
    int n = events.size();
    UUID[] ids = new UUID[n];
    Long[] micros = new Long[n];
    Long[] seqs = new Long[n];
    String[][] text = new String[9][n];
    byte[][][] bytes = new byte[3][n][];
    for (int i = 0; i < n; i++) {
      AuditEvent e = events.get(i);
      ids[i] = UUID.fromString(e.getEventId());
      micros[i] = microsOf(AuditRecords.instant(e.getTime()));
      seqs[i] = e.getSequence();
      text[0][i] = e.getTenantId();
      text[1][i] = e.getActor().getKind().name();
      text[2][i] = e.getActor().getId();
      text[3][i] = e.getAction();
      text[4][i] = e.getTarget();
      text[5][i] = e.getOutcome().name();
      text[6][i] = e.getReasonCode();
      text[7][i] = e.getRequestId();
      text[8][i] = e.getRegion();
      bytes[0][i] = e.getPrevHash().toByteArray();
      bytes[1][i] = e.getHash().toByteArray();
      bytes[2][i] = e.toByteArray();
    }
    Set<UUID> inserted = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement(INSERT)) {
      int p = 1;
      ps.setString(p++, instance);
      ps.setArray(p++, c.createArrayOf("uuid", ids));
      ps.setArray(p++, c.createArrayOf("int8", micros));
      ps.setArray(p++, c.createArrayOf("text", text[0]));
      ps.setArray(p++, c.createArrayOf("int8", seqs));
      for (int t = 1; t < text.length; t++) {
        ps.setArray(p++, c.createArrayOf("text", text[t]));
      }
      for (byte[][] column : bytes) {
        ps.setArray(p++, c.createArrayOf("bytea", column));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          inserted.add(rs.getObject(1, UUID.class));
        }
      }
    }
    return inserted;
  }

  private static void moveHead(Connection c, String instance, long sequence, ByteString hash) throws SQLException {
    try (PreparedStatement up = c.prepareStatement(
        "UPDATE audit.chain_heads SET last_sequence = ?, last_hash = ?, updated_at = now() WHERE daemon_instance = ?")) {
      up.setLong(1, sequence);
      up.setBytes(2, hash.toByteArray());
      up.setString(3, instance);
      up.executeUpdate();
    }
  }

  private static void recordAlarms(Connection c, String instance, List<Alarm> alarms) throws SQLException {
    if (alarms.isEmpty()) {
      return;
    }
    try (PreparedStatement al = c.prepareStatement(
        "INSERT INTO audit.alarms (daemon_instance, kind, expected_sequence, got_sequence, event_id) VALUES (?,?,?,?,?)")) {
      for (Alarm a : alarms) {
        al.setString(1, instance);
        al.setString(2, a.kind());
        al.setLong(3, a.expectedSequence());
        al.setLong(4, a.gotSequence());
        al.setObject(5, a.eventId());
        al.addBatch();
      }
      al.executeBatch();
    }
  }

  /** Microseconds since the epoch, truncated: the precision of {@code timestamptz}. */
  static long microsOf(Instant t) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, t.truncatedTo(ChronoUnit.MICROS));
  }

  /** A query of {@link #query}: a tenant's events in [{@code from}, {@code to}), filters when non-empty. */
  public record Query(String tenantId, Instant from, Instant to, String actorId, String target, String action, int pageSize, String pageToken) {}

  /** One page of {@link #query}; {@code nextPageToken} is empty on the last page. */
  public record Page(List<AuditEvent> events, String nextPageToken) {}

  /**
   * A tenant's events newest first (ties by event id), keyset-paginated: the page token is the
   * position of the last row of the previous page, so pages stay stable while events arrive.
   *
   * @throws CollectorException INVALID_ARGUMENT for a malformed page token
   * @throws DatabaseException UNAVAILABLE when the database cannot be used
   */
  public Page query(Query q) {
    StringBuilder sql = new StringBuilder(
        "SELECT record, event_time, event_id FROM audit.events WHERE tenant_id = ? AND event_time >= ? AND event_time < ?");
    List<Object> args = new ArrayList<>(List.of(q.tenantId(), utc(q.from()), utc(q.to())));
    filter(sql, args, "actor_id", q.actorId());
    filter(sql, args, "target", q.target());
    filter(sql, args, "action", q.action());
    Optional<PageToken> after = PageToken.parse(q.pageToken());
    if (after.isPresent()) {
      sql.append(" AND (event_time, event_id) < (?, ?)");
      args.add(utc(after.get().time()));
      args.add(after.get().id());
    }
    sql.append(" ORDER BY event_time DESC, event_id DESC LIMIT ?");
    args.add(q.pageSize() + 1);
    try (Connection c = reads.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      List<AuditEvent> out = new ArrayList<>();
      PageToken last = null;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (out.size() == q.pageSize()) {
            return new Page(out, last.encode());
          }
          out.add(AuditEvent.parseFrom(rs.getBytes(1)));
          last = new PageToken(rs.getObject(2, OffsetDateTime.class).toInstant(), rs.getObject(3, UUID.class));
        }
      }
      return new Page(out, "");
    } catch (SQLException e) {
      throw DatabaseException.from(e);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored audit record does not parse", e);
    }
  }

  private static void filter(StringBuilder sql, List<Object> args, String column, String value) {
    if (!value.isEmpty()) {
      sql.append(" AND ").append(column).append(" = ?");
      args.add(value);
    }
  }

  private static OffsetDateTime utc(Instant t) {
    return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
  }

  /** Whether the ingestion pool reaches the database (the collector's {@code db} health). */
  public boolean ping() {
    try (Connection c = ingest.getConnection()) {
      return c.isValid(2);
    } catch (SQLException | RuntimeException e) {
      return false;
    }
  }
}
