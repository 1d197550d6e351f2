package io.apixx.flow.sidecar.crypto.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.crypto.InvalidCiphertextException;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.response.LogicalResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultTransitKmsTest extends KmsContractTest {
  @TempDir Path dir;
  private VaultFixture vault;
  private VaultTransitKms kms;

  @BeforeEach
  void start() throws Exception {
    vault = VaultFixture.http(dir);
    kms = vault.kms();
  }

  @AfterEach
  void stop() throws Exception {
    vault.close();
  }

  @Override
  Kms kms() {
    return kms;
  }

  @Override
  void rotate(String tenantId) {
    vault.server.rotate(VaultFixture.keyName(tenantId));
  }

  @Override
  String keyRefPrefix(String tenantId) {
    return "vault-transit:transit/" + VaultFixture.keyName(tenantId) + ":v";
  }

  @Test
  void generateDataKey_firstUse_createsAes256Gcm96KeyPerTenant() {
    assertThat(vault.server.keyExists("flow-tenant-acme")).isFalse();

    kms.generateDataKey(TENANT).close();
    kms.generateDataKey(TENANT).close();

    assertThat(vault.server.keyType("flow-tenant-acme")).isEqualTo("aes256-gcm96");
    assertThat(vault.server.calls("keys")).as("created once per process").isEqualTo(1);
    assertThat(vault.server.calls("datakey/plaintext")).isEqualTo(2);
    assertThat(vault.server.keyExists("flow-tenant-globex")).isFalse();
  }

  @Test
  void unwrap_unknownTenantKey_throwsInvalidCiphertextWithoutCreatingIt() {
    DataKey key = kms.generateDataKey(TENANT);

    assertThatThrownBy(() -> kms.unwrap("newcomer", key.wrapped().bytes()))
        .isInstanceOf(InvalidCiphertextException.class);
    assertThat(vault.server.keyExists("flow-tenant-newcomer")).isFalse();
  }

  @Test
  void wrappedKey_isVaultCiphertextString() {
    try (DataKey key = kms.generateDataKey(TENANT)) {
      String s = new String(key.wrapped().bytes(), StandardCharsets.US_ASCII);

      assertThat(s).matches("vault:v1:[A-Za-z0-9+/]+={0,2}");
      assertThat(java.util.Base64.getDecoder().decode(s.substring(9))).hasSize(12 + 32 + 16);
    }
  }

  @Test
  void firstOperation_logsInWithServiceAccountJwtOnce() {
    kms.generateDataKey(TENANT).close();
    kms.generateDataKey(TENANT).close();

    assertThat(vault.server.logins()).isEqualTo(1);
    assertThat(kms.authenticator().logins()).isEqualTo(1);
  }

  @Test
  void unwrap_tokenExpired_logsInAgainAndSucceeds() {
    DataKey key = kms.generateDataKey(TENANT);
    vault.clock.advance(Duration.ofHours(1).plusSeconds(1));

    try (SecretBytes dek = kms.unwrap(TENANT, key.wrapped().bytes())) {
      assertThat(dek.contentEquals(key.plaintext().reveal(SecretAccess.RELEASE))).isTrue();
    }
    assertThat(vault.server.logins()).isEqualTo(2);
  }

  @Test
  void unwrap_tokenExpiredOnServerBeforeClientNoticed_403ThenReloginSucceeds() {
    DataKey key = kms.generateDataKey(TENANT);
    vault.server.expireAllTokens();

    try (SecretBytes dek = kms.unwrap(TENANT, key.wrapped().bytes())) {
      assertThat(dek.contentEquals(key.plaintext().reveal(SecretAccess.RELEASE))).isTrue();
    }
    assertThat(vault.server.logins()).isEqualTo(2);
  }

  @Test
  void unwrap_tokenRevoked_403TriggersOneReloginAndSucceeds() {
    DataKey key = kms.generateDataKey(TENANT);
    vault.server.revokeAllTokens();

    for (int i = 0; i < 3; i++) {
      kms.unwrap(TENANT, key.wrapped().bytes()).close();
    }

    assertThat(vault.server.logins()).isEqualTo(2);
  }

  @Test
  void unwrap_tokenRevokedAndLoginRefused_failsUnavailable() {
    DataKey key = kms.generateDataKey(TENANT);
    vault.server.revokeAllTokens();
    vault.server.rejectJwt(vault.server.lastJwt());

    assertThatThrownBy(() -> kms.unwrap(TENANT, key.wrapped().bytes()))
        .isInstanceOfSatisfying(
            KmsException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
              assertThat(e.reasonCode()).isEqualTo("kms_login_refused");
            });
  }

  @Test
  void unwrap_policyDenies_failsUnavailableAfterExactlyOneRelogin() {
    DataKey key = kms.generateDataKey(TENANT);
    vault.server.denyTransit(true);

    assertThatThrownBy(() -> kms.unwrap(TENANT, key.wrapped().bytes()))
        .isInstanceOfSatisfying(
            KmsException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
              assertThat(e.reasonCode()).isEqualTo("kms_permission_denied");
            });
    assertThat(vault.server.logins()).isEqualTo(2);
    assertThat(vault.server.calls("decrypt")).isEqualTo(2);
  }

  @Test
  void unwrap_shortBurstOf503_retriedWithBackoffAndSucceeds() {
    DataKey key = kms.generateDataKey(TENANT);
    vault.server.failNext(3, 503);

    try (SecretBytes dek = kms.unwrap(TENANT, key.wrapped().bytes())) {
      assertThat(dek.contentEquals(key.plaintext().reveal(SecretAccess.RELEASE))).isTrue();
    }
    assertThat(vault.sleeps).hasSize(3);
    assertThat(vault.sleeps).allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(Duration.ofSeconds(2)));
  }

  @Test
  void unwrap_outageLongerThanRetries_failsUnavailableThenFirstRequestAfterRecoverySucceeds() {
    DataKey key = kms.generateDataKey(TENANT);
    vault.server.failNext(100, 503);

    assertThatThrownBy(() -> kms.unwrap(TENANT, key.wrapped().bytes()))
        .isInstanceOfSatisfying(
            KmsException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
              assertThat(e.getMessage()).isEqualTo("KMS decrypt failed: HTTP 503 (4 attempts)");
            });
    assertThat(vault.sleeps).hasSize(3);

    vault.server.failNext(0, 503);
    kms.unwrap(TENANT, key.wrapped().bytes()).close();
  }

  @Test
  void unwrap_serverUnreachable_failsUnavailable() throws Exception {
    DataKey key = kms.generateDataKey(TENANT);
    vault.server.close();

    assertThatThrownBy(() -> kms.unwrap(TENANT, key.wrapped().bytes()))
        .isInstanceOfSatisfying(
            KmsException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
              assertThat(e.getMessage()).startsWith("KMS decrypt failed: no response (");
            });
  }

  @Test
  void unwrap_slowerThanRequestTimeout_failsUnavailable() {
    VaultTransitKms impatient =
        vault.kms(vault.config(vault.kubernetesAuth(""), 0, Duration.ofMillis(500)));
    DataKey key = impatient.generateDataKey(TENANT);
    vault.server.setLatency(Duration.ofMillis(2500));

    long start = System.nanoTime();
    assertThatThrownBy(() -> impatient.unwrap(TENANT, key.wrapped().bytes()))
        .isInstanceOfSatisfying(
            KmsException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
              assertThat(e.getMessage()).contains("HttpTimeoutException");
            });
    // The driver counts timeouts in whole seconds: 500 ms becomes 1 s.
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2400));
    vault.server.setLatency(Duration.ZERO);
  }

  @Test
  void client_pastTwoThirdsOfTokenTtl_renewsInsteadOfLoggingIn() {
    DataKey key = kms.generateDataKey(TENANT);
    vault.clock.advance(Duration.ofMinutes(41)); // 2/3 of the 1 h TTL is 40 min

    kms.unwrap(TENANT, key.wrapped().bytes()).close();
    assertThat(vault.server.renewals()).isEqualTo(1);
    assertThat(vault.server.logins()).isEqualTo(1);

    // Renewed at t=41min for another hour: still valid at t=1h30.
    vault.clock.advance(Duration.ofMinutes(49));
    kms.unwrap(TENANT, key.wrapped().bytes()).close();
    assertThat(vault.server.logins()).isEqualTo(1);
  }

  @Test
  void refreshToken_idleDaemonPastTwoThirds_renewsInBackground() {
    kms.generateDataKey(TENANT).close();

    kms.refreshToken();
    assertThat(vault.server.renewals()).as("not due yet").isZero();

    vault.clock.advance(Duration.ofMinutes(45));
    kms.refreshToken();
    assertThat(vault.server.renewals()).isEqualTo(1);
  }

  @Test
  void refreshToken_renewalFails_backsOffAndKeepsUsingValidToken() {
    DataKey key = kms.generateDataKey(TENANT);
    vault.clock.advance(Duration.ofMinutes(45));
    vault.server.failNext(4, 503); // one renewal: first attempt + 3 retries

    kms.refreshToken();
    assertThat(vault.server.renewals()).isZero();

    // The token is still valid: requests keep working without a login.
    kms.unwrap(TENANT, key.wrapped().bytes()).close();
    assertThat(vault.server.logins()).isEqualTo(1);
    assertThat(vault.server.renewals()).as("backing off, no renewal yet").isZero();

    vault.clock.advance(Duration.ofSeconds(3)); // past the longest backoff (2 s)
    kms.refreshToken();
    assertThat(vault.server.renewals()).isEqualTo(1);
  }

  @Test
  void renewal_nearMaxTtl_logsInAgainInstead() {
    vault.server.setTokenTtl(Duration.ofHours(1), true, Duration.ofMinutes(70));
    DataKey key = kms.generateDataKey(TENANT);
    vault.clock.advance(Duration.ofMinutes(45)); // renewal can extend only to 70 min: 25 min left

    kms.unwrap(TENANT, key.wrapped().bytes()).close();

    assertThat(vault.server.renewals()).isEqualTo(1);
    assertThat(vault.server.logins()).isEqualTo(2);
  }

  @Test
  void nonRenewableToken_pastTwoThirds_logsInAgain() {
    vault.server.setTokenTtl(Duration.ofMinutes(30), false, Duration.ofMinutes(30));
    DataKey key = kms.generateDataKey(TENANT);
    vault.clock.advance(Duration.ofMinutes(21));

    kms.unwrap(TENANT, key.wrapped().bytes()).close();

    assertThat(vault.server.renewals()).isZero();
    assertThat(vault.server.logins()).isEqualTo(2);
  }

  @Test
  void login_serviceAccountTokenRotatedByKubelet_newJwtReadAtNextLogin() {
    DataKey key = kms.generateDataKey(TENANT);
    String oldJwt = vault.server.lastJwt();
    String newJwt = vault.rotateServiceAccountToken("sa-2");
    vault.server.rejectJwt(oldJwt);
    vault.clock.advance(Duration.ofHours(2));

    kms.unwrap(TENANT, key.wrapped().bytes()).close();

    assertThat(vault.server.lastJwt()).isEqualTo(newJwt).isNotEqualTo(oldJwt);
    assertThat(vault.server.logins()).isEqualTo(2);
  }

  @Test
  void login_refused_failsUnavailableAndBacksOffThenRecovers() {
    vault.server.failLogins(1, 403);

    assertThatThrownBy(() -> kms.generateDataKey(TENANT))
        .isInstanceOfSatisfying(
            KmsException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
              assertThat(e.reasonCode()).isEqualTo("kms_login_refused");
            });
    // Within the backoff the next request fails fast, without another login attempt.
    assertThatThrownBy(() -> kms.generateDataKey(TENANT))
        .isInstanceOfSatisfying(
            KmsException.class, e -> assertThat(e.reasonCode()).isEqualTo("kms_login_backoff"));
    assertThat(vault.server.calls("login")).isEqualTo(1);

    vault.clock.advance(Duration.ofSeconds(3));
    kms.generateDataKey(TENANT).close();
    assertThat(vault.server.logins()).isEqualTo(1);
  }

  @Test
  void login_vaultDownDuringLogin_retriedThenSucceeds() {
    vault.server.failLogins(2, 500);

    kms.generateDataKey(TENANT).close();

    assertThat(vault.server.calls("login")).isEqualTo(3);
    assertThat(vault.sleeps).hasSize(2);
  }

  @Test
  void tokenAuth_403_rereadsTokenFileAndSucceeds() throws Exception {
    Path tokenFile = dir.resolve("vault-token");
    Files.writeString(tokenFile, vault.server.issueToken(Duration.ofHours(1)) + "\n");
    VaultTransitKms byToken = vault.kms(vault.config(vault.tokenAuth(tokenFile), 3, Duration.ofSeconds(5)));
    DataKey key = byToken.generateDataKey(TENANT);

    // Vault Agent replaces the token; the old one is revoked.
    vault.server.revokeAllTokens();
    Files.writeString(tokenFile, vault.server.issueToken(Duration.ofHours(1)));

    try (SecretBytes dek = byToken.unwrap(TENANT, key.wrapped().bytes())) {
      assertThat(dek.contentEquals(key.plaintext().reveal(SecretAccess.RELEASE))).isTrue();
    }
    assertThat(vault.server.calls("login")).isZero();
  }

  @Test
  void tokenAuth_missingTokenFile_failsUnavailableNamingTheFile() {
    Path missing = dir.resolve("no-such-token");
    VaultTransitKms byToken = vault.kms(vault.config(vault.tokenAuth(missing), 0, Duration.ofSeconds(5)));

    assertThatThrownBy(() -> byToken.generateDataKey(TENANT))
        .isInstanceOfSatisfying(
            KmsException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE))
        .hasMessageContaining(missing.toString());
  }

  @Test
  void unwrap_belowMinDecryptionVersion_throwsInvalidCiphertextButRewrappedOpens() {
    DataKey key = kms.generateDataKey(TENANT);
    rotate(TENANT);
    WrappedKey rewrapped = kms.rewrap(TENANT, key.wrapped().bytes());
    vault.server.setMinDecryptionVersion(VaultFixture.keyName(TENANT), 2);

    assertThatThrownBy(() -> kms.unwrap(TENANT, key.wrapped().bytes()))
        .isInstanceOf(InvalidCiphertextException.class);
    assertThatThrownBy(() -> kms.rewrap(TENANT, key.wrapped().bytes()))
        .isInstanceOf(InvalidCiphertextException.class);
    kms.unwrap(TENANT, rewrapped.bytes()).close();
  }

  @Test
  void requests_namespaceConfigured_sendXVaultNamespace() {
    VaultTransitKms namespaced =
        vault.kms(vault.config(vault.kubernetesAuth("team-a"), 3, Duration.ofSeconds(5)));

    namespaced.generateDataKey(TENANT).close();

    assertThat(vault.server.namespaces()).isNotEmpty().allMatch("team-a"::equals);
  }

  @Test
  void unwrap_doesNotReachVaultForMalformedInput() {
    kms.generateDataKey(TENANT).close();
    int before = vault.server.calls("decrypt");

    assertThatThrownBy(() -> kms.unwrap(TENANT, "not-a-vault-ciphertext".getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(InvalidCiphertextException.class);
    assertThat(vault.server.calls("decrypt")).isEqualTo(before);
  }

  @Test
  void fakeServer_operatorRotateAndConfigOverHttp_followVaultApi() throws Exception {
    DataKey key = kms.generateDataKey(TENANT);
    String operatorToken = vault.server.issueToken(Duration.ofHours(1));
    Vault operator =
        Vault.create(
            new VaultConfig()
                .address(vault.server.address().toString())
                .token(operatorToken)
                .engineVersion(1)
                .build(),
            1);
    String keyPath = "transit/keys/" + VaultFixture.keyName(TENANT);

    assertThat(operator.logical().write(keyPath + "/rotate", null).getRestResponse().getStatus())
        .isEqualTo(200);
    LogicalResponse tooHigh = operator.logical().write(keyPath + "/config", Map.of("min_decryption_version", 3));
    assertThat(tooHigh.getRestResponse().getStatus()).isEqualTo(400);
    LogicalResponse config = operator.logical().write(keyPath + "/config", Map.of("min_decryption_version", 2));
    assertThat(config.getRestResponse().getStatus()).isEqualTo(200);
    assertThat(config.getData()).containsEntry("latest_version", "2").containsEntry("min_decryption_version", "2");
    LogicalResponse read = operator.logical().read(keyPath);
    assertThat(read.getData()).containsEntry("type", "aes256-gcm96");

    assertThatThrownBy(() -> kms.unwrap(TENANT, key.wrapped().bytes()))
        .isInstanceOf(InvalidCiphertextException.class);
    assertThat(operator.logical().write("transit/keys/missing/rotate", null).getRestResponse().getStatus())
        .isEqualTo(400);
    LogicalResponse unauthenticated =
        Vault.create(new VaultConfig().address(vault.server.address().toString()).engineVersion(1).build(), 1)
            .logical()
            .read(keyPath);
    assertThat(unauthenticated.getRestResponse().getStatus()).isEqualTo(403);
    assertThat(new String(unauthenticated.getRestResponse().getBody(), StandardCharsets.UTF_8))
        .isEqualTo("{\"errors\":[\"permission denied\"]}");
  }
}
