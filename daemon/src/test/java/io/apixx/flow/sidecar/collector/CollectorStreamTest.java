package io.apixx.flow.sidecar.collector;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.apixx.flow.sidecar.CollectorMain;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.testing.AuditChain;
import io.apixx.flow.sidecar.testing.AuditDatabase;
import io.apixx.flow.sidecar.v1.AuditEvent;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.StreamRequest;
import io.apixx.flow.sidecar.v1.StreamResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code AuditIngestService.Stream} on the collector: acknowledgements, coalescing, refusals. */
class CollectorStreamTest {
  @TempDir static Path dir;
  static AuditDatabase db;
  static CollectorMain.InProcessCollector collector;

  @BeforeAll
  static void start() throws Exception {
    db = AuditDatabase.create("stream");
    collector = CollectorMain.startInProcess(db.collectorConfig(dir), new CollectorMain.Options(Metrics.forTesting(), Clock.systemUTC(), Optional.empty()));
  }

  @AfterAll
  static void stop() throws InterruptedException {
    collector.close();
  }

  /** What a stream got back: its acknowledgements, and how it ended. */
  static final class Acks implements StreamObserver<StreamResponse> {
    final List<Long> acked = new CopyOnWriteArrayList<>();
    final CompletableFuture<Status> end = new CompletableFuture<>();

    @Override
    public void onNext(StreamResponse r) {
      acked.add(r.getAckedSequence());
    }

    @Override
    public void onError(Throwable t) {
      end.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      end.complete(Status.OK);
    }
  }

  static Acks send(List<StreamRequest> batches) throws Exception {
    Acks acks = new Acks();
    StreamObserver<StreamRequest> requests = AuditIngestServiceGrpc.newStub(collector.channel()).stream(acks);
    batches.forEach(requests::onNext);
    requests.onCompleted();
    acks.end.get(30, TimeUnit.SECONDS);
    return acks;
  }

  static StreamRequest batch(String instance, List<AuditEvent> events) {
    return StreamRequest.newBuilder().setDaemonInstance(instance).addAllEvents(events).build();
  }

  long rows(String instance) {
    return db.sql().count("SELECT count(*) FROM audit.events WHERE daemon_instance = ?", instance);
  }

  @Test
  void stream_manyOneEventBatchesInFlight_coalescedIntoFewerTransactionsAllAcked() throws Exception {
    AuditChain chain = new AuditChain("tiny-batches");
    List<StreamRequest> batches = chain.releases(300, "acme", Instant.now()).stream().map(e -> batch(chain.instance(), List.of(e))).toList();

    Acks acks = send(batches);

    assertThat(acks.end.get()).isEqualTo(Status.OK);
    assertThat(acks.acked).isSorted().endsWith(300L);
    assertThat(acks.acked.size()).as("one acknowledgement per transaction").isLessThan(300);
    assertThat(rows(chain.instance())).isEqualTo(300);
    assertThat(db.sql().count("SELECT count(*) FROM audit.alarms WHERE daemon_instance = ?", chain.instance())).isZero();
  }

  @Test
  void stream_batchWithWrongHash_invalidArgumentNamingTheEventNothingOfItStored() throws Exception {
    AuditChain chain = new AuditChain("bad-hash");
    List<AuditEvent> good = chain.releases(3, "acme", Instant.now());
    List<AuditEvent> events = chain.releases(3, "acme", Instant.now().plusSeconds(1));
    AuditEvent tampered = events.get(1).toBuilder().setHash(ByteString.copyFrom(new byte[32])).build();

    Acks acks = send(List.of(batch(chain.instance(), good), batch(chain.instance(), List.of(events.get(0), tampered, events.get(2)))));

    Status status = acks.end.get();
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).isEqualTo("hash: does not match the event's contents (event " + tampered.getEventId() + ")");
    // The good batch may have been stored (and acknowledged) on its own, or refused with the bad one.
    assertThat(rows(chain.instance())).isIn(0L, 3L);
    assertThat(db.sql().count("SELECT count(*) FROM audit.events WHERE event_id = ?::uuid", tampered.getEventId())).isZero();
  }

  @Test
  void stream_instanceChangesWithinStream_invalidArgument() throws Exception {
    AuditChain a = new AuditChain("first-instance");
    AuditChain b = new AuditChain("second-instance");

    Acks acks = send(List.of(batch(a.instance(), a.releases(1, "acme", Instant.now())), batch(b.instance(), b.releases(1, "acme", Instant.now()))));

    assertThat(acks.end.get().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(acks.end.get().getDescription()).startsWith("daemon_instance: changed within one stream");
    assertThat(rows(b.instance())).isZero();
  }
}
