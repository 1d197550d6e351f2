package io.apixx.flow.sidecar;

import io.apixx.flow.sidecar.api.AccessRules;
import com.github.benmanes.caffeine.cache.Ticker;
import io.apixx.flow.sidecar.auth.InlineCallPolicy;
import io.apixx.flow.sidecar.auth.JwkSource;
import io.apixx.flow.sidecar.auth.MfaService;
import io.apixx.flow.sidecar.auth.OidcLogin;
import io.apixx.flow.sidecar.auth.PasswordHasher;
import io.apixx.flow.sidecar.auth.PasswordLogin;
import io.apixx.flow.sidecar.auth.RunTokenExchange;
import io.apixx.flow.sidecar.auth.RunTokenVerifier;
import io.apixx.flow.sidecar.auth.SessionAuthenticator;
import io.apixx.flow.sidecar.auth.SessionService;
import io.apixx.flow.sidecar.auth.Throttle;
import io.apixx.flow.sidecar.auth.Totp;
import io.apixx.flow.sidecar.auth.UserStore;
import io.apixx.flow.sidecar.auth.UserAccounts;
import io.apixx.flow.sidecar.credentials.CredentialLimits;
import io.apixx.flow.sidecar.credentials.CredentialService;
import io.apixx.flow.sidecar.crypto.kms.KmsHealth;
import io.apixx.flow.sidecar.dev.DevSeed;
import io.apixx.flow.sidecar.dev.DevUsers;
import io.apixx.flow.sidecar.config.AuthConfig;
import io.apixx.flow.sidecar.config.ConfigException;
import io.apixx.flow.sidecar.config.DatabaseConfig;
import io.apixx.flow.sidecar.crypto.EnvelopeAead;
import io.apixx.flow.sidecar.crypto.kms.DekCache;
import io.apixx.flow.sidecar.crypto.kms.Kms;
import io.apixx.flow.sidecar.crypto.kms.KmsFactory;
import io.apixx.flow.sidecar.persistence.ChangeFeed;
import io.apixx.flow.sidecar.persistence.Database;
import io.apixx.flow.sidecar.persistence.DatabaseHealthMonitor;
import io.apixx.flow.sidecar.persistence.EmbeddedDatabase;
import io.apixx.flow.sidecar.persistence.Migrations;
import io.apixx.flow.sidecar.persistence.TenantScope;
import io.apixx.flow.sidecar.tenancy.TenantDirectory;
import java.time.Duration;
import java.util.Set;
import io.apixx.flow.sidecar.api.AuditIngestGrpcService;
import io.apixx.flow.sidecar.api.CallPipeline;
import io.apixx.flow.sidecar.api.CredentialGrpcService;
import io.apixx.flow.sidecar.api.IdentityGrpcService;
import io.apixx.flow.sidecar.audit.AuditSpool;
import io.apixx.flow.sidecar.audit.AuditUploader;
import io.apixx.flow.sidecar.auth.AuthInterceptor;
import io.apixx.flow.sidecar.auth.Authenticator;
import io.apixx.flow.sidecar.auth.ServiceTokens;
import io.apixx.flow.sidecar.cli.FlowSidecarCommand;
import io.apixx.flow.sidecar.config.AuditConfig;
import io.apixx.flow.sidecar.config.SidecarConfig;
import io.apixx.flow.sidecar.observability.Logging;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.observability.MetricsHttpServer;
import io.apixx.flow.sidecar.server.BoundedExecutors;
import io.apixx.flow.sidecar.server.CallExecutors;
import io.apixx.flow.sidecar.server.HealthRegistry;
import io.apixx.flow.sidecar.server.MetricsInterceptor;
import io.apixx.flow.sidecar.server.RateLimitInterceptor;
import io.apixx.flow.sidecar.server.RateLimiter;
import io.apixx.flow.sidecar.config.LimitsConfig;
import io.apixx.flow.sidecar.server.RequestContextInterceptor;
import io.apixx.flow.sidecar.server.SidecarServer;
import io.apixx.flow.sidecar.server.Tls;
import io.apixx.flow.sidecar.tenancy.TenantGuardInterceptor;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root. {@link #main} hands the command line to picocli; {@link #start} builds
 * every component from the frozen configuration, wires them through their constructors and starts
 * the listeners. Nothing else in the daemon creates components or reads configuration.
 */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);
  /** The dependency names in {@code grpc.health.v1}. */
  public static final String HEALTH_AUDIT = "audit";



  private Main() {}

  public static void main(String[] args) {
    System.exit(FlowSidecarCommand.execute(args));
  }

  /**
   * Options of one start that are not configuration.
   *
   * @param metrics the metrics registry (process-wide, or a fresh one per test)
   * @param clock the clock every component uses
   * @param extraServices services added beside the daemon's (tests)
   * @param collectorChannel overrides how the audit uploader reaches the collector (dev mode's
   *     in-process collector); empty: from {@code audit.collector}
   */
  public record StartOptions(
      Metrics metrics,
      Clock clock,
      List<BindableService> extraServices,
      Optional<ManagedChannel> collectorChannel,
      boolean devSeed,
      Path devDirectory) {
    /** The process defaults. */
    public static StartOptions process() {
      return new StartOptions(Metrics.create(), Clock.systemUTC(), List.of(), Optional.empty(), false, Path.of(".dev"));
    }

    public StartOptions(Metrics metrics, List<BindableService> extraServices) {
      this(metrics, Clock.systemUTC(), extraServices, Optional.empty(), false, Path.of(".dev"));
    }

    /** Dev mode: seed the demo tenant, credentials and users; collector in process when given. */
    public StartOptions forDev(Path dir, Optional<ManagedChannel> collector) {
      return new StartOptions(metrics, clock, extraServices, collector, true, dir);
    }
  }

  /**
   * Builds and starts a daemon. On failure everything already started is closed again.
   *
   * @throws io.apixx.flow.sidecar.config.ConfigException when a listener cannot be bound
   */
  public static RunningSidecar start(SidecarConfig config, StartOptions options) throws IOException, InterruptedException {
    Logging.configure(config.logging());
    Metrics metrics = options.metrics();
    Clock clock = options.clock();
    Deque<AutoCloseable> resources = new ArrayDeque<>();
    HealthRegistry health = new HealthRegistry(metrics);
    ThreadPoolExecutor workers = BoundedExecutors.fixed("grpc-worker", config.server().workerThreads(), config.server().workerQueue());
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, BoundedExecutors.threadFactory("maintenance"));
    resources.push(scheduler::shutdownNow);
    try {
      Optional<InetSocketAddress> metricsAddress = Optional.empty();
      if (config.metrics().listen().isPresent()) {
        MetricsHttpServer http = MetricsHttpServer.start(config.metrics().listen().get(), metrics);
        resources.push(http);
        metricsAddress = Optional.of(http.address());
      }

      // Audit: the spool first, because nothing privileged may happen without it.
      AuditConfig ac = config.audit();
      health.register(HEALTH_AUDIT);
      AuditSpool spool =
          AuditSpool.open(
              new AuditSpool.Settings(Path.of(ac.spoolDir()), ac.spoolMaxSize().bytes(), ac.segmentSize().bytes(), ac.queueCapacity(), ac.maxBatch()),
              config.region(),
              config.instanceId(),
              ok -> health.set(HEALTH_AUDIT, ok));
      resources.push(spool);
      health.set(HEALTH_AUDIT, spool.probe());
      scheduler.scheduleWithFixedDelay(spool::probe, ac.healthInterval().toMillis(), ac.healthInterval().toMillis(), TimeUnit.MILLISECONDS);

      // The database: embedded in dev mode, external otherwise.
      DatabaseConfig dbc = config.database();
      Optional<ManagedChannel> collector = options.collectorChannel();
      if (dbc.embedded().enabled()) {
        EmbeddedDatabase embedded = EmbeddedDatabase.start(dbc.embedded());
        resources.push(embedded);
        dbc = embedded.applyTo(dbc);
        if (options.devSeed() && collector.isEmpty()) {
          // Dev mode: the collector runs in this process against database flow_audit of the
          // embedded server, so a release shows up in the audit table with nothing else running.
          CollectorMain.InProcessCollector dev =
              CollectorMain.startInProcess(config.collector(), embedded, new CollectorMain.Options(metrics, clock, Optional.empty()));
          resources.push(dev);
          collector = Optional.of(dev.channel());
        }
      }
      // The uploader streams the spool to the collector: configured, or dev mode's own.
      collector = collector.or(() -> collectorChannel(ac.collector()));
      if (collector.isPresent()) {
        ManagedChannel channel = collector.get();
        if (options.collectorChannel().isPresent() || ac.collector().target().isPresent()) {
          resources.push(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        }
        AuditUploader uploader =
            new AuditUploader(spool, channel, ac.collector().batchSize(), ac.collector().maxInFlight(),
                ac.collector().backoffInitial(), ac.collector().backoffMax(), ac.collector().ackTimeout(), metrics);
        resources.push(uploader.start());
      }
      if (!dbc.configured()) {
        throw new ConfigException("database.url", "is required: sessions, users and credentials live in PostgreSQL");
      }
      if (dbc.migrate()) {
        Migrations.migrate(dbc);
      }
      Database database = Database.open(dbc);
      resources.push(database);
      resources.push(DatabaseHealthMonitor.start(database, health, dbc));
      TenantScope tenants = database.tenants();
      ChangeFeed feed = new ChangeFeed(Database.changeFeedConnections(dbc), Set.of(SessionService.CHANNEL, CredentialService.CHANNEL), connected -> {});

      // Keys: the tenant KMS behind the data-key cache.
      if (config.kms().uri().isBlank()) {
        throw new ConfigException("kms.uri", "is required: credentials are sealed under a per-tenant KMS key");
      }
      // Health watches the backend itself (cache hits are no evidence that the KMS works).
      Kms monitored = KmsHealth.monitor(KmsFactory.create(config.kms(), clock, scheduler), health, scheduler, Duration.ofSeconds(2), Duration.ofSeconds(30));
      Kms kms = DekCache.wrap(monitored, config.kms().dekCache(), Ticker.systemTicker());
      resources.push(kms);
      EnvelopeAead aead = EnvelopeAead.create();

      // Authentication.
      AuthConfig auth = config.auth();
      TenantDirectory directory = new TenantDirectory(tenants, Duration.ofSeconds(30), Ticker.systemTicker());
      SessionService sessions = new SessionService(tenants, directory, auth.sessions(), clock, Ticker.systemTicker());
      feed.subscribe(SessionService.CHANNEL, sessions);
      ServiceTokens serviceTokens = ServiceTokens.load(optionalPath(auth.serviceTokensFile()), clock);
      RunTokenVerifier verifier =
          new RunTokenVerifier(runTokenKeys(auth.runTokens(), clock), auth.runTokens().issuer(), auth.runTokens().audience(),
              auth.runTokens().algorithms(), auth.runTokens().maxClockSkew(), auth.runTokens().maxLifetime(), clock);
      // 0: half the CPUs (at least one), so that a login storm leaves CPU to the cached paths
      // (ValidateSession, GetCredential); at the lowest priority (nice 19 through the launcher's
      // flags), so that a bcrypt thread mostly yields the CPU it shares with them. Not always: the
      // kernel still picks it now and then while one of theirs waits, until its next tick (README,
      // Performance, "Login storm"). bench/results/report.md measures the trade-off.
      int hashThreads = auth.passwords().hashThreads() == 0 ? Math.max(1, Runtime.getRuntime().availableProcessors() / 2) : auth.passwords().hashThreads();
      PasswordHasher hasher =
          new PasswordHasher(auth.passwords().bcryptCost(), BoundedExecutors.fixedLowPriority("bcrypt", hashThreads, auth.passwords().hashQueue()));
      resources.push(hasher);
      UserStore users = new UserStore(tenants);
      Throttle throttle = new Throttle(tenants, auth.throttle(), clock);
      RunTokenExchange runTokens = new RunTokenExchange(verifier, tenants, directory, sessions, spool, clock);
      PasswordLogin passwords = new PasswordLogin(users, hasher, throttle, sessions, tenants, spool, clock, workers);
      MfaService mfa =
          new MfaService(tenants, users, sessions, throttle, kms, aead, new Totp(clock), spool, clock, auth.mfa().issuer(), auth.mfa().enrollmentTtl());
      OidcLogin oidc = new OidcLogin(directory, users, sessions, tenants, spool, clock, auth.oidc().maxClockSkew(), auth.oidc().allowHttpLoopbackJwks());
      Authenticator authenticator = new SessionAuthenticator(sessions, serviceTokens);

      // Credentials.
      CredentialService credentials =
          CredentialService.create(tenants, kms, aead, spool, directory, config.region(), clock, Ticker.systemTicker(), feed, CredentialLimits.defaults());
      resources.push(credentials);
      if (dbc.changeFeedEnabled()) {
        resources.push(feed.start());
      } else {
        // Large fleets: no LISTEN session per daemon; caches alone bound staleness.
        log.info("change feed off (database.listen_url: none): revocations reach this daemon within the cache lifetimes");
      }
      if (options.devSeed()) {
        DevSeed.create(tenants, directory, credentials, config.region()).ensure();
        DevUsers.ensure(new UserAccounts(tenants, hasher, sessions, spool, clock), options.devDirectory());
      }

      List<ServerServiceDefinition> services = new ArrayList<>();
      ServerServiceDefinition healthService = health.service().bindService();
      services.add(healthService);
      if (config.server().reflection()) {
        services.add(ProtoReflectionServiceV1.newInstance().bindService());
        // v1alpha too: grpcurl and grpcio-reflection clients still ask for it first.
        @SuppressWarnings("deprecation")
        BindableService alpha = ProtoReflectionService.newInstance();
        services.add(alpha.bindService());
      }
      services.add(new IdentityGrpcService(runTokens, passwords, mfa, oidc, sessions, spool).bindService());
      services.add(new CredentialGrpcService(credentials).bindService());
      services.add(new AuditIngestGrpcService().bindService());
      java.util.Map<String, io.apixx.flow.sidecar.auth.Access> rules = new java.util.HashMap<>(AccessRules.all());
      for (BindableService extra : options.extraServices()) {
        ServerServiceDefinition def = ServerInterceptors.intercept(extra);
        services.add(def);
        // Test-only services are public: they exist to exercise the server, not the access rules.
        def.getMethods().forEach(m -> rules.put(m.getMethodDescriptor().getFullMethodName(), io.apixx.flow.sidecar.auth.Access.PUBLIC));
      }

      LimitsConfig limits = config.server().limits();
      SidecarServer server =
          SidecarServer.start(
              config.server(),
              services,
              CallPipeline.of(
                  new MetricsInterceptor(metrics),
                  new RequestContextInterceptor(new HashSet<>(config.server().allowedPeerUids())),
                  new AuthInterceptor(rules, authenticator, spool, clock, config.auth().mfa().stepUpMaxAge()),
                  new RateLimitInterceptor(
                      new RateLimiter(limits.ratePerPrincipal(), limits.burstPerPrincipal(), 100_000, System::nanoTime),
                      new RateLimiter(limits.ratePerTenant(), limits.burstPerTenant(), 100_000, System::nanoTime),
                      CallPipeline::rateLimitSubject,
                      publicMethods(rules)),
                  new TenantGuardInterceptor(spool, clock)),
              new CallExecutors(
                  workers,
                  new InlineCallPolicy(CallPipeline.inlineWhenCached(), sessions)),
              healthService);
      health.markStarted();
      return new RunningSidecar(server, health, workers, metricsAddress, config.server().shutdownGrace(), resources);
    } catch (IOException | RuntimeException e) {
      workers.shutdownNow();
      closeAll(resources, e);
      throw e;
    }
  }

  private static void closeAll(Deque<AutoCloseable> resources, Exception e) {
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
    }
  }

  /** The channel to the collector from {@code audit.collector}, if one is configured. */
  private static Optional<ManagedChannel> collectorChannel(AuditConfig.Collector c) {
    return c.target().map(address -> {
      NettyChannelBuilder b = NettyChannelBuilder.forAddress(address.host(), address.port());
      if (c.plaintext()) {
        b.usePlaintext();
      } else {
        try {
          b.sslContext(Tls.client(Path.of(c.caFile()), Optional.of(Path.of(c.certFile())), Optional.of(Path.of(c.keyFile()))));
        } catch (IOException e) {
          throw new ConfigException("audit.collector.cert_file", "cannot load the TLS material: " + e.getMessage(), e);
        }
        if (!c.serverName().isBlank()) {
          b.overrideAuthority(c.serverName());
        }
      }
      return b.build();
    });
  }

  /** Where run-token verification keys come from: a JWKS file, an https URL, or nowhere. */
  private static JwkSource runTokenKeys(AuthConfig.RunTokens rt, Clock clock) {
    if (rt.jwksFile() != null && !rt.jwksFile().isBlank()) {
      return JwkSource.file(Path.of(rt.jwksFile()), clock);
    }
    if (rt.jwksUrl() != null && !rt.jwksUrl().isBlank()) {
      try {
        return JwkSource.url(java.net.URI.create(rt.jwksUrl()).toURL(), Duration.ofMinutes(5), rt.jwksRefreshMinInterval());
      } catch (IOException | IllegalArgumentException e) {
        throw new ConfigException("auth.run_tokens.jwks_url", "is not a valid URL", e);
      }
    }
    return JwkSource.none();
  }

  private static Set<String> publicMethods(java.util.Map<String, io.apixx.flow.sidecar.auth.Access> rules) {
    Set<String> out = new java.util.HashSet<>();
    rules.forEach((m, a) -> {
      if (a == io.apixx.flow.sidecar.auth.Access.PUBLIC) {
        out.add(m);
      }
    });
    return out;
  }

  static Optional<Path> optionalPath(String value) {
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(Path.of(value));
  }

}
