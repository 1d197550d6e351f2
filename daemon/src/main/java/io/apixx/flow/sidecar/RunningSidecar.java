package io.apixx.flow.sidecar;

import io.apixx.flow.sidecar.server.HealthRegistry;
import io.apixx.flow.sidecar.server.SidecarServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A started daemon: its listeners, its health, and everything to close on shutdown. Built by
 * {@link Main#start}. Thread-safe; {@link #shutdown} runs once.
 */
public final class RunningSidecar implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunningSidecar.class);

  private final SidecarServer server;
  private final HealthRegistry health;
  private final ExecutorService workers;
  private final Optional<InetSocketAddress> metricsAddress;
  private final Duration grace;
  private final Deque<AutoCloseable> resources;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private boolean shutdownStarted;

  RunningSidecar(
      SidecarServer server,
      HealthRegistry health,
      ExecutorService workers,
      Optional<InetSocketAddress> metricsAddress,
      Duration grace,
      Deque<AutoCloseable> resources) {
    this.server = server;
    this.health = health;
    this.workers = workers;
    this.metricsAddress = metricsAddress;
    this.grace = grace;
    this.resources = new ArrayDeque<>(resources);
  }

  public Path socketPath() {
    return server.socketPath();
  }

  public Optional<InetSocketAddress> tcpAddress() {
    return server.tcpAddress();
  }

  public Optional<InetSocketAddress> healthAddress() {
    return server.healthAddress();
  }

  public Optional<InetSocketAddress> metricsAddress() {
    return metricsAddress;
  }

  public HealthRegistry health() {
    return health;
  }

  /** The one line printed when the daemon is SERVING; names every address. */
  public String readyLine(String mode) {
    StringBuilder sb = new StringBuilder("flow-sidecar ").append(mode).append(" SERVING on unix://").append(socketPath());
    tcpAddress().ifPresent(a -> sb.append(" and ").append(a.getAddress().getHostAddress()).append(':').append(a.getPort()));
    metricsAddress()
        .ifPresent(a -> sb.append(" (metrics http://").append(a.getAddress().getHostAddress()).append(':').append(a.getPort()).append("/metrics)"));
    return sb.toString();
  }

  /**
   * Graceful shutdown: health NOT_SERVING, stop accepting calls, let in-flight calls finish for up
   * to the configured grace period, cancel the rest, then close every resource in reverse order of
   * creation. Returns once done; a second call waits for the first.
   */
  public void shutdown() throws InterruptedException {
    synchronized (this) {
      if (shutdownStarted) {
        stopped.await();
        return;
      }
      shutdownStarted = true;
    }
    try {
      log.info("shutting down: draining in-flight calls for up to {}", grace);
      health.enterShutdown();
      server.shutdown();
      boolean drained = server.awaitTermination(grace);
      if (!drained) {
        log.warn("grace period of {} over; cancelling the calls still running", grace);
      }
      server.shutdownNow();
      workers.shutdown();
      workers.awaitTermination(5, TimeUnit.SECONDS);
      while (!resources.isEmpty()) {
        AutoCloseable r = resources.pop();
        try {
          r.close();
        } catch (Exception e) {
          log.warn("error while closing {}", r.getClass().getSimpleName(), e);
        }
      }
      log.info("shutdown complete");
    } finally {
      stopped.countDown();
    }
  }

  /** Blocks until {@link #shutdown} has completed. */
  public void awaitStopped() throws InterruptedException {
    stopped.await();
  }

  @Override
  public void close() throws InterruptedException {
    shutdown();
  }
}
