package io.apixx.flow.sidecar.crypto.kms;

import io.apixx.flow.sidecar.testing.MutableClock;
import io.apixx.flow.sidecar.config.DekCacheConfig;
import io.apixx.flow.sidecar.config.KmsConfig;
import io.apixx.flow.sidecar.config.VaultKmsConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A fake Vault plus everything needed to point a {@link VaultTransitKms} at it: a shared fake
 * clock, a service-account token file, recorded (not slept) retry waits.
 */
final class VaultFixture implements AutoCloseable {
  static final String KEY_PREFIX = "flow-tenant-";

  final MutableClock clock;
  final FakeVaultServer server;
  final Path dir;
  final Path serviceAccountTokenFile;
  final Optional<Path> caFile;
  /** Every wait the retrier asked for; tests assert on them instead of sleeping. */
  final List<Duration> sleeps = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  private VaultFixture(MutableClock clock, Path dir, FakeVaultServer server, Optional<Path> caFile) {
    this.clock = clock;
    this.dir = dir;
    this.server = server;
    this.caFile = caFile;
    this.serviceAccountTokenFile = dir.resolve("sa-token");
    toClose.add(server);
    rotateServiceAccountToken("sa-1");
  }

  static VaultFixture http(Path dir) throws IOException {
    MutableClock c = new MutableClock();
    return new VaultFixture(c, dir, FakeVaultServer.http(c), Optional.empty());
  }

  static VaultFixture https(Path dir, SelfSignedCertificate trusted, SelfSignedCertificate served, String... protocols)
      throws IOException, GeneralSecurityException {
    MutableClock c = new MutableClock();
    Path ca = trusted.writePem(dir.resolve("ca.pem"));
    return new VaultFixture(c, dir, FakeVaultServer.https(c, served, protocols), Optional.of(ca));
  }

  /** Writes a new JWT to the token file (as the kubelet does) and lets the server accept it. */
  String rotateServiceAccountToken(String name) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String jwt =
        b64.encodeToString("{\"alg\":\"RS256\",\"kid\":\"k1\"}".getBytes(StandardCharsets.UTF_8))
            + "."
            + b64.encodeToString(
                ("{\"iss\":\"kubernetes/serviceaccount\",\"sub\":\"system:serviceaccount:flow:"
                        + name
                        + "\"}")
                    .getBytes(StandardCharsets.UTF_8))
            + "."
            + b64.encodeToString(("signature-of-" + name).getBytes(StandardCharsets.UTF_8));
    try {
      Files.writeString(serviceAccountTokenFile, jwt);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.acceptJwt(jwt);
    return jwt;
  }

  VaultKmsConfig kubernetesAuth(String namespace) {
    return new VaultKmsConfig(
        VaultKmsConfig.AUTH_KUBERNETES,
        FakeVaultServer.ROLE,
        FakeVaultServer.KUBERNETES_MOUNT,
        serviceAccountTokenFile.toString(),
        "",
        caFile.map(Path::toString).orElse(""),
        namespace,
        KEY_PREFIX,
        "");
  }

  VaultKmsConfig tokenAuth(Path tokenFile) {
    return new VaultKmsConfig(
        VaultKmsConfig.AUTH_TOKEN,
        "",
        "",
        "",
        tokenFile.toString(),
        caFile.map(Path::toString).orElse(""),
        "",
        KEY_PREFIX,
        "");
  }

  KmsConfig config(VaultKmsConfig vault, int maxRetries, Duration requestTimeout) {
    String uri =
        "vault-transit://"
            + server.hostPort()
            + "/"
            + FakeVaultServer.TRANSIT_MOUNT
            + (caFile.isPresent() ? "" : "?tls=false");
    return new KmsConfig(
        uri,
        Duration.ofSeconds(2),
        requestTimeout,
        maxRetries,
        Duration.ofMillis(100),
        Duration.ofSeconds(2),
        new DekCacheConfig(Duration.ofMinutes(5), 1000, 1000),
        vault);
  }

  /** Kubernetes auth, 3 retries, 5 s request timeout. */
  VaultTransitKms kms() {
    return kms(config(kubernetesAuth(""), 3, Duration.ofSeconds(5)));
  }

  VaultTransitKms kms(KmsConfig config) {
    ExecutorService executor = Executors.newFixedThreadPool(4);
    HttpClient http = VaultHttp.create(caFile, config.connectTimeout(), executor);
    VaultTransitKms kms = VaultTransitKms.create(config, clock, http, sleeps::add, executor::shutdownNow);
    toClose.add(kms);
    return kms;
  }

  static String keyName(String tenantId) {
    return KEY_PREFIX + tenantId;
  }

  @Override
  public void close() {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      try {
        toClose.get(i).close();
      } catch (Exception e) {
        throw new IllegalStateException("cannot close " + toClose.get(i), e);
      }
    }
  }
}
