package io.apixx.flow.sidecar.audit.collector;

import com.google.protobuf.util.JsonFormat;
import io.apixx.flow.sidecar.v1.AuditEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the real-time audit webhook (an Enterprise feature): every event of a tenant with an
 * enabled webhook is POSTed as JSON to its URL, signed, retried with exponential backoff and
 * jitter, and never blocks ingestion (the outbox rows are written with the events; this worker
 * delivers them afterwards).
 *
 * <p>Signature: header {@code Flow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 * "<t>." + body)>}, plus {@code Flow-Event-Id}. Receivers recompute the HMAC with their secret,
 * compare in constant time and reject old timestamps (replay).
 *
 * <p>Rows are claimed (with {@code FOR UPDATE SKIP LOCKED}) before delivery, so several collector
 * replicas share the work without sending a delivery twice in parallel.
 */
public final class WebhookDispatcher {
  private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);

  private final DataSource dataSource;
  private final HttpClient http;
  private final Clock clock;
  private final Duration timeout;
  private final int maxAttempts;
  private final Duration backoffInitial;
  private final Duration backoffMax;

  public WebhookDispatcher(
      DataSource dataSource, HttpClient http, Clock clock, Duration timeout, int maxAttempts, Duration backoffInitial, Duration backoffMax) {
    this.dataSource = dataSource;
    this.http = http;
    this.clock = clock;
    this.timeout = timeout;
    this.maxAttempts = maxAttempts;
    this.backoffInitial = backoffInitial;
    this.backoffMax = backoffMax;
  }

  private record Delivery(long id, String tenant, String url, byte[] secret, byte[] record, int attempts) {}

  /** Delivers what is due now, at most {@code limit} deliveries; returns how many succeeded. */
  public int deliverDue(int limit) throws SQLException {
    List<Delivery> claimed = claim(limit);
    int ok = 0;
    for (Delivery d : claimed) {
      String status;
      boolean success;
      try {
        AuditEvent e = AuditEvent.parseFrom(d.record());
        String body = JsonFormat.printer().omittingInsignificantWhitespace().print(e);
        long t = clock.instant().getEpochSecond();
        HttpRequest req =
            HttpRequest.newBuilder(URI.create(d.url()))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Flow-Event-Id", e.getEventId())
                .header("Flow-Signature", "t=" + t + ",v1=" + sign(d.secret(), t, body))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        HttpResponse<Void> resp = http.send(req, HttpResponse.BodyHandlers.discarding());
        status = Integer.toString(resp.statusCode());
        success = resp.statusCode() / 100 == 2;
      } catch (java.io.IOException | RuntimeException | GeneralSecurityException ex) {
        status = ex.getClass().getSimpleName();
        success = false;
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        return ok;
      }
      finish(d, success, status);
      if (success) {
        ok++;
      }
    }
    return ok;
  }

  /** HMAC-SHA256 over "{@code t}.{@code body}" as lowercase hex. */
  public static String sign(byte[] secret, long t, String body) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal((t + "." + body).getBytes(StandardCharsets.UTF_8)));
  }

  private List<Delivery> claim(int limit) throws SQLException {
    List<Delivery> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT o.id, o.tenant_id, w.url, w.secret, e.record, o.attempts FROM audit.webhook_outbox o"
              + " JOIN audit.webhooks w ON w.tenant_id = o.tenant_id AND w.enabled"
              + " JOIN audit.events e ON e.event_id = o.event_id AND e.event_time = o.event_time"
              + " WHERE o.dead_at IS NULL AND o.next_attempt_at <= now() AND (o.claimed_until IS NULL OR o.claimed_until < now())"
              + " ORDER BY o.id LIMIT ? FOR UPDATE OF o SKIP LOCKED")) {
        ps.setInt(1, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new Delivery(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getBytes(4), rs.getBytes(5), rs.getInt(6)));
          }
        }
      }
      try (PreparedStatement up = c.prepareStatement(
          "UPDATE audit.webhook_outbox SET claimed_until = now() + make_interval(secs => ?) WHERE id = ?")) {
        for (Delivery d : out) {
          up.setDouble(1, timeout.toMillis() / 1000.0 * 2 + 5);
          up.setLong(2, d.id());
          up.addBatch();
        }
        up.executeBatch();
      }
      c.commit();
    }
    return out;
  }

  private void finish(Delivery d, boolean success, String status) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      if (success) {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM audit.webhook_outbox WHERE id = ?")) {
          ps.setLong(1, d.id());
          ps.executeUpdate();
        }
        return;
      }
      int attempts = d.attempts() + 1;
      long backoff = Math.min(backoffMax.toMillis(), backoffInitial.toMillis() << Math.min(20, attempts - 1));
      long jittered = ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1);
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE audit.webhook_outbox SET attempts = ?, last_status = ?, claimed_until = NULL,"
              + " next_attempt_at = now() + make_interval(secs => ?), dead_at = CASE WHEN ? THEN now() END WHERE id = ?")) {
        ps.setInt(1, attempts);
        ps.setString(2, status);
        ps.setDouble(3, jittered / 1000.0);
        ps.setBoolean(4, attempts >= maxAttempts);
        ps.setLong(5, d.id());
        ps.executeUpdate();
      }
      if (attempts >= maxAttempts) {
        log.warn("audit webhook of tenant {} gave up on a delivery after {} attempts (last: {})", d.tenant(), attempts, status);
      }
    }
  }

  /** For tests and metrics: deliveries still pending. */
  public long pending() throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM audit.webhook_outbox WHERE dead_at IS NULL");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

}
