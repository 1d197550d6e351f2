package io.apixx.flow.sidecar.testing;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.auth.RunTokenMinter;
import io.apixx.flow.sidecar.auth.Tokens;
import io.apixx.flow.sidecar.client.FlowSidecarClient;
import io.apixx.flow.sidecar.config.DatabaseConfig;
import io.apixx.flow.sidecar.v1.CredentialMetadata;
import io.apixx.flow.sidecar.v1.RevokeCredentialRequest;
import io.apixx.flow.sidecar.v1.RotateCredentialRequest;
import io.apixx.flow.sidecar.v1.SealCredentialRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything an end-to-end fault test needs around real daemon processes: a tenant in a
 * PostgreSQL of the test harness, an orchestrator key (JWKS file) to mint run tokens, a service
 * token for the control-plane RPCs, a shared local keyring, and a real {@code flow-sidecar
 * collector} process (plaintext on a fixed loopback port, so it can be stopped and started again
 * on the same address) storing into a collector database of its own. Daemons are started with
 * {@link #startDaemon}; {@link #close} stops every process this stack started. Secrets (service
 * token, run sessions, credential values) are registered as canaries and never printed.
 * Not thread-safe, except {@link #runClient}'s clients, which are.
 */
public final class E2eStack implements AutoCloseable {
  public static final Pattern COLLECTOR_READY =
      Pattern.compile("flow-sidecar collector SERVING on (\\S+):(\\d+) \\(health (\\S+):(\\d+)\\)");
  public static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);

  public final Path dir;
  public final PostgresHarness pg;
  public final String name;
  public final String tenant;
  public final AuditDatabase audit;
  private final RunTokenMinter minter;
  private final Path jwks;
  private final Path serviceTokens;
  private final String serviceToken;
  private final int collectorPort;
  private final List<DaemonProcess> processes = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private DaemonProcess collector;
  private int collectorStarts;

  private E2eStack(Path dir, PostgresHarness pg, String name) throws Exception {
    this.dir = dir;
    this.pg = pg;
    this.name = name;
    this.tenant = Fixtures.uniqueTenantId(name);
    pg.fixtures().tenant(tenant);
    ECKey key = new ECKeyGenerator(Curve.P_256).keyID("e2e-orchestrator").generate();
    Canaries.register(key.getD().decode());
    jwks = Files.writeString(dir.resolve("jwks.json"), new JWKSet(key.toPublicJWK()).toString(true));
    minter = new RunTokenMinter(key, "flow-orchestrator", "flow-sidecar", Clock.systemUTC());
    serviceToken = Canaries.register(Tokens.newServiceToken());
    serviceTokens = Files.writeString(dir.resolve("service-tokens.yaml"),
        "- name: e2e-control-plane\n  token_sha256: " + Tokens.hashHex(serviceToken) + "\n  tenants: [\"*\"]\n");
    audit = AuditDatabase.create(name.replaceAll("[^a-z]", ""));
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      collectorPort = s.getLocalPort();
    }
  }

  /**
   * A stack named {@code name} (lowercase letters; also the prefix of tenant, log and instance
   * names) under {@code dir}, whose daemons use {@code pg} (the collector database is always in the
   * shared server, so a daemon database outage does not touch the collector).
   */
  public static E2eStack create(String name, Path dir, PostgresHarness pg) throws Exception {
    return new E2eStack(dir, pg, name);
  }

  // ---- the collector ----

  /** The port daemons send their audit streams to. */
  public int collectorPort() {
    return collectorPort;
  }

  /** A free loopback port now. */
  public static int freePort() throws java.io.IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** {@code host:port} daemons stream to (the same across collector restarts). */
  public String collectorAddress() {
    return "127.0.0.1:" + collectorPort;
  }

  /** Starts the collector process (again) on {@link #collectorAddress()} and waits until it serves. */
  public DaemonProcess startCollector() throws Exception {
    return startCollectorOn(collectorPort);
  }

  /**
   * Starts the collector process (again) on loopback {@code port} (e.g. behind a {@link FaultProxy}
   * listening on {@link #collectorPort()}) and waits until it serves.
   */
  public DaemonProcess startCollectorOn(int port) throws Exception {
    Path config = Files.writeString(dir.resolve("collector.yaml"),
        "server:\n"
            + "  socket_path: " + dir.resolve("collector-run/collector.sock") + "\n"
            + "  health_address: 127.0.0.1:0\n"
            + "  shutdown_grace: 2s\n"
            + "metrics:\n"
            + "  address: 127.0.0.1:0\n"
            + "collector:\n"
            + "  address: 127.0.0.1:" + port + "\n"
            + "  tls:\n"
            + "    plaintext: true\n"
            + "  database:\n"
            + "    url: " + audit.jdbcUrl() + "\n"
            + "    password_file: " + audit.collectorPasswordFile() + "\n"
            + "    owner_password_file: " + audit.ownerPasswordFile() + "\n"
            + "    pool_min_idle: 0\n");
    collector = DaemonProcess.launch(name + "-collector-" + (++collectorStarts), dir, Map.of(), List.of("collector", "--config", config.toString()));
    processes.add(collector);
    collector.awaitLine(COLLECTOR_READY, Duration.ofSeconds(60));
    return collector;
  }

  /** Stops the collector (SIGTERM, then SIGKILL) and waits for it to exit. */
  public void stopCollector() throws InterruptedException {
    if (collector != null) {
      collector.close();
      collector = null;
    }
  }

  /** Release records of {@code requestIds} stored at the collector, counted per request id (0 if absent). */
  public Map<String, Long> releasesAtCollector(Collection<String> requestIds) {
    Map<String, Long> counts = new java.util.HashMap<>();
    for (String id : requestIds) {
      counts.put(id, 0L);
    }
    for (Map<String, Object> row : audit.sql().rows(
        "SELECT request_id, count(*) AS n FROM audit.events WHERE tenant_id = ? AND action = ? AND outcome = 'OUTCOME_SUCCESS' GROUP BY request_id",
        tenant, Actions.CREDENTIAL_RELEASE)) {
      String id = (String) row.get("request_id");
      if (counts.containsKey(id)) {
        counts.put(id, ((Number) row.get("n")).longValue());
      }
    }
    return counts;
  }

  /**
   * Asserts what every fault test promises about the audit trail: each release in {@code releases}
   * that the client saw succeed is stored at the collector exactly once (waiting up to 30 s for the
   * spool to drain), and the single daemon instance's chain has no gap and no duplicate.
   */
  public void assertSuccessfulReleasesStoredExactlyOnce(Collection<Release> releases) throws InterruptedException {
    List<String> ok = releases.stream().filter(r -> r.code() == Status.Code.OK).map(Release::requestId).toList();
    await("every successful release at the collector", Duration.ofSeconds(30),
        () -> releasesAtCollector(ok).values().stream().allMatch(n -> n >= 1));
    org.assertj.core.api.Assertions.assertThat(releasesAtCollector(ok).values()).allMatch(n -> n == 1);
    String instance = instances().get(0);
    org.assertj.core.api.Assertions.assertThat(gaps(instance)).isZero();
    org.assertj.core.api.Assertions.assertThat(duplicateSequences(instance)).isZero();
  }

  /** Records stored for {@code instance}. */
  public long recordsOf(String instance) {
    return audit.sql().count("SELECT count(*) FROM audit.events WHERE daemon_instance = ?", instance);
  }

  /** Sequence numbers stored more than once for {@code instance}. */
  public long duplicateSequences(String instance) {
    return audit.sql().count(
        "SELECT count(*) FROM (SELECT sequence FROM audit.events WHERE daemon_instance = ? GROUP BY sequence HAVING count(*) > 1) d",
        instance);
  }

  /**
   * Missing sequence numbers of {@code instance} between 1 and its highest stored one, plus the gap
   * alarms the collector raised for it.
   */
  public long gaps(String instance) {
    long missing = audit.sql().count(
        "SELECT coalesce(max(sequence), 0) - count(DISTINCT sequence) FROM audit.events WHERE daemon_instance = ?", instance);
    long alarms = audit.sql().count("SELECT count(*) FROM audit.alarms WHERE daemon_instance = ?", instance);
    return missing + alarms;
  }

  /** Daemon instance names that stored records for this stack's tenant. */
  public List<String> instances() {
    return audit.sql().rows("SELECT DISTINCT daemon_instance FROM audit.events WHERE tenant_id = ?", tenant).stream()
        .map(r -> (String) r.get("daemon_instance")).toList();
  }

  // ---- daemons ----

  /** The {@code serve} arguments of daemon {@code daemonName} under {@code dir/daemonName}, plus {@code extra} flags. */
  public List<String> serveArgs(String daemonName, List<String> extra) {
    Path d = dir.resolve(daemonName);
    DatabaseConfig db = pg.config();
    List<String> flags = new ArrayList<>(List.of(
        "instance_id=" + daemonName,
        "server.socket_path=" + d.resolve("run/sidecar.sock"),
        "server.tcp_address=127.0.0.1:0",
        "metrics.address=127.0.0.1:0",
        "server.shutdown_grace=2s",
        "audit.spool_dir=" + d.resolve("audit"),
        "audit.collector.address=" + collectorAddress(),
        "audit.collector.plaintext=true",
        "audit.collector.backoff_initial=100ms",
        "audit.collector.backoff_max=1s",
        "database.url=" + db.url(),
        "database.user=" + db.user(),
        "database.password_file=" + db.passwordFile(),
        "kms.uri=file://" + dir.resolve("keyring.json"),
        "auth.run_tokens.jwks_file=" + jwks,
        "auth.service_tokens_file=" + serviceTokens));
    // An extra flag for a key set above replaces it.
    for (String e : extra) {
      String key = e.substring(0, e.indexOf('=') + 1);
      flags.removeIf(f -> f.startsWith(key));
      flags.add(e);
    }
    List<String> args = new ArrayList<>(List.of("serve"));
    for (String f : flags) {
      args.add("--set");
      args.add(f);
    }
    return args;
  }

  /** Starts daemon {@code daemonName} (files under {@code dir/daemonName}) and waits until it serves. */
  public DaemonProcess startDaemon(String daemonName, Map<String, String> env, String... extraFlags) throws Exception {
    DaemonProcess d = DaemonProcess.launch(name + "-" + daemonName, dir, env, serveArgs(daemonName, List.of(extraFlags)));
    processes.add(d);
    try {
      d.awaitReady(Duration.ofSeconds(60));
    } catch (RuntimeException e) {
      d.close();
      throw e;
    }
    return d;
  }

  /** A channel to {@code d}'s Unix socket that records every failure status for the canary scan; closed with the stack. */
  public ManagedChannel channel(DaemonProcess d) {
    ManagedChannel ch = Grpc.newChannelBuilder("unix://" + d.socket(), InsecureChannelCredentials.create())
        .intercept(StatusRecorder.INSTANCE).build();
    channels.add(ch);
    return ch;
  }

  /** {@code grpc.health.v1} status of {@code service} ("" overall, "db", "kms", "audit", "liveness"), within 2 s. */
  public static ServingStatus health(ManagedChannel ch, String service) {
    return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  /** A control-plane client of {@code ch} (service token). */
  public FlowSidecarClient serviceClient(ManagedChannel ch) {
    return FlowSidecarClient.over(ch).withToken(serviceToken).withDeadline(Duration.ofSeconds(10));
  }

  /** Seals version 1 of {@code connector} for this tenant through {@code ch}; registers the value as a canary. */
  public CredentialMetadata seal(ManagedChannel ch, String connector, String value) {
    Canaries.register(value);
    return serviceClient(ch).credentials().sealCredential(SealCredentialRequest.newBuilder()
        .setTenantId(tenant).setConnectorId(connector).setDisplayName("E2E " + connector)
        .putSecretFields("api_token", value).build()).getMetadata();
  }

  /** Rotates {@code connector} to a new version holding {@code value}. */
  public CredentialMetadata rotate(ManagedChannel ch, String connector, String value) {
    Canaries.register(value);
    return serviceClient(ch).credentials().rotateCredential(RotateCredentialRequest.newBuilder()
        .setTenantId(tenant).setConnectorId(connector).putSecretFields("api_token", value).build()).getMetadata();
  }

  /** Revokes {@code connector}. */
  public void revoke(ManagedChannel ch, String connector) {
    serviceClient(ch).credentials().revokeCredential(RevokeCredentialRequest.newBuilder()
        .setTenantId(tenant).setConnectorId(connector).build());
  }

  /** A fresh run token for a new run of this tenant allowed {@code connectors} (a canary). */
  public String runToken(List<String> connectors) {
    return Canaries.register(minter.mint(tenant, "run-" + UUID.randomUUID().toString().substring(0, 8), "wf-e2e", connectors, Duration.ofMinutes(30)));
  }

  /** Exchanges a fresh run token through {@code ch} and returns a client of {@code ch} bearing the run session. */
  public FlowSidecarClient runClient(ManagedChannel ch, Duration deadline, String... connectors) {
    String session = FlowSidecarClient.over(ch).withDeadline(Duration.ofSeconds(10)).exchangeRunToken(runToken(List.of(connectors))).getToken();
    Canaries.register(session);
    return FlowSidecarClient.over(ch).withToken(session).withDeadline(deadline);
  }

  /** A release attempt's outcome: its request id, the status, the field value (null unless OK) and how long it took. */
  public record Release(String requestId, Status.Code code, String value, Duration took) {}

  /** One GetCredential of {@code connector} with a fresh request id. Never throws for a gRPC status. */
  public static Release release(FlowSidecarClient run, String connector) {
    String requestId = "e2e-" + UUID.randomUUID();
    Metadata h = new Metadata();
    h.put(REQUEST_ID, requestId);
    long start = System.nanoTime();
    try {
      String v = run.credentials().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h))
          .getCredential(io.apixx.flow.sidecar.v1.GetCredentialRequest.newBuilder().setConnectorId(connector).build())
          .getSecretFieldsMap().get("api_token");
      return new Release(requestId, Status.Code.OK, v, Duration.ofNanos(System.nanoTime() - start));
    } catch (StatusRuntimeException e) {
      return new Release(requestId, e.getStatus().getCode(), null, Duration.ofNanos(System.nanoTime() - start));
    }
  }

  /** Polls {@code condition} every 50 ms until it holds; fails naming {@code what} after {@code timeout}. */
  public static Duration await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    while (true) {
      boolean ok;
      try {
        ok = condition.getAsBoolean();
      } catch (RuntimeException e) {
        ok = false;
      }
      if (ok) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout + ": " + what);
      }
      Thread.sleep(50);
    }
  }

  /** Health of {@code service} through {@code ch}, or null when the call fails. */
  public static ServingStatus healthOrNull(ManagedChannel ch, String service) {
    try {
      return health(ch, service);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * Releases of one connector in a loop on one thread until closed: every outcome is kept, so a
   * test can check what callers saw during a fault (statuses, longest call, no value on failure)
   * and that every successful release reached the collector.
   */
  public static final class Load implements AutoCloseable {
    private final java.util.Queue<Release> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    private final Thread thread;

    public Load(FlowSidecarClient run, String connector, Duration pause) {
      thread = new Thread(() -> {
        while (!stop.get()) {
          seen.add(release(run, connector));
          try {
            Thread.sleep(pause.toMillis());
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "e2e-load");
      thread.setDaemon(true);
      thread.start();
    }

    /** Every outcome so far, and forgets them. */
    public List<Release> drain() {
      List<Release> out = new ArrayList<>();
      Release r;
      while ((r = seen.poll()) != null) {
        out.add(r);
      }
      return out;
    }

    /** Moves every outcome so far into {@code into}; always true (for use inside poll conditions). */
    public boolean collect(List<Release> into) {
      into.addAll(drain());
      return true;
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join(30_000);
    }
  }

  @Override
  public void close() throws Exception {
    for (ManagedChannel ch : channels) {
      ch.shutdownNow();
    }
    for (DaemonProcess p : processes) {
      try {
        p.close();
      } catch (RuntimeException | InterruptedException e) {
        // keep stopping the others
      }
    }
    for (DaemonProcess p : processes) {
      if (p.isAlive()) {
        p.kill();
      }
    }
  }

  /** Matches of the collector's ready line (for its health address). */
  public Matcher collectorReady() {
    Matcher m = COLLECTOR_READY.matcher(collector.readyLine());
    m.find();
    return m;
  }
}
