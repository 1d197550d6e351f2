package io.apixx.flow.sidecar.api;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Timestamps;
import io.apixx.flow.sidecar.audit.AuditRecords;
import io.apixx.flow.sidecar.audit.collector.AuditStore;
import io.apixx.flow.sidecar.audit.collector.CollectorException;
import io.apixx.flow.sidecar.auth.AuthContext;
import io.apixx.flow.sidecar.auth.AuthException;
import io.apixx.flow.sidecar.tenancy.Tenancy;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.QueryRequest;
import io.apixx.flow.sidecar.v1.QueryResponse;
import io.apixx.flow.sidecar.v1.StreamRequest;
import io.apixx.flow.sidecar.v1.StreamResponse;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.Executor;

/**
 * {@code AuditIngestService} as the collector serves it: thin mapping onto {@link AuditStore}.
 * Stream callers are authenticated by the transport (mutual TLS: the collector's listener requires
 * a client certificate signed by {@code collector.tls.client_ca_file}); Query callers by a service
 * token ({@link CollectorAccessRules}), and only for the tenants their token lists.
 */
public final class CollectorGrpcService extends AuditIngestServiceGrpc.AuditIngestServiceImplBase {
  /** Events per batch at most. */
  static final int MAX_BATCH = 1000;
  /** Query page sizes: the default, and the largest. */
  static final int DEFAULT_PAGE = 100;
  static final int MAX_PAGE = 1000;

  private final AuditStore store;
  private final Executor executor;
  private final Clock clock;
  private final int retentionMonths;

  /**
   * @param executor where streams store their batches (the server's bounded worker pool)
   * @param retentionMonths what an unset {@code start_time} of Query reaches back
   */
  public CollectorGrpcService(AuditStore store, Executor executor, Clock clock, int retentionMonths) {
    this.store = store;
    this.executor = executor;
    this.clock = clock;
    this.retentionMonths = retentionMonths;
  }

  /** One stream of one daemon instance; see {@link CollectorStream}. */
  @Override
  public StreamObserver<StreamRequest> stream(StreamObserver<StreamResponse> responses) {
    return CollectorStream.start(responses, store, executor);
  }

  @Override
  public void query(QueryRequest request, StreamObserver<QueryResponse> observer) {
    GrpcCalls.unary(
        observer,
        () -> {
          String tenant = request.getTenantId();
          if (tenant.isEmpty() || !Tenancy.TENANT_ID.matcher(tenant).matches()) {
            throw CollectorException.invalid("tenant_id: required, a lowercase slug of at most 63 characters");
          }
          if (!AuthContext.requirePrincipal().mayActOn(tenant)) {
            throw AuthException.denied("wrong_tenant", "tenant_id: the caller may not read that tenant's trail");
          }
          Instant now = clock.instant();
          Instant from =
              request.hasStartTime()
                  ? instant("start_time", request.getStartTime())
                  : now.atOffset(ZoneOffset.UTC).minusMonths(retentionMonths).toInstant();
          Instant to = request.hasEndTime() ? instant("end_time", request.getEndTime()) : now.plusSeconds(1);
          if (to.isBefore(from)) {
            throw CollectorException.invalid("end_time: must not be before start_time");
          }
          int size = request.getPageSize() == 0 ? DEFAULT_PAGE : request.getPageSize();
          if (size < 1 || size > MAX_PAGE) {
            throw CollectorException.invalid("page_size: must be between 1 and " + MAX_PAGE);
          }
          AuditStore.Page page =
              store.query(new AuditStore.Query(
                  tenant, from, to, request.getActorId(), request.getTarget(), request.getAction(), size, request.getPageToken()));
          return QueryResponse.newBuilder().addAllEvents(page.events()).setNextPageToken(page.nextPageToken()).build();
        });
  }

  private static Instant instant(String field, Timestamp t) {
    if (!Timestamps.isValid(t)) {
      throw CollectorException.invalid(field + ": not a valid timestamp");
    }
    return AuditRecords.instant(t);
  }
}
