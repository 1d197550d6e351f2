package io.apixx.flow.sidecar.audit.collector;

import com.google.protobuf.util.JsonFormat;
import io.apixx.flow.sidecar.config.CollectorConfig;
import io.apixx.flow.sidecar.v1.AuditEvent;
import java.io.IOException;
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
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the real-time audit webhook (an Enterprise feature): every event of a tenant with an
 * enabled row in {@code audit.webhooks} is POSTed as JSON (the event in protobuf's JSON mapping) to
 * the tenant's URL, signed, retried with exponential backoff and jitter, and dead-lettered after
 * {@code max_attempts}. It never blocks ingestion: {@link AuditStore} writes the outbox rows in the
 * same transaction as the events, and this worker delivers them afterwards.
 *
 * <p>Wire format of a delivery:
 *
 * <pre>
 * POST &lt;url&gt;
 * Content-Type: application/json
 * Flow-Event-Id: &lt;event id&gt;
 * Flow-Signature: t=&lt;unix seconds&gt;,v1=&lt;lowercase hex HMAC-SHA256(secret, "&lt;t&gt;." + body)&gt;
 * </pre>
 *
 * Receivers recompute the HMAC with their secret over the raw body, compare in constant time and
 * reject timestamps too far from their clock (replay). Any 2xx is success; anything else, a
 * timeout or a connection failure is retried. Redirects are not followed. Only {@code https://}
 * URLs are delivered to, and {@code http://127.0.0.1} when {@code allow_http_loopback} (tests).
 *
 * <p>Rows are claimed ({@code FOR UPDATE SKIP LOCKED}, then a claim deadline) before delivery, so
 * several collector replicas share the work without delivering one row twice in parallel; a
 * replica that dies mid-delivery leaves its claims to expire. Delivery is at least once.
 *
 * <p>Secrets never leave this class except inside the signature: not in logs, messages, metrics or
 * {@code toString()}. Not thread-safe: one thread calls {@link #pollOnce} at a time.
 */
public final class WebhookDispatcher {
  private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
  private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

  /** Delivery outcomes, for metrics: delivered, failed and retried later, failed for good. */
  public enum Outcome {
    SUCCESS,
    RETRY,
    DEAD
  }

  /** Receives the outcome of every attempt. */
  public interface Observer {
    Observer NONE = outcome -> {};

    void attempted(Outcome outcome);
  }

  private final DataSource dataSource;
  private final HttpClient http;
  private final Clock clock;
  private final CollectorConfig.Webhooks settings;
  private final Observer observer;

  /**
   * @param dataSource connections of the collector role (the dispatcher's own pool)
   * @param http the client to deliver with; {@link #httpClient} makes the production one
   */
  public WebhookDispatcher(DataSource dataSource, HttpClient http, Clock clock, CollectorConfig.Webhooks settings, Observer observer) {
    this.dataSource = dataSource;
    this.http = http;
    this.clock = clock;
    this.settings = settings;
    this.observer = observer;
  }

  /** The production HTTP client: connect timeout from the settings, no redirects, TLS 1.2+. */
  public static HttpClient httpClient(CollectorConfig.Webhooks settings) {
    return HttpClient.newBuilder()
        .connectTimeout(settings.timeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  private record Delivery(long id, String tenant, String url, byte[] secret, byte[] record, int attempts) {
    @Override
    public String toString() {
      return "Delivery[id=" + id + ", tenant=" + tenant + ", attempts=" + attempts + "]";
    }
  }

  /** The result of one attempt. */
  private record Attempt(Delivery delivery, boolean success, String status) {}

  /**
   * Delivers what is due, batch after batch, until a batch comes back short. The deliveries of a
   * batch are sent concurrently (at most {@code batch_size} requests in flight, each bounded by
   * {@code timeout}), so one slow endpoint delays a batch by at most the timeout.
   *
   * @return deliveries that succeeded
   * @throws SQLException when the outbox cannot be read or updated (the next poll retries)
   */
  public int pollOnce() throws SQLException {
    int ok = 0;
    while (!Thread.currentThread().isInterrupted()) {
      List<Delivery> claimed = claim(settings.batchSize());
      List<CompletableFuture<Attempt>> sent = new ArrayList<>();
      for (Delivery d : claimed) {
        sent.add(send(d));
      }
      List<Attempt> attempts = new ArrayList<>();
      try {
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get();
        for (CompletableFuture<Attempt> f : sent) {
          attempts.add(f.get());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return ok; // the claims expire and a later poll delivers them
      } catch (ExecutionException e) {
        throw new IllegalStateException("a webhook attempt did not complete", e.getCause());
      }
      finish(attempts);
      ok += (int) attempts.stream().filter(Attempt::success).count();
      if (claimed.size() < settings.batchSize()) {
        break;
      }
    }
    return ok;
  }

  /** Starts one attempt at one delivery; the future never fails, a failure is its result. */
  private CompletableFuture<Attempt> send(Delivery d) {
    try {
      URI url = URI.create(d.url());
      if (!allowed(url)) {
        return CompletableFuture.completedFuture(new Attempt(d, false, "url_not_allowed"));
      }
      AuditEvent e = AuditEvent.parseFrom(d.record());
      String body = JSON.print(e);
      long t = clock.instant().getEpochSecond();
      HttpRequest req =
          HttpRequest.newBuilder(url)
              .timeout(settings.timeout())
              .header("Content-Type", "application/json")
              .header("User-Agent", "flow-sidecar-collector")
              .header("Flow-Event-Id", e.getEventId())
              .header("Flow-Signature", "t=" + t + ",v1=" + sign(d.secret(), t, body))
              .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
              .build();
      return http.sendAsync(req, HttpResponse.BodyHandlers.discarding())
          .handle((resp, ex) -> ex == null
              ? new Attempt(d, resp.statusCode() / 100 == 2, Integer.toString(resp.statusCode()))
              : new Attempt(d, false, rootCause(ex).getClass().getSimpleName()));
    } catch (IOException | RuntimeException | GeneralSecurityException ex) {
      return CompletableFuture.completedFuture(new Attempt(d, false, ex.getClass().getSimpleName()));
    } finally {
      Arrays.fill(d.secret(), (byte) 0);
    }
  }

  private static Throwable rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c;
  }

  private boolean allowed(URI url) {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.equals("https")) {
      return url.getHost() != null && url.getRawUserInfo() == null;
    }
    return settings.allowHttpLoopback() && scheme.equals("http") && "127.0.0.1".equals(url.getHost()) && url.getRawUserInfo() == null;
  }

  /** HMAC-SHA256 over "{@code t}.{@code body}" (UTF-8), as lowercase hex. */
  public static String sign(byte[] secret, long t, String body) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal((t + "." + body).getBytes(StandardCharsets.UTF_8)));
  }

  private List<Delivery> claim(int limit) throws SQLException {
    List<Delivery> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
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
          // Long enough for the batch (sent concurrently) to time out, with a margin.
          double claimSeconds = settings.timeout().toMillis() / 1000.0 * 2 + 5;
          for (Delivery d : out) {
            up.setDouble(1, claimSeconds);
            up.setLong(2, d.id());
            up.addBatch();
          }
          up.executeBatch();
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
    return out;
  }

  /** Records a batch of attempts in one transaction: successes leave the outbox, failures wait. */
  private void finish(List<Attempt> attempts) throws SQLException {
    if (attempts.isEmpty()) {
      return;
    }
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM audit.webhook_outbox WHERE id = ?");
          PreparedStatement retry = c.prepareStatement(
              "UPDATE audit.webhook_outbox SET attempts = ?, last_status = ?, claimed_until = NULL,"
                  + " next_attempt_at = now() + make_interval(secs => ?), dead_at = CASE WHEN ? THEN now() END WHERE id = ?")) {
        for (Attempt a : attempts) {
          if (a.success()) {
            delete.setLong(1, a.delivery().id());
            delete.addBatch();
            continue;
          }
          int count = a.delivery().attempts() + 1;
          retry.setInt(1, count);
          retry.setString(2, a.status());
          retry.setDouble(3, backoff(count).toMillis() / 1000.0);
          retry.setBoolean(4, count >= settings.maxAttempts());
          retry.setLong(5, a.delivery().id());
          retry.addBatch();
        }
        delete.executeBatch();
        retry.executeBatch();
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
    for (Attempt a : attempts) {
      int count = a.delivery().attempts() + 1;
      Outcome outcome = a.success() ? Outcome.SUCCESS : count >= settings.maxAttempts() ? Outcome.DEAD : Outcome.RETRY;
      observer.attempted(outcome);
      if (outcome == Outcome.DEAD) {
        log.warn("audit webhook of tenant {} dead-lettered delivery {} after {} attempts (last: {})",
            a.delivery().tenant(), a.delivery().id(), count, a.status());
      } else if (outcome == Outcome.RETRY) {
        log.debug("audit webhook of tenant {}: delivery {} attempt {} failed ({})", a.delivery().tenant(), a.delivery().id(), count, a.status());
      }
    }
  }

  /**
   * The wait after the {@code attempts}-th failure: {@code backoff_initial * 2^(attempts-1)}, at
   * most {@code backoff_max}, jittered to between half and all of it (so the deliveries of an
   * outage do not all come back at once).
   */
  Duration backoff(int attempts) {
    long max = settings.backoffMax().toMillis();
    long base = settings.backoffInitial().toMillis();
    long full = attempts - 1 >= 62 || base > (max >> Math.min(62, attempts - 1)) ? max : Math.min(max, base << (attempts - 1));
    return Duration.ofMillis(ThreadLocalRandom.current().nextLong(full / 2, full + 1));
  }

  /** Deliveries still to make (dead ones excluded); for tests and metrics. */
  public long pending() throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM audit.webhook_outbox WHERE dead_at IS NULL");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
