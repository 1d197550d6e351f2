package io.apixx.flow.sidecar;

import io.apixx.flow.sidecar.audit.collector.AuditStore;
import io.apixx.flow.sidecar.audit.collector.CollectorMetrics;
import io.apixx.flow.sidecar.audit.collector.PartitionMaintenance;
import io.apixx.flow.sidecar.audit.collector.WebhookDispatcher;
import io.apixx.flow.sidecar.server.HealthRegistry;
import io.grpc.Server;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A started audit collector: its listeners (TCP, or in-process in dev mode), its health, its
 * components, and everything to close on shutdown. Built by {@link CollectorMain}. Thread-safe;
 * {@link #shutdown} runs once.
 */
public final class RunningCollector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunningCollector.class);

  /** The listeners' bound addresses; empty where a listener is off (or in-process). */
  record Addresses(Optional<InetSocketAddress> grpc, Optional<InetSocketAddress> health, Optional<InetSocketAddress> metrics) {
    static Addresses none() {
      return new Addresses(Optional.empty(), Optional.empty(), Optional.empty());
    }
  }

  /** The components, for tests and dev tooling. */
  record Components(AuditStore store, PartitionMaintenance maintenance, WebhookDispatcher webhooks, CollectorMetrics metrics) {}

  private final List<Server> servers;
  private final Addresses addresses;
  private final HealthRegistry health;
  private final ExecutorService workers;
  private final Duration grace;
  private final Deque<AutoCloseable> resources;
  private final Components components;
  private final AtomicBoolean shutdownStarted = new AtomicBoolean();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  RunningCollector(
      List<Server> servers,
      Addresses addresses,
      HealthRegistry health,
      ExecutorService workers,
      Duration grace,
      Deque<AutoCloseable> resources,
      Components components) {
    this.servers = List.copyOf(servers);
    this.addresses = addresses;
    this.health = health;
    this.workers = workers;
    this.grace = grace;
    this.resources = new ArrayDeque<>(resources);
    this.components = components;
  }

  /** The bound address of the AuditIngestService listener (with the real port when 0 was configured). */
  public Optional<InetSocketAddress> address() {
    return addresses.grpc();
  }

  /** The bound health-only listener ({@code server.health_address}), if any. */
  public Optional<InetSocketAddress> healthAddress() {
    return addresses.health();
  }

  public Optional<InetSocketAddress> metricsAddress() {
    return addresses.metrics();
  }

  public HealthRegistry health() {
    return health;
  }

  public AuditStore store() {
    return components.store();
  }

  public PartitionMaintenance maintenance() {
    return components.maintenance();
  }

  public WebhookDispatcher webhooks() {
    return components.webhooks();
  }

  public CollectorMetrics collectorMetrics() {
    return components.metrics();
  }

  /**
   * The one line printed when the collector is SERVING, e.g. {@code flow-sidecar collector SERVING
   * on 10.0.0.5:8443 (health 0.0.0.0:8087) (metrics http://0.0.0.0:9464/metrics)}; for the
   * in-process collector {@code ... SERVING in-process}.
   */
  public String readyLine() {
    StringBuilder sb = new StringBuilder("flow-sidecar collector SERVING ");
    sb.append(addresses.grpc().map(a -> "on " + hostPort(a)).orElse("in-process"));
    addresses.health().ifPresent(a -> sb.append(" (health ").append(hostPort(a)).append(')'));
    addresses.metrics().ifPresent(a -> sb.append(" (metrics http://").append(hostPort(a)).append("/metrics)"));
    return sb.toString();
  }

  private static String hostPort(InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /**
   * Graceful shutdown: health NOT_SERVING, stop accepting calls, let in-flight calls (streams
   * storing a batch) finish for up to the grace period, cancel the rest, then close every resource
   * in reverse order of creation (schedulers before the pools they use). A daemon whose stream is
   * cut resends what was not acknowledged. Returns once done; a second call waits for the first.
   */
  public void shutdown() throws InterruptedException {
    if (!shutdownStarted.compareAndSet(false, true)) {
      try {
        stopped.get();
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("shutdown failed", e.getCause());
      }
      return;
    }
    try {
      log.info("collector shutting down: draining in-flight calls for up to {}", grace);
      health.enterShutdown();
      servers.forEach(Server::shutdown);
      long deadline = System.nanoTime() + grace.toNanos();
      for (Server s : servers) {
        s.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
      servers.forEach(Server::shutdownNow);
      workers.shutdown();
      workers.awaitTermination(5, TimeUnit.SECONDS);
      Closeables.closeLogging(resources, log);
      log.info("collector shutdown complete");
    } finally {
      stopped.complete(null);
    }
  }

  @Override
  public void close() throws InterruptedException {
    shutdown();
  }
}
