package io.apixx.flow.sidecar.api;

import io.apixx.flow.sidecar.audit.AuditRecords;
import io.apixx.flow.sidecar.audit.collector.AuditStore;
import io.apixx.flow.sidecar.auth.AuthContext;
import io.apixx.flow.sidecar.auth.AuthException;
import io.apixx.flow.sidecar.tenancy.Tenancy;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.QueryRequest;
import io.apixx.flow.sidecar.v1.QueryResponse;
import io.apixx.flow.sidecar.v1.StreamRequest;
import io.apixx.flow.sidecar.v1.StreamResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * {@code AuditIngestService} as the collector serves it: thin mapping onto {@link AuditStore}.
 * Stream callers are authenticated by the transport (mutual TLS); Query callers by a service token.
 */
public final class CollectorGrpcService extends AuditIngestServiceGrpc.AuditIngestServiceImplBase {
  /** Events per batch at most. */
  static final int MAX_BATCH = 1000;

  private final AuditStore store;
  private final Clock clock;
  private final int retentionMonths;

  public CollectorGrpcService(AuditStore store, Clock clock, int retentionMonths) {
    this.store = store;
    this.clock = clock;
    this.retentionMonths = retentionMonths;
  }

  @Override
  public StreamObserver<StreamRequest> stream(StreamObserver<StreamResponse> responses) {
    return new StreamObserver<>() {
      private String instance;
      private boolean failed;

      @Override
      public void onNext(StreamRequest batch) {
        if (failed) {
          return;
        }
        try {
          if (instance == null) {
            instance = batch.getDaemonInstance();
          } else if (!instance.equals(batch.getDaemonInstance())) {
            throw Status.INVALID_ARGUMENT.withDescription("daemon_instance: changed within one stream").asRuntimeException();
          }
          if (batch.getEventsCount() > MAX_BATCH) {
            throw Status.INVALID_ARGUMENT.withDescription("events: at most " + MAX_BATCH + " per batch").asRuntimeException();
          }
          long acked = store.store(instance, batch.getEventsList());
          responses.onNext(StreamResponse.newBuilder().setAckedSequence(acked).build());
        } catch (RuntimeException e) {
          failed = true;
          responses.onError(StatusMapper.toStatusException(e));
        }
      }

      @Override
      public void onError(Throwable t) {
        failed = true;
      }

      @Override
      public void onCompleted() {
        if (!failed) {
          responses.onCompleted();
        }
      }
    };
  }

  @Override
  public void query(QueryRequest request, StreamObserver<QueryResponse> observer) {
    GrpcCalls.unary(
        observer,
        () -> {
          String tenant = request.getTenantId();
          if (tenant.isEmpty() || !Tenancy.TENANT_ID.matcher(tenant).matches()) {
            throw AuthException.invalid("bad_tenant_id", "tenant_id: required, a lowercase slug of at most 63 characters");
          }
          if (!AuthContext.requirePrincipal().mayActOn(tenant)) {
            throw AuthException.denied("wrong_tenant", "tenant_id: the caller may not read that tenant's trail");
          }
          Instant now = clock.instant();
          Instant from =
              request.hasStartTime()
                  ? AuditRecords.instant(request.getStartTime())
                  : now.atOffset(ZoneOffset.UTC).minusMonths(retentionMonths).toInstant();
          Instant to = request.hasEndTime() ? AuditRecords.instant(request.getEndTime()) : now.plusSeconds(1);
          if (to.isBefore(from)) {
            throw AuthException.invalid("bad_time_range", "end_time: must not be before start_time");
          }
          int size = request.getPageSize() == 0 ? 100 : request.getPageSize();
          if (size < 1 || size > 1000) {
            throw AuthException.invalid("bad_page_size", "page_size: must be between 1 and 1000");
          }
          AuditStore.Page page =
              store.query(tenant, from, to, request.getActorId(), request.getTarget(), request.getAction(), size, request.getPageToken());
          return QueryResponse.newBuilder().addAllEvents(page.events()).setNextPageToken(page.nextPageToken()).build();
        });
  }
}
