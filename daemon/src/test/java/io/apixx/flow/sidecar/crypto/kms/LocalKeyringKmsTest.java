package io.apixx.flow.sidecar.crypto.kms;

import io.apixx.flow.sidecar.testing.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.apixx.flow.sidecar.crypto.InvalidCiphertextException;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKeyringKmsTest extends KmsContractTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock();
  private Path file;
  private LocalKeyringKms kms;

  @BeforeEach
  void open() {
    file = dir.resolve("state/keyring.json");
    kms = LocalKeyringKms.open(file, clock);
  }

  @AfterEach
  void close() {
    kms.close();
  }

  @Override
  Kms kms() {
    return kms;
  }

  @Override
  void rotate(String tenantId) {
    kms.rotate(tenantId);
  }

  @Override
  String keyRefPrefix(String tenantId) {
    return "local:" + tenantId + ":v";
  }

  @Test
  void open_missingFile_writesNothingUntilFirstKey() {
    assertThat(file).doesNotExist();

    kms.generateDataKey(TENANT).close();

    assertThat(file).exists();
  }

  @Test
  void generateDataKey_firstUse_createsFileMode0600InDirectoryMode0700() throws Exception {
    kms.generateDataKey(TENANT).close();

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
        .isEqualTo("rwx------");
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertThat(files).as("no temporary files left behind").containsExactly(file);
    }
  }

  @Test
  void keyringFile_afterRotation_hasDocumentedShape() throws Exception {
    kms.generateDataKey(TENANT).close();
    clock.advance(Duration.ofDays(1));
    kms.rotate(TENANT);

    JsonNode root = new ObjectMapper().readTree(file.toFile());
    assertThat(root.get("format").asText()).isEqualTo("flow-sidecar-keyring-v1");
    JsonNode tenant = root.get("tenants").get(TENANT);
    assertThat(tenant.get("primary_version").asInt()).isEqualTo(2);
    assertThat(tenant.get("versions")).hasSize(2);
    assertThat(tenant.get("versions").get(1).get("created_at").asText())
        .isEqualTo("2026-11-30T12:00:00Z");
    assertThat(java.util.Base64.getDecoder().decode(tenant.get("versions").get(0).get("key").asText()))
        .hasSize(32);
  }

  @Test
  void wrappedKey_layout_matchesDocumentation() {
    kms.rotate(TENANT);
    kms.rotate(TENANT);
    try (DataKey key = kms.generateDataKey(TENANT)) {
      byte[] w = key.wrapped().bytes();

      assertThat(w).hasSize(65);
      assertThat(w[0]).isEqualTo((byte) 0x01);
      assertThat(ByteBuffer.wrap(w, 1, 4).getInt()).isEqualTo(2);
    }
  }

  @Test
  void open_afterRestart_existingWrappedKeysStillUnwrap() {
    DataKey key = kms.generateDataKey(TENANT);
    kms.rotate(TENANT);
    WrappedKey later = kms.wrap(TENANT, key.plaintext());
    kms.close();

    LocalKeyringKms reopened = LocalKeyringKms.open(file, clock);
    try (SecretBytes a = reopened.unwrap(TENANT, key.wrapped().bytes());
        SecretBytes b = reopened.unwrap(TENANT, later.bytes())) {
      assertThat(a.contentEquals(key.plaintext().reveal(SecretAccess.RELEASE))).isTrue();
      assertThat(b.contentEquals(key.plaintext().reveal(SecretAccess.RELEASE))).isTrue();
    } finally {
      reopened.close();
    }
  }

  @Test
  void open_keyringReadableByGroupOrOthers_refused() throws Exception {
    kms.generateDataKey(TENANT).close();
    for (String mode : new String[] {"rw-r-----", "rw----r--", "rw-rw-rw-", "rw-----w-"}) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));

      assertThatThrownBy(() -> LocalKeyringKms.open(file, clock))
          .as(mode)
          .isInstanceOfSatisfying(
              KmsException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(ErrorKind.FAILED_PRECONDITION);
                assertThat(e.getMessage()).contains(mode).contains("chmod 600");
              });
    }
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    LocalKeyringKms.open(file, clock).close();
  }

  @Test
  void open_symlinkInsteadOfFile_refused() throws Exception {
    kms.generateDataKey(TENANT).close();
    Path link = dir.resolve("link.json");
    Files.createSymbolicLink(link, file);

    assertThatThrownBy(() -> LocalKeyringKms.open(link, clock))
        .isInstanceOfSatisfying(
            KmsException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.FAILED_PRECONDITION));
  }

  @Test
  void open_corruptKeyring_refusedWithoutQuotingItsContent() throws Exception {
    Files.createDirectories(file.getParent());
    String secretLooking = "c2VjcmV0LWtleS1tYXRlcmlhbC1DQU5BUlk=";
    Files.writeString(file, "{\"format\": \"flow-sidecar-keyring-v1\", \"tenants\": {\"acme\": "
        + "{\"primary_version\": 1, \"versions\": [{\"version\": 1, \"created_at\": "
        + "\"2026-01-01T00:00:00Z\", \"key\": \"" + secretLooking + "\"}]}}}");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

    assertThatThrownBy(() -> LocalKeyringKms.open(file, clock))
        .isInstanceOfSatisfying(
            KmsException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.INTERNAL))
        .hasMessageContaining("tenant acme version 1 is malformed")
        .hasMessageNotContaining(secretLooking);

    Files.writeString(file, "{\"format\": \"x\", " + secretLooking);
    assertThatThrownBy(() -> LocalKeyringKms.open(file, clock))
        .hasMessageContaining("not valid JSON")
        .hasMessageNotContaining(secretLooking);
  }

  @Test
  void unwrap_sameTenantNameInAnotherKeyring_fails() {
    DataKey key = kms.generateDataKey(TENANT);
    LocalKeyringKms other = LocalKeyringKms.open(dir.resolve("other.json"), clock);
    try {
      other.generateDataKey(TENANT).close();
      assertThatThrownBy(() -> other.unwrap(TENANT, key.wrapped().bytes()))
          .isInstanceOf(InvalidCiphertextException.class);
    } finally {
      other.close();
    }
  }

  @Test
  void close_thenUse_failsUnavailableAndKeysWiped() {
    kms.generateDataKey(TENANT).close();
    kms.close();

    assertThatThrownBy(() -> kms.generateDataKey(TENANT))
        .isInstanceOfSatisfying(
            KmsException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE));
  }
}
