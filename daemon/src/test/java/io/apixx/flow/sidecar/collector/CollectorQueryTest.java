package io.apixx.flow.sidecar.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.apixx.flow.sidecar.CollectorMain;
import io.apixx.flow.sidecar.audit.AuditEvent.Actor;
import io.apixx.flow.sidecar.audit.AuditEvent.Kind;
import io.apixx.flow.sidecar.audit.AuditRecords;
import io.apixx.flow.sidecar.auth.Tokens;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.testing.AuditChain;
import io.apixx.flow.sidecar.testing.AuditDatabase;
import io.apixx.flow.sidecar.testing.Bearer;
import io.apixx.flow.sidecar.testing.Fixtures;
import io.apixx.flow.sidecar.testing.MutableClock;
import io.apixx.flow.sidecar.v1.AuditEvent;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.QueryRequest;
import io.apixx.flow.sidecar.v1.QueryResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code AuditIngestService.Query} through the collector's real interceptors (service tokens,
 * tenant guard) and store, on an in-process collector over a real database.
 */
class CollectorQueryTest {
  static final MutableClock CLOCK = MutableClock.startingAt("2026-11-29T12:00:00Z");
  static final Instant T0 = CLOCK.instant().minus(Duration.ofHours(1));

  @TempDir static Path dir;
  static AuditDatabase db;
  static CollectorMain.InProcessCollector collector;
  static String allTenantsToken = Tokens.newServiceToken();
  static String acmeOnlyToken = Tokens.newServiceToken();
  static String acme = Fixtures.uniqueTenantId("acme");
  static String globex = Fixtures.uniqueTenantId("globex");
  static List<AuditEvent> acmeEvents = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    db = AuditDatabase.create("query");
    Path tokens = Files.writeString(dir.resolve("tokens.yaml"),
        "- name: trail-reader\n  token_sha256: " + Tokens.hashHex(allTenantsToken) + "\n  tenants: [\"*\"]\n"
            + "- name: acme-reader\n  token_sha256: " + Tokens.hashHex(acmeOnlyToken) + "\n  tenants: [\"" + acme + "\"]\n");
    collector = CollectorMain.startInProcess(
        db.collectorConfig(dir, "collector.service_tokens_file=" + tokens),
        new CollectorMain.Options(Metrics.forTesting(), CLOCK, Optional.empty()));
    AuditChain chain = new AuditChain("query-daemon");
    List<AuditEvent> all = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      // Every third pair shares a millisecond: ties are ordered by event id.
      Instant t = T0.plusMillis(i - i % 3 / 2);
      Actor actor = new Actor(i % 2 == 0 ? Kind.RUN : Kind.USER, i % 2 == 0 ? "run-7" : "user-9", "");
      String action = i % 5 == 0 ? "credential.seal" : "credential.release";
      AuditEvent e = chain.next(AuditChain.event(acme, actor, action, "connector/c" + (i % 4) + "/v1", t));
      all.add(e);
      acmeEvents.add(e);
      all.add(chain.next(AuditChain.event(globex, actor, action, "connector/c" + (i % 4) + "/v1", t)));
    }
    collector.collector().store().store(chain.instance(), all);
    acmeEvents.sort(Comparator.comparing((AuditEvent e) -> AuditRecords.instant(e.getTime()).truncatedTo(java.time.temporal.ChronoUnit.MICROS))
        .thenComparing(e -> java.util.UUID.fromString(e.getEventId())).reversed());
  }

  @AfterAll
  static void stop() throws InterruptedException {
    collector.close();
  }

  static AuditIngestServiceGrpc.AuditIngestServiceBlockingStub stub(String token) {
    AuditIngestServiceGrpc.AuditIngestServiceBlockingStub s = AuditIngestServiceGrpc.newBlockingStub(collector.channel());
    return token == null ? s : s.withInterceptors(Bearer.of(token));
  }

  static List<AuditEvent> all(String token, QueryRequest.Builder request) {
    List<AuditEvent> out = new ArrayList<>();
    String page = "";
    do {
      QueryResponse r = stub(token).query(request.setPageToken(page).build());
      out.addAll(r.getEventsList());
      page = r.getNextPageToken();
    } while (!page.isEmpty());
    return out;
  }

  @Test
  void query_tenant_onlyThatTenantsEventsNewestFirst() {
    List<AuditEvent> got = all(allTenantsToken, QueryRequest.newBuilder().setTenantId(acme));

    assertThat(got).extracting(AuditEvent::getTenantId).containsOnly(acme);
    assertThat(got).containsExactlyElementsOf(acmeEvents);
  }

  @Test
  void query_pages_completeWithoutOverlapInOrder() {
    List<QueryResponse> pages = new ArrayList<>();
    String token = "";
    do {
      QueryResponse r = stub(allTenantsToken).query(QueryRequest.newBuilder().setTenantId(acme).setPageSize(7).setPageToken(token).build());
      pages.add(r);
      token = r.getNextPageToken();
    } while (!token.isEmpty());

    assertThat(pages).extracting(QueryResponse::getEventsCount).containsExactly(7, 7, 7, 7, 2);
    assertThat(pages.stream().flatMap(p -> p.getEventsList().stream()).toList()).containsExactlyElementsOf(acmeEvents);
  }

  @Test
  void query_timeRange_startInclusiveEndExclusive() {
    QueryRequest.Builder r = QueryRequest.newBuilder().setTenantId(acme)
        .setStartTime(AuditRecords.timestamp(T0.plusMillis(10))).setEndTime(AuditRecords.timestamp(T0.plusMillis(20)));

    List<AuditEvent> got = all(allTenantsToken, r);

    assertThat(got).isNotEmpty().allSatisfy(e -> {
      Instant t = AuditRecords.instant(e.getTime());
      assertThat(t).isAfterOrEqualTo(T0.plusMillis(10)).isBefore(T0.plusMillis(20));
    });
    assertThat(got).hasSize((int) acmeEvents.stream().map(e -> AuditRecords.instant(e.getTime()))
        .filter(t -> !t.isBefore(T0.plusMillis(10)) && t.isBefore(T0.plusMillis(20))).count());
  }

  @Test
  void query_actorTargetActionFilters_onlyMatchingEvents() {
    List<AuditEvent> byActor = all(allTenantsToken, QueryRequest.newBuilder().setTenantId(acme).setActorId("user-9"));
    List<AuditEvent> byTarget = all(allTenantsToken, QueryRequest.newBuilder().setTenantId(acme).setTarget("connector/c1/v1"));
    List<AuditEvent> byAction = all(allTenantsToken, QueryRequest.newBuilder().setTenantId(acme).setAction("credential.seal"));
    List<AuditEvent> combined = all(allTenantsToken,
        QueryRequest.newBuilder().setTenantId(acme).setActorId("run-7").setTarget("connector/c0/v1").setAction("credential.seal"));

    assertThat(byActor).hasSize(15).allSatisfy(e -> assertThat(e.getActor().getId()).isEqualTo("user-9"));
    assertThat(byTarget).hasSize(8).allSatisfy(e -> assertThat(e.getTarget()).isEqualTo("connector/c1/v1"));
    assertThat(byAction).hasSize(6).allSatisfy(e -> assertThat(e.getAction()).isEqualTo("credential.seal"));
    // i = 0 and 20: even (run-7), i % 4 == 0, i % 5 == 0.
    assertThat(combined).hasSize(2);
  }

  @Test
  void query_tokenListingTheTenant_allowed() {
    assertThat(all(acmeOnlyToken, QueryRequest.newBuilder().setTenantId(acme))).hasSize(30);
  }

  @Test
  void query_withoutServiceToken_unauthenticated() {
    StatusRuntimeException none = catchThrowableOfType(StatusRuntimeException.class,
        () -> stub(null).query(QueryRequest.newBuilder().setTenantId(acme).build()));
    StatusRuntimeException unknown = catchThrowableOfType(StatusRuntimeException.class,
        () -> stub(Tokens.newServiceToken()).query(QueryRequest.newBuilder().setTenantId(acme).build()));

    assertThat(none.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void query_tokenNotAllowedOnTenant_permissionDenied() {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> stub(acmeOnlyToken).query(QueryRequest.newBuilder().setTenantId(globex).build()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription()).startsWith("tenant_id:");
  }

  @Test
  void query_badArguments_invalidArgumentNamingTheField() {
    assertThat(invalid(QueryRequest.newBuilder())).startsWith("tenant_id:");
    assertThat(invalid(QueryRequest.newBuilder().setTenantId(acme).setPageSize(1001))).startsWith("page_size:");
    assertThat(invalid(QueryRequest.newBuilder().setTenantId(acme).setPageToken("%%%"))).startsWith("page_token:");
    assertThat(invalid(QueryRequest.newBuilder().setTenantId(acme)
        .setStartTime(AuditRecords.timestamp(T0)).setEndTime(AuditRecords.timestamp(T0.minusSeconds(1))))).startsWith("end_time:");
  }

  static String invalid(QueryRequest.Builder r) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> stub(allTenantsToken).query(r.build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    return e.getStatus().getDescription();
  }
}
