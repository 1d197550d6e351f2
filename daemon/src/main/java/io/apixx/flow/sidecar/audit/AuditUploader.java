package io.apixx.flow.sidecar.audit;

import com.google.protobuf.ByteString;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.StreamRequest;
import io.apixx.flow.sidecar.v1.StreamResponse;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams the spool to the collector ({@code AuditIngestService.Stream}) and feeds its
 * acknowledgements back into the spool.
 *
 * <p>Delivery is at least once: each session starts after the last acknowledged sequence, so a
 * reconnect or a restart resends whatever was not acknowledged; the collector ignores event ids it
 * already stored, which makes it exactly once there. At most {@code maxInFlight} events are
 * unacknowledged at a time and gRPC flow control is respected, so a slow collector slows the
 * stream (backpressure) and the spool absorbs the difference. After a failure the uploader waits
 * with exponential backoff and full jitter before it reconnects.
 *
 * <p>A collector that accepts the stream but stops acknowledging (a hung process whose connection
 * stays open, a middlebox that swallows the replies) would otherwise hold the stream forever while
 * the spool fills: when events are outstanding and no acknowledgement arrives for {@code
 * ackTimeout}, the stream is cancelled, the channel's connection is dropped ({@link
 * io.grpc.ManagedChannel#enterIdle}) and the uploader reconnects on a fresh one, resending what
 * was not acknowledged.
 *
 * <p>One background thread. Thread-safe start/close.
 */
