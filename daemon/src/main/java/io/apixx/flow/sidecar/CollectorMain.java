package io.apixx.flow.sidecar;

import io.apixx.flow.sidecar.api.CallPipeline;
import io.apixx.flow.sidecar.api.CollectorAccessRules;
import io.apixx.flow.sidecar.api.CollectorGrpcService;
import io.apixx.flow.sidecar.audit.collector.AuditStore;
import io.apixx.flow.sidecar.audit.collector.CollectorDatabase;
import io.apixx.flow.sidecar.audit.collector.CollectorMetrics;
import io.apixx.flow.sidecar.audit.collector.PartitionMaintenance;
import io.apixx.flow.sidecar.audit.collector.RefusalLog;
import io.apixx.flow.sidecar.audit.collector.WebhookDispatcher;
import io.apixx.flow.sidecar.auth.AuthInterceptor;
import io.apixx.flow.sidecar.auth.ServiceTokens;
import io.apixx.flow.sidecar.config.CollectorConfig;
import io.apixx.flow.sidecar.config.ConfigException;
import io.apixx.flow.sidecar.config.DatabaseConfig;
import io.apixx.flow.sidecar.config.SidecarConfig;
import io.apixx.flow.sidecar.observability.Logging;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.observability.MetricsHttpServer;
import io.apixx.flow.sidecar.persistence.DatabaseBootstrap;
import io.apixx.flow.sidecar.persistence.EmbeddedDatabase;
import io.apixx.flow.sidecar.server.BoundedExecutors;
import io.apixx.flow.sidecar.server.HealthRegistry;
import io.apixx.flow.sidecar.server.MetricsInterceptor;
import io.apixx.flow.sidecar.server.RateLimitInterceptor;
import io.apixx.flow.sidecar.server.RateLimiter;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.server.RequestContextInterceptor;
import io.apixx.flow.sidecar.server.TcpServers;
import io.apixx.flow.sidecar.server.Tls;
import io.apixx.flow.sidecar.tenancy.TenantGuardInterceptor;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root of the audit collector, apart from the daemon's ({@link Main}): builds the
 * collector's components from the frozen configuration, wires them through their constructors and
 * starts its listeners. Two ways to run one:
 *
 * <ul>
 *   <li>{@link #start}: {@code flow-sidecar collector --config FILE}; AuditIngestService on {@code
 *       collector.address} over mutual TLS, {@code grpc.health.v1} also on {@code
 *       server.health_address}, Prometheus on {@code metrics.address}.
 *   <li>{@link #startInProcess}: dev mode (and tests); an in-process gRPC server whose channel the
 *       daemon's audit uploader uses ({@code Main.StartOptions.collectorChannel}).
 * </ul>
 *
 * <p>Either way, before anything is served: migrations (when configured), the partitions of the
 * current and next months; then, in the background, partition maintenance every {@code
 * collector.maintenance_interval} (every minute while a run fails), webhook delivery every {@code
 * collector.webhooks.poll_interval}, and the {@code db} health every {@code
 * collector.database.health_interval}.
 */
public final class CollectorMain {
  /** The collector's database dependency in {@code grpc.health.v1}. */
  public static final String HEALTH_DB = "db";

  private static final Logger log = LoggerFactory.getLogger(CollectorMain.class);
  /** How soon a failed maintenance run is retried (a missing partition sends events to the default one). */
  private static final Duration MAINTENANCE_RETRY = Duration.ofMinutes(1);

  private CollectorMain() {}

  /**
   * Options of one start that are not configuration.
   *
   * @param metrics the registry to record into (process-wide, or a fresh one per test)
   * @param clock the clock every component uses (partition months, webhook timestamps, Query's
   *     default range)
   * @param webhookClient the HTTP client for webhooks; empty: {@link WebhookDispatcher#httpClient}
   */
  public record Options(Metrics metrics, Clock clock, Optional<HttpClient> webhookClient) {
    /** The process defaults. */
    public static Options process() {
      return new Options(Metrics.create(), Clock.systemUTC(), Optional.empty());
    }
  }

  /**
   * Starts the collector of {@code config.collector()}, as {@code flow-sidecar collector} does. On
   * failure everything already started is closed again.
   *
   * @throws ConfigException naming the key, for what the collector needs and does not have
   *     ({@link CollectorConfig#requireRunnable}), unreadable TLS material or service tokens, or an
   *     address that cannot be bound
   * @throws io.apixx.flow.sidecar.error.SidecarException UNAVAILABLE when migrations are on and the
   *     database cannot be reached
   */
  public static RunningCollector start(SidecarConfig config, Options options) throws IOException {
    CollectorConfig cc = config.collector().requireRunnable();
    Logging.configure(config.logging());
    Deque<AutoCloseable> resources = new ArrayDeque<>();
    HealthRegistry health = new HealthRegistry(options.metrics());
    ThreadPoolExecutor workers = BoundedExecutors.fixed("grpc-worker", config.server().workerThreads(), config.server().workerQueue());
    try {
      Optional<InetSocketAddress> metricsAddress = Optional.empty();
      if (config.metrics().listen().isPresent()) {
        MetricsHttpServer http = MetricsHttpServer.start(config.metrics().listen().get(), options.metrics());
        resources.push(http);
        metricsAddress = Optional.of(http.address());
      }
      Core core = Core.start(cc, cc.database().migrate(), options, health, workers, resources);
      Optional<SslContext> tls = cc.tls().plaintext() ? Optional.empty() : Optional.of(serverTls(cc.tls()));
      TcpServers tcp = TcpServers.create();
      resources.push(tcp);
      List<Server> servers = new ArrayList<>();
      Server grpc =
          tcp.start("collector.address", cc.address(), tls, config.server().limits(), cc.maxMessageSize(),
              core.services(config.server().reflection()), core.interceptors(), workers);
      servers.add(grpc);
      Optional<InetSocketAddress> healthAddress = Optional.empty();
      if (config.server().health().isPresent()) {
        Server h =
            tcp.start("server.health_address", config.server().health().get(), Optional.empty(), config.server().limits(),
                config.server().limits().maxInboundMessageSize(), List.of(core.healthService()), core.interceptors(), workers);
        servers.add(h);
        healthAddress = Optional.of((InetSocketAddress) h.getListenSockets().get(0));
      }
      health.markStarted();
      return new RunningCollector(
          servers,
          new RunningCollector.Addresses(Optional.of((InetSocketAddress) grpc.getListenSockets().get(0)), healthAddress, metricsAddress),
          health, workers, config.server().shutdownGrace(), resources, core.components());
    } catch (IOException | RuntimeException e) {
      workers.shutdownNow();
      Closeables.closeAfterFailure(resources, e);
      throw e;
    }
  }

  /** A started in-process collector and a channel to it. {@link #close()} stops both. */
  public record InProcessCollector(ManagedChannel channel, RunningCollector collector) implements AutoCloseable {
    @Override
    public void close() throws InterruptedException {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      collector.shutdown();
    }
  }

  /**
   * Dev mode: a collector in this process storing into database {@value CollectorDatabase#DATABASE}
   * of the embedded PostgreSQL {@code database} (created, bootstrapped with the collector's roles,
   * their password files kept beside the embedded server's, and migrated; idempotent). {@code
   * config.address}, {@code config.tls} and {@code config.database}'s connection keys are not used.
   *
   * @return the collector and an in-process channel to it, for {@code Main.StartOptions.collectorChannel}
   */
  public static InProcessCollector startInProcess(CollectorConfig config, EmbeddedDatabase database, Options options) throws IOException {
    Path ownerPassword = database.rolePasswordFile(CollectorDatabase.OWNER_ROLE);
    Path collectorPassword = database.rolePasswordFile(CollectorDatabase.COLLECTOR_ROLE);
    try {
      DatabaseBootstrap.createDatabaseIfMissing(database.superuserDataSource("postgres"), CollectorDatabase.DATABASE);
      CollectorDatabase.bootstrap(database.superuserDataSource(CollectorDatabase.DATABASE), ownerPassword, collectorPassword);
    } catch (SQLException e) {
      throw io.apixx.flow.sidecar.persistence.DatabaseException.from(e);
    }
    DatabaseConfig db =
        config.database().withConnection(
            database.jdbcUrl(CollectorDatabase.DATABASE), CollectorDatabase.COLLECTOR_ROLE, collectorPassword,
            CollectorDatabase.OWNER_ROLE, ownerPassword);
    return startInProcess(config.withDatabase(db), true, options);
  }

  /**
   * A collector in this process for a database given by {@code config.database} (URL and password
   * files set; migrated when {@code migrate} is on). Tests use it; dev mode uses {@link
   * #startInProcess(CollectorConfig, EmbeddedDatabase, Options)}.
   */
  public static InProcessCollector startInProcess(CollectorConfig config, Options options) throws IOException {
    return startInProcess(config, config.database().migrate(), options);
  }

  private static InProcessCollector startInProcess(CollectorConfig cc, boolean migrate, Options options) throws IOException {
    Deque<AutoCloseable> resources = new ArrayDeque<>();
    // Its own health registry and gauges: the daemon beside it has a "db" dependency of its own.
    HealthRegistry health = new HealthRegistry(Metrics.forTesting());
    ThreadPoolExecutor workers = BoundedExecutors.fixed("collector-worker", 4, 1024);
    try {
      Core core = Core.start(cc, migrate, options, health, workers, resources);
      String name = "flow-collector-" + UUID.randomUUID();
      InProcessServerBuilder b = InProcessServerBuilder.forName(name).executor(workers).maxInboundMessageSize(cc.maxMessageSize().toIntBytes());
      core.services(true).forEach(b::addService);
      List<ServerInterceptor> interceptors = core.interceptors();
      // ServerBuilder runs the interceptor added last first; ours are listed in execution order.
      for (int i = interceptors.size() - 1; i >= 0; i--) {
        b.intercept(interceptors.get(i));
      }
      Server server = b.build().start();
      health.markStarted();
      RunningCollector running =
          new RunningCollector(List.of(server), RunningCollector.Addresses.none(), health, workers, Duration.ofSeconds(5), resources, core.components());
      log.info("{}", running.readyLine());
      return new InProcessCollector(InProcessChannelBuilder.forName(name).directExecutor().build(), running);
    } catch (IOException | RuntimeException e) {
      workers.shutdownNow();
      Closeables.closeAfterFailure(resources, e);
      throw e;
    }
  }

  /** What both ways of running share: database, store, background work, services, interceptors. */
  private record Core(
      RunningCollector.Components components,
      ServerServiceDefinition healthService,
      ServerServiceDefinition collectorService,
      List<ServerInterceptor> interceptors) {

    static Core start(
        CollectorConfig cc, boolean migrate, Options options, HealthRegistry health, Executor workers, Deque<AutoCloseable> resources) {
      Clock clock = options.clock();
      ServiceTokens tokens;
      try {
        tokens = ServiceTokens.load(cc.serviceTokensPath(), clock);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("collector.service_tokens_file", e.getMessage(), e);
      }
      if (migrate) {
        CollectorDatabase.migrate(cc.database());
      }
      CollectorDatabase db = CollectorDatabase.open(cc);
      resources.push(db);
      CollectorMetrics metrics = new CollectorMetrics(options.metrics().registry());
      AuditStore store = new AuditStore(db.ingest(), db.query(), metrics);
      PartitionMaintenance maintenance = new PartitionMaintenance(db.owner(), cc.retentionMonths(), clock);
      HttpClient http = options.webhookClient().orElseGet(() -> {
        HttpClient own = WebhookDispatcher.httpClient(cc.webhooks());
        resources.push(own::shutdownNow);
        return own;
      });
      WebhookDispatcher webhooks = new WebhookDispatcher(db.webhooks(), http, clock, cc.webhooks(), metrics);

      health.register(HEALTH_DB);
      health.set(HEALTH_DB, store.ping());
      // Partitions before the first event: one that arrives without its month's partition lands in
      // the default partition, and that month's partition can then no longer be created.
      PartitionMaintenance.Result first = maintenance.run();
      metrics.maintenance(first);

      ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(3, BoundedExecutors.threadFactory("collector-background"));
      resources.push(scheduler::shutdownNow);
      Duration dbInterval = cc.database().healthInterval();
      scheduler.scheduleWithFixedDelay(
          guarded("db health", () -> health.set(HEALTH_DB, store.ping())), dbInterval.toMillis(), dbInterval.toMillis(), TimeUnit.MILLISECONDS);
      Duration poll = cc.webhooks().pollInterval();
      scheduler.scheduleWithFixedDelay(guarded("webhook delivery", webhooks::pollOnce), poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
      new MaintenanceLoop(scheduler, maintenance, metrics, cc.maintenanceInterval()).scheduleAfter(first);

      AuthInterceptor auth =
          new AuthInterceptor(CollectorAccessRules.all(), new ServiceTokenAuthenticator(tokens), new RefusalLog(), clock, Duration.ofMinutes(15));
      List<ServerInterceptor> interceptors =
          CallPipeline.of(
              new MetricsInterceptor(options.metrics()),
              new RequestContextInterceptor(Set.of()),
              auth,
              new RateLimitInterceptor(
                  // Query callers are a few control-plane services: 100 queries/s each is generous.
                  new RateLimiter(100, 200, 10_000, System::nanoTime),
                  new RateLimiter(1000, 2000, 10_000, System::nanoTime),
                  CallPipeline::rateLimitSubject,
                  // Ingest is paced by flow control and mTLS-authenticated; health is for probes.
                  Set.of(AuditIngestServiceGrpc.getStreamMethod().getFullMethodName(), "grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch")),
              new TenantGuardInterceptor(new RefusalLog(), clock));
      return new Core(
          new RunningCollector.Components(store, maintenance, webhooks, metrics),
          health.service().bindService(),
          new CollectorGrpcService(store, workers, clock, cc.retentionMonths()).bindService(),
          interceptors);
    }

    List<ServerServiceDefinition> services(boolean reflection) {
      List<ServerServiceDefinition> out = new ArrayList<>(List.of(healthService, collectorService));
      if (reflection) {
        out.add(ProtoReflectionServiceV1.newInstance().bindService());
        // v1alpha too: grpcurl and grpcio-reflection clients still ask for it first.
        @SuppressWarnings("deprecation")
        BindableService alpha = ProtoReflectionService.newInstance();
        out.add(alpha.bindService());
      }
      return out;
    }
  }

  /** Partition maintenance every interval, and every minute while a run leaves something undone. */
  private record MaintenanceLoop(ScheduledExecutorService scheduler, PartitionMaintenance maintenance, CollectorMetrics metrics, Duration interval) {
    void scheduleAfter(PartitionMaintenance.Result previous) {
      Duration next = previous.failed().isEmpty() || interval.compareTo(MAINTENANCE_RETRY) < 0 ? interval : MAINTENANCE_RETRY;
      try {
        scheduler.schedule(this::runOnce, next.toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // Shutting down.
      }
    }

    private void runOnce() {
      PartitionMaintenance.Result result = new PartitionMaintenance.Result(List.of(), List.of(), List.of("(run)"));
      try {
        result = maintenance.run();
        metrics.maintenance(result);
      } catch (RuntimeException e) {
        log.error("audit partition maintenance failed", e);
      } finally {
        scheduleAfter(result);
      }
    }
  }

  private interface Task {
    void run() throws Exception;
  }

  /** A periodic task that logs its failures instead of being cancelled by them. */
  private static Runnable guarded(String what, Task task) {
    return () -> {
      try {
        task.run();
      } catch (Exception e) {
        log.warn("collector {} failed: {}", what, e.getMessage());
      }
    };
  }

  private static SslContext serverTls(CollectorConfig.Tls tls) {
    try {
      return Tls.server(Path.of(tls.certFile()), Path.of(tls.keyFile()), Optional.of(Path.of(tls.clientCaFile())));
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException("collector.tls.cert_file", "cannot load the TLS material: " + e.getMessage(), e);
    }
  }
}
