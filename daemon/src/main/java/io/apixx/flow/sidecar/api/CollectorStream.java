package io.apixx.flow.sidecar.api;

import io.apixx.flow.sidecar.audit.collector.AuditStore;
import io.apixx.flow.sidecar.audit.collector.CollectorException;
import io.apixx.flow.sidecar.v1.AuditEvent;
import io.apixx.flow.sidecar.v1.StreamRequest;
import io.apixx.flow.sidecar.v1.StreamResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code AuditIngestService.Stream} call: the batches of one daemon instance, stored and
 * acknowledged in order.
 *
 * <p>Batches that arrive while a transaction is running are queued and stored together in the
 * next one (up to {@value #COALESCE_EVENTS} events), acknowledged with the highest sequence once
 * committed. A daemon sends a batch per group commit of its spool, so at low rates batches are a
 * few events each; without coalescing the collector would pay one database commit per tiny batch
 * and fall behind. Flow control is manual: more messages are requested only while fewer than
 * {@value #COALESCE_EVENTS} events are queued, so a slow database slows the stream down to the
 * transport's window and the daemon's spool takes the difference (backpressure).
 *
 * <p>Thread-safe: gRPC delivers messages one at a time; storing runs on {@code executor}; every
 * call on the response observer happens under this object's lock.
 */
final class CollectorStream implements StreamObserver<StreamRequest> {
  private static final org.slf4j.Logger TRAIL = org.slf4j.LoggerFactory.getLogger(io.apixx.flow.sidecar.observability.Logging.AUDIT_TRAIL);

  private static final Logger log = LoggerFactory.getLogger(CollectorStream.class);
  /** Queued events above which no further message is requested until they are stored. */
  static final int COALESCE_EVENTS = 5000;

  private final ServerCallStreamObserver<StreamResponse> call;
  private final AuditStore store;
  private final Executor executor;
  private final Deque<StreamRequest> queued = new ArrayDeque<>();
  private int queuedEvents;
  private boolean requestWhenDrained;
  private boolean storing;
  private boolean halfClosed;
  private boolean failed;
  private String instance;

  private CollectorStream(ServerCallStreamObserver<StreamResponse> call, AuditStore store, Executor executor) {
    this.call = call;
    this.store = store;
    this.executor = executor;
  }

  /** Starts a stream on {@code responses}; call from the service method, before it returns. */
  static CollectorStream start(StreamObserver<StreamResponse> responses, AuditStore store, Executor executor) {
    ServerCallStreamObserver<StreamResponse> call = (ServerCallStreamObserver<StreamResponse>) responses;
    call.disableAutoRequest();
    CollectorStream s = new CollectorStream(call, store, executor);
    // Without a handler, answering a call the daemon already cancelled would throw.
    call.setOnCancelHandler(s::cancelled);
    call.request(1);
    return s;
  }

  @Override
  public synchronized void onNext(StreamRequest batch) {
    if (failed) {
      return;
    }
    try {
      if (instance == null) {
        instance = batch.getDaemonInstance();
      } else if (!instance.equals(batch.getDaemonInstance())) {
        throw CollectorException.invalid("daemon_instance: changed within one stream");
      }
      if (batch.getEventsCount() > CollectorGrpcService.MAX_BATCH) {
        throw CollectorException.invalid("events: at most " + CollectorGrpcService.MAX_BATCH + " per batch");
      }
    } catch (CollectorException e) {
      fail(e);
      return;
    }
    queued.add(batch);
    queuedEvents += batch.getEventsCount();
    if (queuedEvents < COALESCE_EVENTS) {
      call.request(1);
    } else {
      requestWhenDrained = true;
    }
    if (!storing) {
      storing = true;
      try {
        executor.execute(this::storeQueued);
      } catch (RejectedExecutionException e) {
        storing = false;
        fail(new io.apixx.flow.sidecar.error.SidecarException(
            io.apixx.flow.sidecar.error.ErrorKind.UNAVAILABLE, "collector_busy", "the collector is overloaded; retry", e));
      }
    }
  }

  /** Stores everything queued, transaction after transaction, until the queue is empty. */
  private void storeQueued() {
    while (true) {
      List<AuditEvent> events = new ArrayList<>();
      synchronized (this) {
        if (failed || queued.isEmpty()) {
          storing = false;
          if (halfClosed && !failed) {
            call.onCompleted();
          }
          return;
        }
        queued.forEach(b -> events.addAll(b.getEventsList()));
        queued.clear();
        queuedEvents = 0;
        if (requestWhenDrained) {
          requestWhenDrained = false;
          call.request(1); // the next messages queue up while this transaction runs
        }
      }
      try {
        long acked = store.store(instance, events).ackedSequence();
        if (TRAIL.isInfoEnabled()) {
          for (io.apixx.flow.sidecar.v1.AuditEvent e : events) {
            TRAIL.info("audit event stored: {} {} {} tenant={} actor={}:{} seq={}", e.getAction(), e.getTarget(), e.getOutcome(),
                e.getTenantId(), e.getActor().getKind(), e.getActor().getId(), e.getSequence());
          }
        }
        synchronized (this) {
          if (!failed) {
            call.onNext(StreamResponse.newBuilder().setAckedSequence(acked).build());
          }
        }
      } catch (RuntimeException e) {
        synchronized (this) {
          storing = false;
          fail(e);
        }
        return;
      }
    }
  }

  /** Closes the call with the error's status (under the lock). */
  private void fail(RuntimeException e) {
    if (failed) {
      return;
    }
    failed = true;
    queued.clear();
    if (e instanceof CollectorException) {
      log.warn("refused an audit batch of {}: {}", instance, e.getMessage());
    }
    call.onError(StatusMapper.toStatusException(e));
  }

  private synchronized void cancelled() {
    failed = true;
    queued.clear();
  }

  @Override
  public synchronized void onError(Throwable t) {
    failed = true;
    queued.clear();
  }

  @Override
  public synchronized void onCompleted() {
    halfClosed = true;
    if (!storing && !failed) {
      call.onCompleted();
    }
  }
}