public final class AuditUploader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AuditUploader.class);

  private final AuditSpool spool;
  private final AuditIngestServiceGrpc.AuditIngestServiceStub stub;
  private final Channel channel;
  private final int batchSize;
  private final int maxInFlight;
  private final Duration backoffInitial;
  private final Duration backoffMax;
  private final Duration ackTimeout;
  private final Metrics metrics;
  private final Thread thread;
  private volatile boolean closed;
  private volatile boolean connected;

  /** An uploader with the default acknowledgement timeout of 30 s. */
  public AuditUploader(
      AuditSpool spool, Channel collector, int batchSize, int maxInFlight, Duration backoffInitial, Duration backoffMax, Metrics metrics) {
    this(spool, collector, batchSize, maxInFlight, backoffInitial, backoffMax, DEFAULT_ACK_TIMEOUT, metrics);
  }

  /** The default of {@code audit.collector.ack_timeout}. */
  public static final Duration DEFAULT_ACK_TIMEOUT = Duration.ofSeconds(30);

  /**
   * @param ackTimeout longest wait for an acknowledgement while events are outstanding, before the
   *     stream is abandoned and reopened on a new connection (positive)
   */
  public AuditUploader(
      AuditSpool spool, Channel collector, int batchSize, int maxInFlight, Duration backoffInitial, Duration backoffMax,
      Duration ackTimeout, Metrics metrics) {
    if (ackTimeout.isNegative() || ackTimeout.isZero()) {
      throw new IllegalArgumentException("ackTimeout must be positive");
    }
    this.ackTimeout = ackTimeout;
    this.spool = spool;
    this.stub = AuditIngestServiceGrpc.newStub(collector);
    this.channel = collector;
    this.batchSize = batchSize;
    this.maxInFlight = maxInFlight;
    this.backoffInitial = backoffInitial;
    this.backoffMax = backoffMax;
    this.metrics = metrics;
    this.thread = new Thread(this::run, "audit-uploader");
    this.thread.setDaemon(true);
  }

  public AuditUploader start() {
    thread.start();
    return this;
  }

  /** Whether a stream to the collector is open right now. */
  public boolean isConnected() {
    return connected;
  }

  private void run() {
    long delay = backoffInitial.toMillis();
    while (!closed) {
      long ackedBefore = spool.acknowledgedSequence();
      try {
        session();
      } catch (InterruptedException e) {
        if (closed) {
          return;
        }
      } catch (RuntimeException | IOException e) {
        log.warn("audit stream to the collector ended: {}", e.getMessage());
      }
      connected = false;
      if (closed) {
        return;
      }
      if (spool.acknowledgedSequence() > ackedBefore) {
        delay = backoffInitial.toMillis();
      }
      metrics.auditReconnect();
      // Full jitter: a random wait up to the current backoff, so restarted daemons spread out.
      long wait = ThreadLocalRandom.current().nextLong(delay / 2, delay + 1);
      delay = Math.min(backoffMax.toMillis(), delay * 2);
      try {
        Thread.sleep(wait);
      } catch (InterruptedException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  /** One stream: send until the collector or the network fails; acknowledgements flow back. */
  private void session() throws InterruptedException, IOException {
    // Our own backoff already spaced this attempt; gRPC's reconnect backoff (up to two minutes)
    // would otherwise delay reaching a collector that has come back.
    if (channel instanceof io.grpc.ManagedChannel managed) {
      managed.resetConnectBackoff();
    }
    Session s = new Session();
    stub.stream(s);
    ClientCallStreamObserver<StreamRequest> out = s.awaitStarted();
    AuditSpool.Reader reader = spool.reader(spool.acknowledgedSequence());
    TreeMap<Long, ByteString> sentHashes = new TreeMap<>();
    boolean stalled = false;
    long ackedSeen = spool.acknowledgedSequence();
    long progressAt = System.nanoTime();
    try {
      while (!closed) {
        s.throwIfFailed();
        long acked = spool.acknowledgedSequence();
        long inFlight = reader.position() - acked;
        long now = System.nanoTime();
        if (acked != ackedSeen || inFlight <= 0) {
          ackedSeen = acked;
          progressAt = now;
        } else if (now - progressAt > ackTimeout.toNanos()) {
          stalled = true;
          throw new IOException("no acknowledgement from the collector for " + ackTimeout.toMillis() + " ms with "
              + inFlight + " event(s) outstanding; reconnecting");
        }
        if (inFlight >= maxInFlight || !out.isReady()) {
          s.awaitSignal(100);
          continue;
        }
        List<io.apixx.flow.sidecar.v1.AuditEvent> batch = reader.next((int) Math.min(batchSize, maxInFlight - inFlight));
        if (batch.isEmpty()) {
          spool.awaitDurableAfter(reader.position(), 200);
          continue;
        }
        io.apixx.flow.sidecar.v1.AuditEvent last = batch.get(batch.size() - 1);
        synchronized (sentHashes) {
          sentHashes.put(last.getSequence(), last.getHash());
        }
        s.hashes = sentHashes;
        out.onNext(StreamRequest.newBuilder().setDaemonInstance(spool.instance()).addAllEvents(batch).build());
        metrics.auditSent(batch.size());
        connected = true;
      }
    } finally {
      if (closed) {
        out.onCompleted();
      } else {
        out.cancel("audit stream restarting", null);
      }
      if (stalled && channel instanceof io.grpc.ManagedChannel managed) {
        // The connection may be the one swallowing the replies: open the next stream on a new one.
        managed.enterIdle();
      }
    }
  }

  /** Receives acknowledgements; signals the sending loop. */
  private final class Session implements ClientResponseObserver<StreamRequest, StreamResponse> {
    private ClientCallStreamObserver<StreamRequest> requests;
    private Throwable failure;
    volatile TreeMap<Long, ByteString> hashes = new TreeMap<>();

    @Override
    public synchronized void beforeStart(ClientCallStreamObserver<StreamRequest> requestStream) {
      this.requests = requestStream;
      requestStream.setOnReadyHandler(this::signal);
      notifyAll();
    }

    synchronized ClientCallStreamObserver<StreamRequest> awaitStarted() throws InterruptedException {
      while (requests == null) {
        wait(1000);
      }
      return requests;
    }

    @Override
    public void onNext(StreamResponse ack) {
      long seq = ack.getAckedSequence();
      ByteString hash;
      TreeMap<Long, ByteString> h = hashes;
      synchronized (h) {
        hash = h.get(seq);
        h.headMap(seq, true).clear();
      }
      try {
        if (hash == null) {
          List<io.apixx.flow.sidecar.v1.AuditEvent> one = spool.read(seq - 1, 1);
          hash = one.isEmpty() ? ByteString.EMPTY : one.get(0).getHash();
        }
        spool.acknowledge(seq, hash);
      } catch (IOException | RuntimeException e) {
        fail(e);
        return;
      }
      signal();
    }

    @Override
    public void onError(Throwable t) {
      fail(t);
    }

    @Override
    public void onCompleted() {
      fail(new IOException("collector closed the stream"));
    }

    synchronized void fail(Throwable t) {
      if (failure == null) {
        failure = t;
      }
      notifyAll();
    }

    synchronized void signal() {
      notifyAll();
    }

    synchronized void awaitSignal(long millis) throws InterruptedException {
      if (failure == null) {
        wait(millis);
      }
    }

    synchronized void throwIfFailed() throws IOException {
      if (failure != null) {
        throw new IOException(failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage(), failure);
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    thread.interrupt();
    thread.join(5000);
  }
}
