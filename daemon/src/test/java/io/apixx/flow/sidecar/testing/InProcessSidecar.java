package io.apixx.flow.sidecar.testing;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.apixx.flow.sidecar.Main;
import io.apixx.flow.sidecar.RunningSidecar;
import io.apixx.flow.sidecar.auth.RunTokenMinter;
import io.apixx.flow.sidecar.auth.Tokens;
import io.apixx.flow.sidecar.client.FlowSidecarClient;
import io.apixx.flow.sidecar.observability.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A whole daemon started in the test JVM ({@link Main#start}) on a temp directory, the shared test
 * PostgreSQL and a local keyring, with a run-token signing key, a service token and a fresh tenant.
 */
public final class InProcessSidecar implements AutoCloseable {
  public final RunningSidecar sidecar;
  public final String tenant;
  public final String serviceToken;
  public final Fixtures fixtures;
  private final RunTokenMinter minter;

  public final Path dir;

  private InProcessSidecar(RunningSidecar sidecar, String tenant, String serviceToken, Fixtures fixtures, RunTokenMinter minter, Path dir) {
    this.dir = dir;
    this.sidecar = sidecar;
    this.tenant = tenant;
    this.serviceToken = serviceToken;
    this.fixtures = fixtures;
    this.minter = minter;
  }

  public static InProcessSidecar start(Path dir, String... extraFlags) throws Exception {
    return start(dir, Clock.systemUTC(), extraFlags);
  }

  /** Like {@link #start(Path, String...)} with the daemon's clock (e.g. a {@link MutableClock}). */
  public static InProcessSidecar start(Path dir, Clock clock, String... extraFlags) throws Exception {
    ECKey key = new ECKeyGenerator(Curve.P_256).keyID("test-orchestrator").generate();
    Path jwks = Files.writeString(dir.resolve("jwks.json"), new JWKSet(key.toPublicJWK()).toString(true));
    String serviceToken = Canaries.register(Tokens.newServiceToken());
    Canaries.register(key.getD().decode());
    Path tokens = Files.writeString(dir.resolve("service-tokens.yaml"),
        "- name: test-control-plane\n  token_sha256: " + Tokens.hashHex(serviceToken) + "\n  tenants: [\"*\"]\n");
    List<String> flags = new ArrayList<>(List.of("auth.run_tokens.jwks_file=" + jwks, "auth.service_tokens_file=" + tokens, "auth.passwords.bcrypt_cost=10"));
    flags.addAll(Arrays.asList(extraFlags));
    Fixtures fixtures = PostgresHarness.shared().fixtures();
    String tenant = Fixtures.uniqueTenantId("api");
    fixtures.tenant(tenant);
    RunningSidecar s = Main.start(TestConfigs.isolated(dir, flags.toArray(String[]::new)),
        new Main.StartOptions(Metrics.forTesting(), clock, List.of(), java.util.Optional.empty(), false, dir.resolve(".dev")));
    return new InProcessSidecar(s, tenant, serviceToken, fixtures, new RunTokenMinter(key, "flow-orchestrator", "flow-sidecar", clock), dir);
  }

  private String mint(String tenant, String run, String workflow, List<String> connectors, Duration ttl) {
    return Canaries.register(minter.mint(tenant, run, workflow, connectors, ttl));
  }

  /** A fresh run token for this tenant, allowed to use {@code connectors}. */
  public String runToken(String... connectors) {
    return mint(tenant, "run-" + System.nanoTime(), "wf-test", List.of(connectors), Duration.ofMinutes(10));
  }

  /** A fresh run token for {@code tenantId}. */
  public String runTokenFor(String tenantId, String... connectors) {
    return mint(tenantId, "run-" + System.nanoTime(), "wf-test", List.of(connectors), Duration.ofMinutes(10));
  }

  /** Every audit event in this daemon's spool so far (read from its segment files). */
  public List<io.apixx.flow.sidecar.v1.AuditEvent> auditEvents() throws java.io.IOException {
    List<io.apixx.flow.sidecar.v1.AuditEvent> out = new ArrayList<>();
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir.resolve("audit"))) {
      for (Path f : files.filter(p -> p.getFileName().toString().startsWith("seg-")).sorted().toList()) {
        io.apixx.flow.sidecar.audit.SpoolFormat.scan(f, 0, Long.MAX_VALUE).entries().forEach(e -> out.add(e.event()));
      }
    }
    return out;
  }

  /** A client over the Unix socket that records failed statuses for the canary scan. */
  public FlowSidecarClient unixClient() {
    return FlowSidecarClient.over(
        io.grpc.Grpc.newChannelBuilder("unix://" + sidecar.socketPath(), io.grpc.InsecureChannelCredentials.create())
            .intercept(StatusRecorder.INSTANCE).build());
  }

  /** A client over loopback TCP that records failed statuses for the canary scan. */
  public FlowSidecarClient tcpClient() {
    return FlowSidecarClient.over(
        io.grpc.Grpc.newChannelBuilderForAddress("127.0.0.1", sidecar.tcpAddress().orElseThrow().getPort(), io.grpc.InsecureChannelCredentials.create())
            .intercept(StatusRecorder.INSTANCE).build());
  }

  @Override
  public void close() throws Exception {
    sidecar.shutdown();
  }
}
