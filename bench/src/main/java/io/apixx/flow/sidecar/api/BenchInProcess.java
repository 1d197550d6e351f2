package io.apixx.flow.sidecar.api;

import io.apixx.flow.sidecar.auth.Authenticator;
import io.apixx.flow.sidecar.auth.AuthException;
import io.apixx.flow.sidecar.auth.Principal;
import io.apixx.flow.sidecar.auth.ServicePrincipal;
import io.apixx.flow.sidecar.testing.CredentialsHarness;
import io.apixx.flow.sidecar.v1.CredentialServiceGrpc;
import io.apixx.flow.sidecar.v1.GetCredentialRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Issue 4's in-process figure: warm GetCredential (the real {@link CredentialGrpcService} and
 * {@link io.apixx.flow.sidecar.credentials.CredentialService} behind the daemon's interceptor
 * chain, test PostgreSQL, local keyring behind the DEK cache, a real fsynced audit spool) against
 * a no-op RPC (grpc.health.v1 Check) on the same in-process server and a bare fdatasync of a
 * record-sized append in the spool's directory, interleaved call by call.
 */
public final class BenchInProcess {
  /** Bytes of one release event in the spool (BenchMain measures 266 to 267). */
  private static final int RECORD_BYTES = 267;

  private BenchInProcess() {}

  /** Median and p99 microseconds of each, after {@code rounds} warm-up rounds. */
  public static Map<String, Object> measure(Path dir, int rounds) throws Exception {
    // The floor of the audit-before-release: an fdatasync of a record-sized append on the spool's
    // disk (the harness's spool lives in dir).
    try (CredentialsHarness h = new CredentialsHarness(dir);
        io.apixx.flow.sidecar.bench.SyncProbe probe =
            new io.apixx.flow.sidecar.bench.SyncProbe(dir.resolve("fdatasync-probe"), RECORD_BYTES, io.apixx.flow.sidecar.bench.SyncProbe.Mode.RESERVED)) {
      String tenant = h.tenant("bench");
      StringBuilder value = new StringBuilder();
      while (value.length() < 1000) {
        value.append("0123456789abcdef");
      }
      h.seal(tenant, "github", Map.of("api_token", value.substring(0, 1000)));
      Principal run = h.run(tenant, "github");
      Authenticator auth = new Authenticator() {
        @Override
        public Principal session(String token) {
          if (!"fss_bench".equals(token)) {
            throw AuthException.unauthenticated("unknown_session", "unknown or expired session");
          }
          return run;
        }

        @Override
        public Optional<ServicePrincipal> service(String token) {
          return Optional.empty();
        }
      };
      String name = "bench-" + UUID.randomUUID();
      InProcessServerBuilder builder = InProcessServerBuilder.forName(name).directExecutor();
      builder.addService(new CredentialGrpcService(h.service));
      builder.addService(new HealthStatusManager().getHealthService());
      Server server = CredentialsHarness.intercept(builder, h.interceptors(auth)).build().start();
      ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
      try {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer fss_bench");
        var creds = CredentialServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        var health = HealthGrpc.newBlockingStub(channel);
        GetCredentialRequest req = GetCredentialRequest.newBuilder().setConnectorId("github").build();
        HealthCheckRequest hreq = HealthCheckRequest.getDefaultInstance();
        for (int i = 0; i < rounds; i++) {
          creds.getCredential(req);
          health.check(hreq);
        }
        long[] g = new long[rounds];
        long[] n = new long[rounds];
        long[] f = new long[rounds];
        for (int i = 0; i < rounds; i++) {
          long t0 = System.nanoTime();
          creds.getCredential(req);
          long t1 = System.nanoTime();
          health.check(hreq);
          long t2 = System.nanoTime();
          probe.sync();
          long t3 = System.nanoTime();
          g[i] = t1 - t0;
          n[i] = t2 - t1;
          f[i] = t3 - t2;
        }
        Arrays.sort(g);
        Arrays.sort(n);
        Arrays.sort(f);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("get_credential_warm_p50_us", g[rounds / 2] / 1e3);
        m.put("get_credential_warm_p99_us", g[(int) (rounds * 0.99)] / 1e3);
        m.put("noop_p50_us", n[rounds / 2] / 1e3);
        m.put("noop_p99_us", n[(int) (rounds * 0.99)] / 1e3);
        m.put("fdatasync_p50_us", f[rounds / 2] / 1e3);
        m.put("rounds", rounds);
        m.put("config", "in-process transport, direct executor, the daemon's interceptor chain; GetCredential includes its durable audit record (fdatasync of the harness's spool); no-op = grpc.health.v1 Check on the same server");
        return m;
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
