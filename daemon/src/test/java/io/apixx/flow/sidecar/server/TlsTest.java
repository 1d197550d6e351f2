package io.apixx.flow.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.testing.TestPki;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The upstream TLS settings, probed by a real TLS client (openssl s_client) offering weak options. */
class TlsTest {
  @TempDir static Path dir;
  static TestPki pki;
  static Server server;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    pki = TestPki.create(dir.resolve("pki"));
    TestPki.Identity s = pki.server("collector");
    HealthStatusManager health = new HealthStatusManager();
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .sslContext(Tls.server(s.cert(), s.key(), Optional.of(pki.caFile())))
            .addService(health.getHealthService())
            .build()
            .start();
    port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  @AfterAll
  static void stop() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private static ManagedChannel channel(Optional<TestPki.Identity> client) throws Exception {
    return NettyChannelBuilder.forAddress("127.0.0.1", port)
        .sslContext(Tls.client(pki.caFile(), client.map(TestPki.Identity::cert), client.map(TestPki.Identity::key)))
        .overrideAuthority("localhost")
        .build();
  }

  @Test
  void mutualTls_clientWithCertificate_served() throws Exception {
    ManagedChannel ch = channel(Optional.of(pki.client("daemon-1")));
    try {
      assertThat(HealthGrpc.newBlockingStub(ch).check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void mutualTls_clientWithoutCertificate_refused() throws Exception {
    ManagedChannel ch = channel(Optional.empty());
    try {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()))
          .isInstanceOf(StatusRuntimeException.class);
    } finally {
      ch.shutdownNow();
    }
  }

  /** Runs openssl s_client with the given options; returns its combined output and whether a session was negotiated. */
  private static String[] handshake(String... opts) throws Exception {
    TestPki.Identity c = pki.client("probe");
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-CAfile", pki.caFile().toString(),
        "-cert", c.cert().toString(), "-key", c.key().toString(), "-alpn", "h2"));
    cmd.addAll(List.of(opts));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(20, TimeUnit.SECONDS);
    boolean negotiated = out.contains("Cipher is ") && !out.contains("Cipher is (NONE)");
    return new String[] {out, Boolean.toString(negotiated)};
  }

  @Test
  void handshake_strongTls12Suite_negotiated() throws Exception {
    String[] r = handshake("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256");
    assertThat(Boolean.parseBoolean(r[1])).as(r[0]).isTrue();
  }

  @Test
  void handshake_tls13_negotiated() throws Exception {
    String[] r = handshake("-tls1_3");
    assertThat(Boolean.parseBoolean(r[1])).as(r[0]).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"-tls1", "-tls1_1"})
  void handshake_oldProtocolOnly_refused(String protocol) throws Exception {
    // SECLEVEL=0 lets this OpenSSL client actually offer the old protocol.
    String[] r = handshake(protocol, "-cipher", "ALL:@SECLEVEL=0");
    assertThat(Boolean.parseBoolean(r[1])).as(r[0]).isFalse();
    // The server, not the client, said no: it sent a protocol_version alert.
    assertThat(r[0]).contains("alert protocol version");
  }

  @ParameterizedTest
  @ValueSource(strings = {"AES128-SHA", "ECDHE-ECDSA-AES128-SHA", "AES256-GCM-SHA384", "AES128-SHA256"})
  void handshake_weakTls12SuiteOnly_refused(String suite) throws Exception {
    String[] r = handshake("-tls1_2", "-cipher", suite + ":@SECLEVEL=0");
    assertThat(Boolean.parseBoolean(r[1])).as(r[0]).isFalse();
    // The client did send its hello offering only that suite; the server answered with an alert
    // or by closing the connection, and nothing was negotiated.
    assertThat(r[0]).containsPattern("written [1-9][0-9]* bytes");
    assertThat(r[0]).containsAnyOf("alert handshake failure", "SSL handshake has read 0 bytes");
  }
}
