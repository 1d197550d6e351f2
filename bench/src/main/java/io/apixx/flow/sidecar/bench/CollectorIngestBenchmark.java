package io.apixx.flow.sidecar.bench;

import io.apixx.flow.sidecar.audit.collector.AuditStore;
import io.apixx.flow.sidecar.testing.AuditChain;
import io.apixx.flow.sidecar.v1.AuditEvent;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.StreamRequest;
import io.apixx.flow.sidecar.v1.StreamResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Audit events ingested per second by one collector replica into PostgreSQL, in batches of 500
 * from {@code streams} daemon instances at once:
 *
 * <ul>
 *   <li>{@code store}: {@link AuditStore#store} called directly (validation, hash check, one
 *       transaction per batch), one thread per instance;
 *   <li>{@code grpc}: the same through {@code AuditIngestService.Stream} over mutual TLS on
 *       loopback, one stream per instance with up to 4 unacknowledged batches (what a daemon's
 *       uploader does with a backlog; the collector may store queued batches together).
 * </ul>
 *
 * Events are made (and hashed) before the clock starts. Collector, PostgreSQL and the senders
 * share this machine's cores, so the figure is a floor for a dedicated replica.
 *
 * <p>Run: {@code java -cp <bench classpath> io.apixx.flow.sidecar.bench.CollectorIngestBenchmark
 * [events per mode, default 200000] [streams, default 4]}.
 */
public final class CollectorIngestBenchmark {
  static final int BATCH = 500;
  static final int WINDOW = 4;

  private CollectorIngestBenchmark() {}

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int streams = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    try (BenchCollector c = BenchCollector.start("ingestbench")) {
      // Warm-up: JIT, pools, partitions' first pages.
      runStore(c, batches("warm-store", 20_000, streams));
      runGrpc(c, batches("warm-grpc", 20_000, streams));

      double store = runStore(c, batches("store", events, streams));
      double grpc = runGrpc(c, batches("grpc", events, streams));
      System.out.printf("collector ingest, %d events per mode, %d instances, batches of %d:%n", events, streams, BATCH);
      System.out.printf("  AuditStore.store directly:        %,10.0f events/s%n", store);
      System.out.printf("  AuditIngestService.Stream (mTLS): %,10.0f events/s%n", grpc);
      long stored = c.db.sql().count("SELECT count(*) FROM audit.events");
      long alarms = c.db.sql().count("SELECT count(*) FROM audit.alarms");
      System.out.printf("  rows %d (expected %d), alarms %d%n", stored, 2L * events + 40_000, alarms);
    }
    System.exit(0);
  }

  /** Per instance, its chain cut into batches. */
  static List<List<List<AuditEvent>>> batches(String prefix, int events, int streams) {
    List<List<List<AuditEvent>>> out = new ArrayList<>();
    Instant start = Instant.now();
    for (int s = 0; s < streams; s++) {
      AuditChain chain = new AuditChain("bench-" + prefix + "-" + s);
      List<List<AuditEvent>> mine = new ArrayList<>();
      for (int done = 0; done < events / streams; done += BATCH) {
        mine.add(chain.releases(Math.min(BATCH, events / streams - done), "acme", start.plusMillis(done)));
      }
      out.add(mine);
    }
    return out;
  }

  static int count(List<List<List<AuditEvent>>> all) {
    return all.stream().flatMap(List::stream).mapToInt(List::size).sum();
  }

  static double runStore(BenchCollector c, List<List<List<AuditEvent>>> all) throws InterruptedException {
    AuditStore store = c.collector.store();
    List<Thread> threads = new ArrayList<>();
    long start = System.nanoTime();
    for (List<List<AuditEvent>> mine : all) {
      String instance = mine.get(0).get(0).getDaemonInstance();
      threads.add(Thread.ofPlatform().start(() -> mine.forEach(b -> store.store(instance, b))));
    }
    for (Thread t : threads) {
      t.join();
    }
    return count(all) / ((System.nanoTime() - start) / 1e9);
  }

  static double runGrpc(BenchCollector c, List<List<List<AuditEvent>>> all) throws Exception {
    ManagedChannel channel = c.channel();
    try {
      List<CompletableFuture<Void>> done = new ArrayList<>();
      List<Thread> senders = new ArrayList<>();
      long start = System.nanoTime();
      for (List<List<AuditEvent>> mine : all) {
        CompletableFuture<Void> finished = new CompletableFuture<>();
        done.add(finished);
        senders.add(Thread.ofPlatform().start(() -> send(channel, mine, finished)));
      }
      for (CompletableFuture<Void> f : done) {
        f.get(10, TimeUnit.MINUTES);
      }
      double rate = count(all) / ((System.nanoTime() - start) / 1e9);
      for (Thread t : senders) {
        t.join();
      }
      return rate;
    } finally {
      BenchCollector.shutdown(channel);
    }
  }

  /** One stream: batches sent as the window allows; done when the last sequence is acknowledged. */
  static void send(ManagedChannel channel, List<List<AuditEvent>> batches, CompletableFuture<Void> finished) {
    String instance = batches.get(0).get(0).getDaemonInstance();
    List<AuditEvent> lastBatch = batches.get(batches.size() - 1);
    long last = lastBatch.get(lastBatch.size() - 1).getSequence();
    Semaphore window = new Semaphore(WINDOW);
    // The last sequence of every batch sent and not yet acknowledged: one acknowledgement can
    // cover several batches (the collector stores queued batches together).
    Queue<Long> unacknowledged = new ConcurrentLinkedQueue<>();
    CompletableFuture<ClientCallStreamObserver<StreamRequest>> started = new CompletableFuture<>();
    AuditIngestServiceGrpc.newStub(channel).stream(new ClientResponseObserver<StreamRequest, StreamResponse>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<StreamRequest> requests) {
        started.complete(requests);
      }

      @Override
      public void onNext(StreamResponse ack) {
        for (Long s = unacknowledged.peek(); s != null && s <= ack.getAckedSequence(); s = unacknowledged.peek()) {
          unacknowledged.poll();
          window.release();
        }
        if (ack.getAckedSequence() == last) {
          finished.complete(null);
        }
      }

      @Override
      public void onError(Throwable t) {
        finished.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    try {
      ClientCallStreamObserver<StreamRequest> requests = started.get();
      for (List<AuditEvent> b : batches) {
        window.acquire();
        unacknowledged.add(b.get(b.size() - 1).getSequence());
        requests.onNext(StreamRequest.newBuilder().setDaemonInstance(instance).addAllEvents(b).build());
      }
      finished.get(10, TimeUnit.MINUTES);
      requests.onCompleted();
    } catch (Exception e) {
      finished.completeExceptionally(e);
    }
  }
}
