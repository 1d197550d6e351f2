package io.apixx.flow.sidecar.crypto.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.config.DekCacheConfig;
import io.apixx.flow.sidecar.config.KmsConfig;
import io.apixx.flow.sidecar.config.VaultKmsConfig;
import io.apixx.flow.sidecar.error.ErrorKind;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KmsFactoryTest {
  @TempDir Path dir;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  private static KmsConfig config(String uri, VaultKmsConfig vault) {
    return new KmsConfig(
        uri,
        Duration.ofSeconds(2),
        Duration.ofSeconds(5),
        3,
        Duration.ofMillis(100),
        Duration.ofSeconds(5),
        new DekCacheConfig(Duration.ofMinutes(5), 10_000, 10_000),
        vault);
  }

  private static VaultKmsConfig kubernetes() {
    return new VaultKmsConfig(
        "kubernetes",
        "flow-sidecar",
        "kubernetes",
        "/var/run/secrets/kubernetes.io/serviceaccount/token",
        "",
        "",
        "",
        "flow-tenant-",
        "");
  }

  @Test
  void supports_knownSchemes_trueOthersFalse() {
    assertThat(KmsFactory.supports("file:.dev/keyring.json")).isTrue();
    assertThat(KmsFactory.supports("FILE:///tmp/k.json")).isTrue();
    assertThat(KmsFactory.supports("vault-transit://vault:8200/transit")).isTrue();
    assertThat(KmsFactory.supports("vault://vault:8200")).isFalse();
    assertThat(KmsFactory.supports("aws-kms://arn:aws:kms:x")).isFalse();
    assertThat(KmsFactory.supports("")).isFalse();
    assertThat(KmsFactory.supports(null)).isFalse();
  }

  @Test
  void create_fileUri_buildsWorkingLocalKeyring() {
    Path keyring = dir.resolve("sub/keyring.json");
    try (Kms kms = KmsFactory.create(config("file://" + keyring, kubernetes()), Clock.systemUTC(), scheduler)) {
      assertThat(kms).isInstanceOf(LocalKeyringKms.class);
      DataKey key = kms.generateDataKey("acme");
      kms.unwrap("acme", key.wrapped().bytes()).close();
    }
    assertThat(keyring).exists();
  }

  @Test
  void create_vaultUri_buildsAdapterWithoutContactingVault() {
    try (Kms kms =
        KmsFactory.create(
            config("vault-transit://127.0.0.1:1/transit?tls=false", kubernetes()),
            Clock.systemUTC(),
            scheduler)) {
      assertThat(kms).isInstanceOf(VaultTransitKms.class);
      assertThat(kms.toString()).contains("http://127.0.0.1:1").contains("mount=transit");
    }
  }

  @Test
  void create_vaultUriWithMissingCaFile_failsInternal() {
    VaultKmsConfig badCa =
        new VaultKmsConfig(
            "token", "", "", "", "/t", dir.resolve("none.pem").toString(), "", "p-", "");

    assertThatThrownBy(
            () -> KmsFactory.create(config("vault-transit://vault.example/transit", badCa), Clock.systemUTC(), scheduler))
        .isInstanceOfSatisfying(
            KmsException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.INTERNAL));
  }

  @Test
  void create_emptyUri_failsPrecondition() {
    assertThatThrownBy(() -> KmsFactory.create(config("", kubernetes()), Clock.systemUTC(), scheduler))
        .isInstanceOfSatisfying(
            KmsException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.FAILED_PRECONDITION);
              assertThat(e.reasonCode()).isEqualTo("kms_not_configured");
            });
  }

  @Test
  void create_unsupportedScheme_failsPrecondition() {
    assertThatThrownBy(
            () -> KmsFactory.create(config("gcp-kms://projects/x", kubernetes()), Clock.systemUTC(), scheduler))
        .isInstanceOfSatisfying(
            KmsException.class, e -> assertThat(e.reasonCode()).isEqualTo("kms_unsupported_uri"));
  }
}
