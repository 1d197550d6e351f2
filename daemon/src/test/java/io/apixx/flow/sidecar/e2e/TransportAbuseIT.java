package io.apixx.flow.sidecar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.testing.DaemonProcess;
import io.apixx.flow.sidecar.testing.TestConfigs;
import io.apixx.flow.sidecar.v1.CredentialServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Abuse of the transport against the packaged daemon as a separate process (security checklist
 * item 12): each attack is cut off or refused, the process stays up, a legitimate client keeps
 * being served, and the process's memory and open files stay bounded. (The legitimate client's
 * latency under attack is a benchmark figure: `make bench`.)
 */
class TransportAbuseIT {
  @TempDir static Path dir;
  static DaemonProcess daemon;
  static String tcp;

  @BeforeAll
  static void start() throws Exception {
    List<String> args = new ArrayList<>(List.of("serve"));
    for (String f : TestConfigs.isolatedFlags(dir)) {
      args.add("--set");
      args.add(f);
    }
    daemon = DaemonProcess.launch("transport-abuse", dir, Map.of(), args).awaitReady(Duration.ofSeconds(60));
    tcp = daemon.tcpTarget().orElseThrow();
  }

  @AfterAll
  static void stop() throws Exception {
    daemon.close();
  }

  static ManagedChannel channel() {
    return Grpc.newChannelBuilder(tcp, InsecureChannelCredentials.create()).maxInboundMetadataSize(1 << 20).build();
  }

  static ServingStatus health(ManagedChannel ch) {
    return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus();
  }

