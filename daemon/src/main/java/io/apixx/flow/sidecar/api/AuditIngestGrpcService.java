package io.apixx.flow.sidecar.api;

import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.QueryRequest;
import io.apixx.flow.sidecar.v1.QueryResponse;
import io.apixx.flow.sidecar.v1.StreamRequest;
import io.apixx.flow.sidecar.v1.StreamResponse;
import io.grpc.stub.StreamObserver;

/**
 * {@code AuditIngestService} as a daemon serves it: registered so that reflection describes the
 * whole contract, answering UNIMPLEMENTED because audit ingestion is the collector's job.
 */
public final class AuditIngestGrpcService extends AuditIngestServiceGrpc.AuditIngestServiceImplBase {
  private static final String COLLECTOR = "the audit collector (run `flow-sidecar collector`)";

  @Override
  public StreamObserver<StreamRequest> stream(StreamObserver<StreamResponse> observer) {
    observer.onError(StatusMapper.toStatusException(Capability.missing("AuditIngestService.Stream", COLLECTOR)));
    return new StreamObserver<>() {
      @Override
      public void onNext(StreamRequest value) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }

  @Override
  public void query(QueryRequest request, StreamObserver<QueryResponse> observer) {
    GrpcCalls.unary(observer, () -> { throw Capability.missing("AuditIngestService.Query", COLLECTOR); });
  }
}
