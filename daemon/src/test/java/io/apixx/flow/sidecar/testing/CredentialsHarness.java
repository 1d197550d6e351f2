package io.apixx.flow.sidecar.testing;

import com.github.benmanes.caffeine.cache.Ticker;
import io.apixx.flow.sidecar.api.AccessRules;
import io.apixx.flow.sidecar.api.CallPipeline;
import io.apixx.flow.sidecar.audit.AuditSink;
import io.apixx.flow.sidecar.audit.AuditSpool;
import io.apixx.flow.sidecar.auth.AuthInterceptor;
import io.apixx.flow.sidecar.auth.Authenticator;
import io.apixx.flow.sidecar.auth.RunPrincipal;
import io.apixx.flow.sidecar.auth.ServicePrincipal;
import io.apixx.flow.sidecar.auth.UserPrincipal;
import io.apixx.flow.sidecar.config.DekCacheConfig;
import io.apixx.flow.sidecar.config.KmsConfig;
import io.apixx.flow.sidecar.config.VaultKmsConfig;
import io.apixx.flow.sidecar.credentials.CredentialLimits;
import io.apixx.flow.sidecar.credentials.CredentialMetadata;
import io.apixx.flow.sidecar.credentials.CredentialService;
import io.apixx.flow.sidecar.credentials.RequestMeta;
import io.apixx.flow.sidecar.credentials.SecretFields;
import io.apixx.flow.sidecar.crypto.EnvelopeAead;
import io.apixx.flow.sidecar.crypto.kms.DekCache;
import io.apixx.flow.sidecar.crypto.kms.Kms;
import io.apixx.flow.sidecar.crypto.kms.KmsFactory;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.persistence.ChangeFeed;
import io.apixx.flow.sidecar.persistence.Database;
import io.apixx.flow.sidecar.server.MetricsInterceptor;
import io.apixx.flow.sidecar.server.RequestContextInterceptor;
import io.apixx.flow.sidecar.tenancy.TenantDirectory;
import io.apixx.flow.sidecar.tenancy.TenantGuardInterceptor;
import io.apixx.flow.sidecar.v1.AuditEvent;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Real components for credential tests: the shared PostgreSQL (as flow_app, row level security in
 * force), a change feed on it, a local keyring in a temporary directory behind a {@link
 * SwitchableKms} and a {@link DekCache}, an {@link AuditSpool} in the same directory, and a
 * {@link CredentialService} over them with a {@link MutableClock} and a {@link FakeTicker} for
 * the row cache. Helpers make tenants (us-east-1), principals, and seal credentials. Close it
 * after the test.
 */
public final class CredentialsHarness implements AutoCloseable {
  /** The daemon region of {@link #service}. */
  public static final String REGION = "us-east-1";

  public final PostgresHarness pg = PostgresHarness.shared();
  public final Fixtures fixtures = pg.fixtures();
  public final Path dir;
  public final MutableClock clock = new MutableClock(java.time.Instant.now());
  public final FakeTicker ticker = new FakeTicker();
  public final Database db;
  public final ChangeFeed feed;
  public final SwitchableKms switchable;
  public final DekCache kms;
  public final AuditSpool spool;
  public final TenantDirectory directory;
  public final CredentialService service;

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();

  public CredentialsHarness(Path dir) {
    this(dir, CredentialLimits.defaults());
  }