  static long rssKiB() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + daemon.pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new IllegalStateException("no VmRSS");
  }

  static long openFiles() throws Exception {
    try (var s = Files.list(Path.of("/proc/" + daemon.pid() + "/fd"))) {
      return s.count();
    }
  }

  /** A marshaller that sends the given bytes as they are. */
  static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }
  };

  @Test
  void oversizedMetadata_refusedAndProcessStaysUp() throws Exception {
    ManagedChannel ch = channel();
    try {
      Metadata big = new Metadata();
      big.put(Metadata.Key.of("x-padding", Metadata.ASCII_STRING_MARSHALLER), "a".repeat(64 * 1024));
      Status s = Status.OK;
      try {
        HealthGrpc.newBlockingStub(ch).withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(big))
            .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
      } catch (RuntimeException e) {
        s = Status.fromThrowable(e);
      }
      assertThat(s.getCode()).as("a 64 KiB header block").isNotEqualTo(Status.Code.OK);
    } finally {
      ch.shutdownNow();
    }
    ManagedChannel fresh = channel();
    assertThat(health(fresh)).isEqualTo(ServingStatus.SERVING);
    fresh.shutdownNow();
  }

  @Test
  void deeplyNestedInput_refusedAndProcessStaysUp() throws Exception {
    // 100,000 nested groups (field 15, start-group tag 0x7b): far beyond protobuf's recursion limit.
    int depth = 100_000;
    ByteArrayOutputStream b = new ByteArrayOutputStream(depth * 2);
    for (int i = 0; i < depth; i++) {
      b.write(0x7b);
    }
    for (int i = 0; i < depth; i++) {
      b.write(0x7c);
    }
    MethodDescriptor<byte[], byte[]> get = CredentialServiceGrpc.getGetCredentialMethod().toBuilder(RAW, RAW).build();
    ManagedChannel ch = channel();
    try {
      Status s = Status.OK;
      try {
        ClientCalls.blockingUnaryCall(ch, get, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), b.toByteArray());
      } catch (RuntimeException e) {
        s = Status.fromThrowable(e);
      }
      assertThat(s.getCode()).isNotEqualTo(Status.Code.OK);
      assertThat(daemon.isAlive()).isTrue();
      assertThat(health(ch)).isEqualTo(ServingStatus.SERVING);
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void rapidResetBurst_connectionCutOffLegitimateClientServedResourcesBounded() throws Exception {
    long rssBefore = rssKiB();
    long fdsBefore = openFiles();
    ManagedChannel attacker = channel();
    ManagedChannel legit = channel();
    assertThat(health(legit)).isEqualTo(ServingStatus.SERVING);
    assertThat(health(attacker)).isEqualTo(ServingStatus.SERVING);
    assertThat(attacker.getState(false)).isEqualTo(io.grpc.ConnectivityState.READY);
    java.util.concurrent.CountDownLatch dropped = new java.util.concurrent.CountDownLatch(1);
    attacker.notifyWhenStateChanged(io.grpc.ConnectivityState.READY, dropped::countDown);
    AtomicInteger failed = new AtomicInteger();
    // Each call sends HEADERS and at once RST_STREAM: the CVE-2023-44487 pattern.
    for (int i = 0; i < 5000 && dropped.getCount() > 0; i++) {
      ClientCall<HealthCheckRequest, HealthCheckResponse> call = attacker.newCall(HealthGrpc.getWatchMethod(), CallOptions.DEFAULT);
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onClose(Status status, Metadata trailers) {
          if (status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.INTERNAL) {
            failed.incrementAndGet();
          }
        }
      }, new Metadata());
      call.request(1);
      call.sendMessage(HealthCheckRequest.getDefaultInstance());
      call.cancel("reset", null);
    }
    // The server closes a connection past max_rst_frames_per_window (GOAWAY): the attacker's
    // channel leaves READY. A legitimate connection is never dropped.
    assertThat(dropped.await(20, TimeUnit.SECONDS)).as("the attacking connection was closed by the server").isTrue();
    assertThat(legit.getState(false)).isEqualTo(io.grpc.ConnectivityState.READY);
    int ok = 0;
    for (int i = 0; i < 200; i++) {
      if (health(legit) == ServingStatus.SERVING) {
        ok++;
      }
    }
    assertThat(ok).isEqualTo(200);
    attacker.shutdownNow();
    legit.shutdownNow();
    long rssAfter = rssKiB();
    long fdsAfter = openFiles();
    System.err.printf("rapid reset: 5000 resets sent, attack calls failed after the cut-off: %d; RSS %d -> %d KiB; fds %d -> %d%n",
        failed.get(), rssBefore, rssAfter, fdsBefore, fdsAfter);
    assertThat(rssAfter).isLessThan(rssBefore + 64 * 1024);
    assertThat(fdsAfter).isLessThan(fdsBefore + 20);
  }

  @Test
  void streamFlood_boundedPerConnectionProcessStaysUp() throws Exception {
    long rssBefore = rssKiB();
    long fdsBefore = openFiles();
    List<ManagedChannel> attackers = new ArrayList<>();
    AtomicInteger opened = new AtomicInteger();
    for (int c = 0; c < 20; c++) {
      ManagedChannel ch = channel();
      attackers.add(ch);
      for (int i = 0; i < 1000; i++) {
        HealthGrpc.newStub(ch).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
          @Override
          public void onNext(HealthCheckResponse r) {
            opened.incrementAndGet();
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
      }
    }
    // At most max_concurrent_calls_per_connection (256) streams per connection are open at once.
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> opened.get() >= 20 * 256);
    Thread.sleep(500);
    assertThat(opened.get()).isLessThanOrEqualTo(20 * 256);
    ManagedChannel legit = channel();
    for (int i = 0; i < 50; i++) {
      assertThat(health(legit)).isEqualTo(ServingStatus.SERVING);
    }
    long rssDuring = rssKiB();
    long fdsDuring = openFiles();
    attackers.forEach(ManagedChannel::shutdownNow);
    legit.shutdownNow();
    System.err.printf("stream flood: 20 connections x 1000 streams, %d open at once (limit 256 per connection); RSS %d -> %d KiB; fds %d -> %d%n",
        opened.get(), rssBefore, rssDuring, fdsBefore, fdsDuring);
    assertThat(daemon.isAlive()).isTrue();
    assertThat(rssDuring).isLessThan(rssBefore + 128 * 1024);
    assertThat(fdsDuring).isLessThan(fdsBefore + 40);
  }

}
