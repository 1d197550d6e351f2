package io.apixx.flow.sidecar.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpServer;
import io.apixx.flow.sidecar.CollectorMain;
import io.apixx.flow.sidecar.audit.collector.WebhookDispatcher.Outcome;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.testing.AuditChain;
import io.apixx.flow.sidecar.testing.AuditDatabase;
import io.apixx.flow.sidecar.testing.Fixtures;
import io.apixx.flow.sidecar.v1.AuditEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real-time audit webhook end to end: events stored by the collector are POSTed to a local
 * HTTP receiver (on 127.0.0.1, with {@code allow_http_loopback}) that verifies every signature and
 * timestamp itself; failures are retried with backoff, dead-lettered after max attempts, and never
 * hold up ingestion.
 */
class CollectorWebhookTest {
  static final Pattern SIGNATURE = Pattern.compile("t=(\\d+),v1=([0-9a-f]{64})");
  @TempDir Path dir;
  static AuditDatabase db;

  String tenant = Fixtures.uniqueTenantId("hooks");
  byte[] secret = new byte[32];
  Receiver receiver;
  CollectorMain.InProcessCollector collector;
  AuditChain chain = new AuditChain("webhook-daemon-" + tenant);

  @BeforeAll
  static void database() {
    db = AuditDatabase.create("webhooks");
  }

  @BeforeEach
  void setUp() throws IOException {
    new SecureRandom().nextBytes(secret);
    receiver = Receiver.start(0, secret);
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    // Later tests' collectors must not deliver this test's leftovers.
    db.sql().execute("UPDATE audit.webhooks SET enabled = false WHERE tenant_id = ?", tenant);
    if (collector != null) {
      collector.close();
    }
    receiver.stop();
  }

  /** One request as the receiver saw it. */
  record Request(long nanos, String body, boolean signatureValid, long skewSeconds, String eventId, int answered) {}

  /** A webhook endpoint that checks signatures like a tenant's would, and fails its first requests on demand. */
  static final class Receiver {
    final List<Request> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger failFirst = new AtomicInteger();
    final HttpServer server;
    final byte[] secret;

    private Receiver(HttpServer server, byte[] secret) {
      this.server = server;
      this.secret = secret;
    }

    static Receiver start(int port, byte[] secret) throws IOException {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
      Receiver r = new Receiver(server, secret);
      server.createContext("/hook", exchange -> {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Matcher m = SIGNATURE.matcher(String.valueOf(exchange.getRequestHeaders().getFirst("Flow-Signature")));
        boolean valid = false;
        long skew = Long.MAX_VALUE;
        if (m.matches()) {
          long t = Long.parseLong(m.group(1));
          skew = Math.abs(Instant.now().getEpochSecond() - t);
          valid = MessageDigest.isEqual(HexFormat.of().parseHex(m.group(2)), hmac(secret, t + "." + body));
        }
        int status = r.failFirst.getAndDecrement() > 0 ? 503 : 204;
        r.requests.add(new Request(System.nanoTime(), body, valid, skew, exchange.getRequestHeaders().getFirst("Flow-Event-Id"), status));
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
      });
      server.start();
      return r;
    }

    int port() {
      return server.getAddress().getPort();
    }

    String url() {
      return "http://127.0.0.1:" + port() + "/hook";
    }

    void stop() {
      server.stop(0);
    }

    long delivered() {
      return requests.stream().filter(q -> q.answered() / 100 == 2).count();
    }
  }

