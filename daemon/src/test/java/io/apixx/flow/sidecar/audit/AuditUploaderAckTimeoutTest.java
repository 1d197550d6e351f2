package io.apixx.flow.sidecar.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.testing.AuditChain;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.StreamRequest;
import io.apixx.flow.sidecar.v1.StreamResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AuditUploader}'s acknowledgement timeout: a collector that accepts a stream and never
 * acknowledges must not hold the spool's records forever; an idle stream with nothing outstanding
 * is left alone.
 */
class AuditUploaderAckTimeoutTest {
  static final Duration ACK_TIMEOUT = Duration.ofMillis(500);

  @TempDir Path dir;
  private final AtomicInteger streams = new AtomicInteger();
  /** Streams up to this number (1-based) receive events and never acknowledge. */
  private volatile int muteStreams;
  private Server server;
  private ManagedChannel channel;
  private AuditSpool spool;
  private AuditUploader uploader;

  private void start(int mute) throws Exception {
    muteStreams = mute;
    String name = "uploader-" + UUID.randomUUID();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(new AuditIngestServiceGrpc.AuditIngestServiceImplBase() {
      @Override
      public StreamObserver<StreamRequest> stream(StreamObserver<StreamResponse> responses) {
        int n = streams.incrementAndGet();
        return new StreamObserver<>() {
          @Override
          public void onNext(StreamRequest r) {
            if (n > muteStreams && r.getEventsCount() > 0) {
              responses.onNext(StreamResponse.newBuilder().setAckedSequence(r.getEvents(r.getEventsCount() - 1).getSequence()).build());
            }
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            responses.onCompleted();
          }
        };
      }
    }).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    spool = AuditSpool.open(new AuditSpool.Settings(dir, 64 << 20, 1 << 20, 1000, 64), "us-east-1", "ack-test", ok -> {});
    uploader = new AuditUploader(spool, channel, 100, 1000, Duration.ofMillis(20), Duration.ofMillis(50), ACK_TIMEOUT, Metrics.forTesting()).start();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (uploader != null) {
      uploader.close();
    }
    if (spool != null) {
      spool.close();
    }
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private void record(int n) {
    for (int i = 0; i < n; i++) {
      spool.record(AuditChain.release("acme", "run-" + i, "connector/github/v1", Instant.now()));
    }
  }

  @Test
  void collectorNeverAcknowledges_afterAckTimeoutStreamReopenedAndEverythingAcknowledged() throws Exception {
    start(1);
    record(5);

    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> spool.acknowledgedSequence() == 5);
    assertThat(streams.get()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void idleStreamWithNothingOutstanding_notReopened() throws Exception {
    start(0);
    record(3);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> spool.acknowledgedSequence() == 3);

    // Four ack timeouts with nothing outstanding: the same stream stays.
    Thread.sleep(ACK_TIMEOUT.toMillis() * 4);
    record(1);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> spool.acknowledgedSequence() == 4);
    assertThat(streams.get()).isEqualTo(1);
  }
}