  public CredentialsHarness(Path dir, CredentialLimits limits) {
    this.dir = dir;
    try {
      db = pg.openDatabase();
      resources.push(db);
      feed = openFeed();
      Kms live = keyring("keyring.json");
      Kms closed = keyring("keyring.json");
      closed.close();
      switchable = new SwitchableKms(live, closed);
      kms = DekCache.wrap(switchable, new DekCacheConfig(Duration.ofMinutes(5), 10_000, 10_000), Ticker.systemTicker());
      resources.push(kms);
      spool = openSpool("audit", 64L << 20);
      directory = new TenantDirectory(db.tenants(), Duration.ofMillis(100), Ticker.systemTicker());
      service = newService(db, feed, kms, spool, ticker, limits);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Another service over the same components, with its own sink, ticker or limits. */
  public CredentialService newService(
      Database database, ChangeFeed changeFeed, Kms keys, AuditSink sink, Ticker rowTicker, CredentialLimits limits) {
    CredentialService s =
        CredentialService.create(
            database.tenants(),
            keys,
            EnvelopeAead.create(),
            sink,
            // The harness's own pool shares its directory (as a daemon would); others get theirs.
            database == db ? directory : new TenantDirectory(database.tenants(), Duration.ofMillis(100), Ticker.systemTicker()),
            REGION,
            clock,
            rowTicker,
            changeFeed,
            limits);
    resources.push(s);
    return s;
  }

  /**
   * A started change feed on {@link CredentialService#CHANNEL}, closed with the harness. Returns
   * once it is connected and has sent its first resync, so services subscribed afterwards see no
   * resync at a moment the test does not control.
   */
  public ChangeFeed openFeed() {
    ChangeFeed f =
        new ChangeFeed(() -> pg.appDataSource().getConnection(), Set.of(CredentialService.CHANNEL), ok -> {});
    resources.push(f);
    CountDownLatch synced = new CountDownLatch(1);
    f.subscribe(
        CredentialService.CHANNEL,
        new ChangeFeed.Listener() {
          @Override
          public void notified(String payload) {}

          @Override
          public void resync() {
            synced.countDown();
          }
        });
    f.start();
    try {
      if (!synced.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the change feed did not connect");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return f;
  }

  /**
   * Records the notifications {@code f} delivers. Subscribe it after the services under test: a
   * feed calls its listeners in order, so once this one has seen a notification they have too.
   */
  public static Notifications record(ChangeFeed f) {
    Notifications n = new Notifications();
    f.subscribe(CredentialService.CHANNEL, n);
    return n;
  }

  /** Notifications seen on one feed. */
  public static final class Notifications implements ChangeFeed.Listener {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private final List<com.fasterxml.jackson.databind.JsonNode> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void notified(String payload) {
      try {
        seen.add(JSON.readTree(payload));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void resync() {}

    /** Waits up to 10 s for a notification about version {@code version} of the connector. */
    public void await(String tenant, String connector, int version) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (seen.stream()
          .noneMatch(n -> n.path("tenant_id").asText().equals(tenant)
              && n.path("connector_id").asText().equals(connector)
              && n.path("version").asInt() == version)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no notification for " + connector + " v" + version);
        }
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      }
    }
  }

  /** A new connection pool to the shared database, closed with the harness. */
  public Database openDatabase() {
    Database d = pg.openDatabase();
    resources.push(d);
    return d;
  }

  /** An audit spool under {@code dir/name} holding at most {@code maxBytes}, closed with the harness. */
  public AuditSpool openSpool(String name, long maxBytes) {
    try {
      AuditSpool s =
          AuditSpool.open(new AuditSpool.Settings(dir.resolve(name), maxBytes, 1 << 20, 1024, 64), REGION, "test", ok -> {});
      resources.push(s);
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The local keyring {@code dir/file}, through the factory that production uses. */
  public Kms keyring(String file) {
    KmsConfig config =
        new KmsConfig(
            "file:" + dir.resolve(file),
            Duration.ofSeconds(2),
            Duration.ofSeconds(5),
            0,
            Duration.ofMillis(100),
            Duration.ofSeconds(1),
            new DekCacheConfig(Duration.ofMinutes(5), 10_000, 10_000),
            new VaultKmsConfig("kubernetes", "flow-sidecar", "kubernetes", "/var/run/secrets/kubernetes.io/serviceaccount/token", "", "", "", "flow-tenant-", ""));
    return KmsFactory.create(config, clock, scheduler);
  }

  /**
   * The daemon's interceptor chain ({@link CallPipeline}) in execution order, with {@code
   * authenticator} for tokens, the real access rules, and this harness's spool and clock.
   */
  public List<ServerInterceptor> interceptors(Authenticator authenticator) {
    return CallPipeline.of(
        new MetricsInterceptor(Metrics.forTesting()),
        new RequestContextInterceptor(Set.of()),
        new AuthInterceptor(AccessRules.all(), authenticator, spool, clock, Duration.ofMinutes(15)),
        new io.apixx.flow.sidecar.server.RateLimitInterceptor(
            new io.apixx.flow.sidecar.server.RateLimiter(1_000_000, 1_000_000, 1000, System::nanoTime),
            new io.apixx.flow.sidecar.server.RateLimiter(1_000_000, 1_000_000, 1000, System::nanoTime),
            CallPipeline::rateLimitSubject,
            Set.of()),
        new TenantGuardInterceptor(spool, clock));
  }

  /** Adds {@code chain} (execution order) to {@code builder}, which runs the last one added first. */
  public static <B extends ServerBuilder<B>> B intercept(B builder, List<ServerInterceptor> chain) {
    for (int i = chain.size() - 1; i >= 0; i--) {
      builder.intercept(chain.get(i));
    }
    return builder;
  }

  /** A new tenant resident in {@link #REGION}. */
  public String tenant(String prefix) {
    String id = Fixtures.uniqueTenantId(prefix);
    fixtures.tenant(id);
    return id;
  }

  /** A run of {@code tenant} whose token lists {@code connectors}, its session valid for an hour. */
  public RunPrincipal run(String tenant, String... connectors) {
    byte[] hash = new byte[32];
    ThreadLocalRandom.current().nextBytes(hash);
    return new RunPrincipal(
        tenant,
        "run-" + UUID.randomUUID().toString().substring(0, 8),
        "wf-test",
        Set.of(connectors),
        clock.instant().plus(Duration.ofHours(1)),
        HexFormat.of().formatHex(hash));
  }

  /** A control-plane service allowed on {@code tenants}. */
  public static ServicePrincipal servicePrincipal(String... tenants) {
    return new ServicePrincipal("control-plane", Set.of(tenants), ServicePrincipal.Method.TOKEN);
  }

  /** A user of {@code tenant} with {@code roles} (stored, so the policies see them), MFA just now. */
  public UserPrincipal user(String tenant, String... roles) {
    UUID id = fixtures.user(tenant, "u-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com", roles);
    return new UserPrincipal(tenant, id, "user@example.com", Set.of(roles), Optional.of(clock.instant()), "");
  }

  /** Seals {@code fields} for {@code connector} as a service of {@code tenant}. */
  public CredentialMetadata seal(String tenant, String connector, Map<String, String> fields) {
    try (SecretFields f = SecretFields.fromStrings(fields)) {
      return service.seal(servicePrincipal(tenant), tenant, connector, "", f, meta());
    }
  }

  /** Rotates to {@code fields} as a service of {@code tenant}. */
  public CredentialMetadata rotate(CredentialService s, String tenant, String connector, Map<String, String> fields) {
    try (SecretFields f = SecretFields.fromStrings(fields)) {
      return s.rotate(servicePrincipal(tenant), tenant, connector, f, meta());
    }
  }

  public static RequestMeta meta() {
    return RequestMeta.internal("test-request");
  }

  /** Every durable record of the harness's spool. */
  public List<AuditEvent> audit() {
    return read(spool);
  }

  /** Every durable record of {@code s}. */
  public static List<AuditEvent> read(AuditSpool s) {
    try {
      return s.read(0, 1_000_000);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The records of {@code tenant} with {@code action}. */
  public List<AuditEvent> audit(String tenant, String action) {
    return audit().stream().filter(e -> e.getTenantId().equals(tenant) && e.getAction().equals(action)).toList();
  }

  @Override
  public void close() {
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        // best effort in tests
      }
    }
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
