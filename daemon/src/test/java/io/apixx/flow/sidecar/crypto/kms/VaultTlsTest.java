package io.apixx.flow.sidecar.crypto.kms;

import io.apixx.flow.sidecar.testing.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.config.DekCacheConfig;
import io.apixx.flow.sidecar.config.KmsConfig;
import io.apixx.flow.sidecar.config.VaultKmsConfig;
import io.apixx.flow.sidecar.error.ErrorKind;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS to Vault: CA pinning, host-name check, and TLS 1.2+ only. */
class VaultTlsTest {
  @TempDir Path dir;

  @Test
  void https_serverCertSignedByConfiguredCa_works() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.create("vault-test");
    try (VaultFixture vault = VaultFixture.https(dir, cert, cert, "TLSv1.3", "TLSv1.2")) {
      VaultTransitKms kms = vault.kms();

      try (DataKey key = kms.generateDataKey("acme")) {
        kms.unwrap("acme", key.wrapped().bytes()).close();
      }
      assertThat(vault.server.address().getScheme()).isEqualTo("https");
    }
  }

  @Test
  void https_serverOffersOnlyTls12_works() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.create("vault-test");
    try (VaultFixture vault = VaultFixture.https(dir, cert, cert, "TLSv1.2")) {
      vault.kms().generateDataKey("acme").close();
    }
  }

  @Test
  void https_serverCertFromAnotherCa_refusedAsUnavailable() throws Exception {
    SelfSignedCertificate trusted = SelfSignedCertificate.create("trusted-ca");
    SelfSignedCertificate impostor = SelfSignedCertificate.create("impostor");
    try (VaultFixture vault = VaultFixture.https(dir, trusted, impostor, "TLSv1.3", "TLSv1.2")) {
      VaultTransitKms kms = vault.kms(vault.config(vault.kubernetesAuth(""), 0, Duration.ofSeconds(5)));

      assertThatThrownBy(() -> kms.generateDataKey("acme"))
          .isInstanceOfSatisfying(
              KmsException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
                assertThat(e.getMessage()).contains("SSLHandshakeException");
              });
      assertThat(vault.server.calls("login")).isZero();
    }
  }

  @Test
  void tlsParameters_offerOnlyTls13And12WithHostnameCheck() {
    assertThat(VaultHttp.tlsParameters().getProtocols()).containsExactly("TLSv1.3", "TLSv1.2");
    assertThat(VaultHttp.tlsParameters().getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
  }

  /**
   * What the client actually sends: a server socket reads the ClientHello and checks its
   * supported_versions extension. TLS 1.0 (0x0301) and 1.1 (0x0302) must not be offered, so no
   * server can talk the client down to them.
   */
  @Test
  void clientHello_toVault_offersNoVersionBelowTls12() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.create("vault-test");
    Path ca = cert.writePem(dir.resolve("ca.pem"));
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<byte[]> hello =
          CompletableFuture.supplyAsync(
              () -> {
                try (Socket s = listener.accept()) {
                  DataInputStream in = new DataInputStream(s.getInputStream());
                  byte[] header = in.readNBytes(5);
                  int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
                  return in.readNBytes(length);
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              });
      MutableClock clock = new MutableClock();
      KmsConfig config =
          new KmsConfig(
              "vault-transit://127.0.0.1:" + listener.getLocalPort() + "/transit",
              Duration.ofSeconds(2),
              Duration.ofSeconds(2),
              0,
              Duration.ofMillis(10),
              Duration.ofMillis(10),
              new DekCacheConfig(Duration.ofMinutes(5), 10, 10),
              new VaultKmsConfig(
                  "token", "", "", "", dir.resolve("t").toString(), ca.toString(), "", "p-", ""));
      Files.writeString(dir.resolve("t"), "hvs.test");
      ExecutorService executor = Executors.newFixedThreadPool(2);
      try (VaultTransitKms kms =
          VaultTransitKms.create(
              config,
              clock,
              VaultHttp.create(Optional.of(ca), Duration.ofSeconds(2), executor),
              d -> {},
              executor::shutdownNow)) {
        assertThatThrownBy(() -> kms.generateDataKey("acme")).isInstanceOf(KmsException.class);
      }
      List<Integer> versions = supportedVersions(hello.get(10, TimeUnit.SECONDS));
      assertThat(versions).containsExactlyInAnyOrder(0x0304, 0x0303);
    }
  }

  /** Parses a ClientHello handshake message (RFC 8446 4.1.2) for extension 43. */
  private static List<Integer> supportedVersions(byte[] handshake) {
    ByteBuffer b = ByteBuffer.wrap(handshake);
    assertThat(b.get()).as("handshake type client_hello").isEqualTo((byte) 1);
    skip(b, 3); // length
    int legacyVersion = b.getShort() & 0xffff;
    assertThat(legacyVersion).isEqualTo(0x0303);
    skip(b, 32); // random
    skip(b, b.get() & 0xff); // session id
    skip(b, b.getShort() & 0xffff); // cipher suites
    skip(b, b.get() & 0xff); // compression methods
    int extensionsLength = b.getShort() & 0xffff;
    int end = b.position() + extensionsLength;
    while (b.position() < end) {
      int type = b.getShort() & 0xffff;
      int len = b.getShort() & 0xffff;
      if (type == 43) {
        int listLen = b.get() & 0xff;
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < listLen / 2; i++) {
          out.add(b.getShort() & 0xffff);
        }
        return out;
      }
      skip(b, len);
    }
    throw new AssertionError("no supported_versions extension");
  }

  private static void skip(ByteBuffer b, int n) {
    b.position(b.position() + n);
  }
}