  static byte[] hmac(byte[] key, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  void startCollector(String... flags) throws IOException {
    List<String> all = new ArrayList<>(List.of(
        "collector.webhooks.allow_http_loopback=true",
        "collector.webhooks.poll_interval=50ms",
        "collector.webhooks.backoff_initial=200ms",
        "collector.webhooks.backoff_max=1s",
        "collector.webhooks.timeout=2s"));
    all.addAll(List.of(flags));
    collector = CollectorMain.startInProcess(db.collectorConfig(dir, all.toArray(String[]::new)),
        new CollectorMain.Options(Metrics.forTesting(), Clock.systemUTC(), Optional.empty()));
  }

  void subscribe(String url) {
    db.sql().execute("INSERT INTO audit.webhooks (tenant_id, url, secret) VALUES (?, ?, ?)", tenant, url, secret);
  }

  List<AuditEvent> store(int n) {
    List<AuditEvent> events = chain.releases(n, tenant, Instant.now());
    collector.collector().store().store(chain.instance(), events);
    return events;
  }

  long pending() {
    return db.sql().count("SELECT count(*) FROM audit.webhook_outbox WHERE tenant_id = ? AND dead_at IS NULL", tenant);
  }

  double deliveries(Outcome outcome) {
    return collector.collector().collectorMetrics().deliveryCount(outcome);
  }

  @Test
  void deliver_receiverFailsTwice_retriedWithGrowingBackoffThenDeliveredSigned() throws Exception {
    receiver.failFirst.set(2);
    startCollector("collector.webhooks.max_attempts=5");
    subscribe(receiver.url());

    AuditEvent event = store(1).get(0);

    await().atMost(Duration.ofSeconds(20)).until(() -> receiver.delivered() == 1);
    List<Request> seen = receiver.requests;
    assertThat(seen).extracting(Request::answered).containsExactly(503, 503, 204);
    assertThat(seen).allSatisfy(q -> {
      assertThat(q.signatureValid()).isTrue();
      assertThat(q.skewSeconds()).isLessThanOrEqualTo(5);
      assertThat(q.eventId()).isEqualTo(event.getEventId());
    });
    AuditEvent.Builder parsed = AuditEvent.newBuilder();
    JsonFormat.parser().merge(seen.get(2).body(), parsed);
    assertThat(parsed.build()).isEqualTo(event);
    // Backoff 200 ms doubled, jittered to between half and all of it.
    assertThat(Duration.ofNanos(seen.get(1).nanos() - seen.get(0).nanos())).isGreaterThanOrEqualTo(Duration.ofMillis(100));
    assertThat(Duration.ofNanos(seen.get(2).nanos() - seen.get(1).nanos())).isGreaterThanOrEqualTo(Duration.ofMillis(200));
    await().atMost(Duration.ofSeconds(5)).until(() -> pending() == 0);
    assertThat(deliveries(Outcome.RETRY)).isEqualTo(2);
    assertThat(deliveries(Outcome.SUCCESS)).isEqualTo(1);
  }

  @Test
  void store_receiverDown_ingestionAcksQuicklyAndDeliversAfterReturn() throws Exception {
    int port = receiver.port();
    subscribe(receiver.url());
    receiver.stop();
    startCollector("collector.webhooks.max_attempts=1000");

    long slowest = 0;
    for (int i = 0; i < 20; i++) {
      long start = System.nanoTime();
      store(100);
      slowest = Math.max(slowest, System.nanoTime() - start);
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> deliveries(Outcome.RETRY) >= 2000);
    assertThat(Duration.ofNanos(slowest)).as("slowest store of 100 events while the receiver is down").isLessThan(Duration.ofSeconds(1));
    assertThat(db.sql().count("SELECT count(*) FROM audit.events WHERE tenant_id = ?", tenant)).isEqualTo(2000);
    assertThat(pending()).isEqualTo(2000);

    receiver = Receiver.start(port, secret);
    await().atMost(Duration.ofSeconds(60)).until(() -> pending() == 0);
    assertThat(receiver.requests).allSatisfy(q -> assertThat(q.signatureValid()).isTrue());
    assertThat(receiver.requests.stream().map(Request::eventId).distinct().count()).isEqualTo(2000);
  }

  @Test
  void deliver_alwaysFailing_deadLetteredAfterMaxAttemptsThenLeftAlone() throws Exception {
    receiver.failFirst.set(Integer.MAX_VALUE);
    startCollector("collector.webhooks.max_attempts=3");
    subscribe(receiver.url());

    store(1);

    await().atMost(Duration.ofSeconds(20)).until(() -> deliveries(Outcome.DEAD) == 1);
    assertThat(receiver.requests).hasSize(3);
    assertThat(deliveries(Outcome.RETRY)).isEqualTo(2);
    assertThat(db.sql().count("SELECT attempts FROM audit.webhook_outbox WHERE tenant_id = ? AND dead_at IS NOT NULL", tenant)).isEqualTo(3);
    assertThat(pending()).isZero();
    // Several polls later: still three.
    await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> receiver.requests.size() == 3);
  }

  @Test
  void deliver_plainHttpWithoutLoopbackAllowance_neverSent() throws Exception {
    startCollector("collector.webhooks.allow_http_loopback=false", "collector.webhooks.max_attempts=2");
    subscribe(receiver.url());

    store(1);

    await().atMost(Duration.ofSeconds(20)).until(() -> deliveries(Outcome.DEAD) == 1);
    assertThat(receiver.requests).isEmpty();
    assertThat(db.sql().rows("SELECT last_status FROM audit.webhook_outbox WHERE tenant_id = ?", tenant))
        .extracting(r -> r.get("last_status")).containsExactly("url_not_allowed");
  }

  @Test
  void subscribe_lookalikeLoopbackHost_refusedByTheTable() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> subscribe("http://127.0.0.1.attacker.example/hook"))
        .hasStackTraceContaining("webhooks_url_check");
  }
}
