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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

  /** A keyring as the Jackson-based writer left it (indented), holding known key bytes. */
  private static final byte[] KEY_V1 = filled(0x11);
  private static final byte[] KEY_V2 = filled(0x22);
  private static final String JACKSON_WRITTEN = """
      {
        "format" : "flow-sidecar-keyring-v1",
        "tenants" : {
          "acme" : {
            "primary_version" : 2,
            "versions" : [ {
              "version" : 1,
              "created_at" : "2026-11-29T14:00:00Z",
              "key" : "%s"
            }, {
              "version" : 2,
              "created_at" : "2026-12-01T09:30:00.123456789Z",
              "key" : "%s"
            } ]
          }
        }
      }""".formatted(b64(KEY_V1), b64(KEY_V2));

  private static byte[] filled(int b) {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) b);
    return key;
  }

  private static String b64(byte[] key) {
    return Base64.getEncoder().encodeToString(key);
  }

  private void writeKeyring(String json) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(file, json);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
  }

  /** Additional data as documented: header bytes 0..4, then the length-prefixed tenant id. */
  private static byte[] aad(byte[] wrapped, String tenant) {
    byte[] t = tenant.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(5 + 2 + t.length).put(wrapped, 0, 5).putShort((short) t.length).put(t).array();
  }

  /** Opens {@code wrapped} with {@code kek} as the documented layout says, without the KMS. */
  private static byte[] unwrapByHand(byte[] kek, byte[] wrapped, String tenant) throws Exception {
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, wrapped, 5, 12));
    gcm.updateAAD(aad(wrapped, tenant));
    return gcm.doFinal(wrapped, 17, wrapped.length - 17);
  }

  /** Wraps {@code dek} under {@code kek} as KEK version {@code version}, as documented. */
  private static byte[] wrapByHand(byte[] kek, int version, byte[] dek, String tenant) throws Exception {
    byte[] out = new byte[65];
    out[0] = 0x01;
    ByteBuffer.wrap(out, 1, 4).putInt(version);
    out[5] = 7; // any IV will do for a test
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, out, 5, 12));
    gcm.updateAAD(aad(out, tenant));
    byte[] sealed = gcm.doFinal(dek);
    System.arraycopy(sealed, 0, out, 17, sealed.length);
    return out;
  }

  @Test
  void open_keyringWrittenByTheJacksonWriter_readsItsKeys() throws Exception {
    writeKeyring(JACKSON_WRITTEN);
    LocalKeyringKms read = LocalKeyringKms.open(file, clock);
    byte[] dek = filled(0x33);
    try (DataKey key = read.generateDataKey(TENANT);
        SecretBytes v1 = read.unwrap(TENANT, wrapByHand(KEY_V1, 1, dek, TENANT))) {
      assertThat(key.wrapped().keyRef()).as("primary_version").isEqualTo("local:acme:v2");
      assertThat(unwrapByHand(KEY_V2, key.wrapped().bytes(), TENANT))
          .isEqualTo(key.plaintext().reveal(SecretAccess.RELEASE));
      assertThat(v1.contentEquals(dek)).isTrue();
    } finally {
      read.close();
    }
  }

  @Test
  void write_thenOpen_keepsEveryVersionItsKeyAndDateAndThePrimary() throws Exception {
    writeKeyring(JACKSON_WRITTEN);
    LocalKeyringKms first = LocalKeyringKms.open(file, clock);
    first.rotate(TENANT); // v3; the whole file is written anew by the code under test
    first.generateDataKey(OTHER_TENANT).close();
    first.close();

    // The file as a parser independent of the code under test (the one the old reader used) sees it.
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    JsonNode acme = root.get("tenants").get(TENANT);
    assertThat(root.get("format").asText()).isEqualTo("flow-sidecar-keyring-v1");
    assertThat(acme.get("primary_version").isInt()).isTrue();
    assertThat(acme.get("primary_version").asInt()).isEqualTo(3);
    assertThat(acme.get("versions").findValues("version")).extracting(JsonNode::intValue).containsExactly(1, 2, 3);
    assertThat(acme.get("versions").get(1).get("created_at").asText()).isEqualTo("2026-12-01T09:30:00.123456789Z");
    assertThat(acme.get("versions").get(0).get("key").asText()).isEqualTo(b64(KEY_V1));
    assertThat(acme.get("versions").get(1).get("key").asText()).isEqualTo(b64(KEY_V2));
    assertThat(root.get("tenants").get(OTHER_TENANT).get("versions")).hasSize(1);

    LocalKeyringKms reopened = LocalKeyringKms.open(file, clock);
    byte[] dek = filled(0x44);
    try (DataKey v3 = reopened.generateDataKey(TENANT);
        SecretBytes v1 = reopened.unwrap(TENANT, wrapByHand(KEY_V1, 1, dek, TENANT));
        SecretBytes v2 = reopened.unwrap(TENANT, wrapByHand(KEY_V2, 2, dek, TENANT))) {
      assertThat(v3.wrapped().keyRef()).isEqualTo("local:acme:v3");
      assertThat(v1.contentEquals(dek)).isTrue();
      assertThat(v2.contentEquals(dek)).isTrue();
      assertThat(reopened.rotate(TENANT)).isEqualTo(4);
    } finally {
      reopened.close();
    }
  }

  private static final String SECRET_LOOKING = b64(filled(0x5a));

  /**
   * A wrong type in a field is refused with the message the Jackson-based reader gave (checked
   * against it), without quoting the file.
   */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock = """
          key             | 12345                              | tenant acme version 1 is malformed
          key             | ["$KEY"]                           | tenant acme version 1 is malformed
          key             | null                               | tenant acme version 1 is malformed
          created_at      | 1767225600                         | tenant acme version 1 is malformed
          created_at      | {"iso": "2026-01-01T00:00:00Z"}    | tenant acme version 1 is malformed
          version         | "one"                              | tenant acme version 0 is malformed
          version         | [1]                                | tenant acme version 0 is malformed
          version         | null                               | tenant acme version 0 is malformed
          primary_version | "x"                                | tenant acme has no key for its primary_version
          primary_version | {}                                 | tenant acme has no key for its primary_version
          """)
  void open_wrongTypeInAField_sameErrorAsBefore(String field, String value, String message) throws Exception {
    String tenant = """
        {"primary_version": <primary_version>, "versions": [
          {"version": <version>, "created_at": <created_at>, "key": <key>}]}""";
    for (String[] fieldValue : new String[][] {
        {"primary_version", "1"}, {"version", "1"}, {"created_at", "\"2026-01-01T00:00:00Z\""}, {"key", "\"$KEY\""}}) {
      tenant = tenant.replace("<" + fieldValue[0] + ">", fieldValue[0].equals(field) ? value : fieldValue[1]);
    }
    writeKeyring("{\"format\": \"flow-sidecar-keyring-v1\", \"tenants\": {\"acme\": " + tenant.replace("$KEY", SECRET_LOOKING) + "}}");

    assertThatThrownBy(() -> LocalKeyringKms.open(file, clock))
        .isInstanceOfSatisfying(KmsException.class, e -> {
          assertThat(e.kind()).isEqualTo(ErrorKind.INTERNAL);
          assertThat(e.reasonCode()).isEqualTo("keyring_corrupt");
        })
        .hasMessageEndingWith("is not valid: " + message)
        .hasMessageNotContaining(SECRET_LOOKING);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock = """
          []                                                          | expected {"format": "flow-sidecar-keyring-v1", "tenants": {...}}
          "flow-sidecar-keyring-v1"                                   | expected {"format": "flow-sidecar-keyring-v1", "tenants": {...}}
          null                                                        | expected {"format": "flow-sidecar-keyring-v1", "tenants": {...}}
          {"format": 1, "tenants": {}}                                | expected {"format": "flow-sidecar-keyring-v1", "tenants": {...}}
          {"format": "flow-sidecar-keyring-v1", "tenants": []}        | expected {"format": "flow-sidecar-keyring-v1", "tenants": {...}}
          {"format": "flow-sidecar-keyring-v1", "tenants": {"acme": []}} | tenant acme has no key for its primary_version
          {"format": "flow-sidecar-keyring-v1", "tenants": {"acme": {"primary_version": 1, "versions": "x"}}} | tenant acme has no key for its primary_version
          {"format": "flow-sidecar-keyring-v1", "tenants": {"acme": {"primary_version": 1, "versions": [7]}}} | tenant acme version 0 is malformed
          {"format": "flow-sidecar-keyring-v1", "tenants": {"Not A Tenant!": {}}} | a tenant id is not valid
          {"format": "flow-sidecar-keyring-v1", "tenants": {},}       | it is not valid JSON
          """)
  void open_wrongShape_sameErrorAsBefore(String json, String message) throws Exception {
    writeKeyring(json);

    assertThatThrownBy(() -> LocalKeyringKms.open(file, clock))
        .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.reasonCode()).isEqualTo("keyring_corrupt"))
        .hasMessageEndingWith("is not valid: " + message);
  }

  /** The one change: the Jackson-based reader ignored anything after the top-level object. */
  @Test
  void open_contentAfterTheObject_refusedAsInvalidJson() throws Exception {
    writeKeyring(JACKSON_WRITTEN + "\n" + SECRET_LOOKING);

    assertThatThrownBy(() -> LocalKeyringKms.open(file, clock))
        .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.reasonCode()).isEqualTo("keyring_corrupt"))
        .hasMessageEndingWith("is not valid: it is not valid JSON")
        .hasMessageNotContaining(SECRET_LOOKING);
  }

  /** The Jackson-based reader took numbers as JsonNode.asInt did; files it read still open. */
  @Test
  void open_versionsWrittenAsTextOrDecimals_readAsBefore() throws Exception {
    writeKeyring(JACKSON_WRITTEN.replace("\"version\" : 1,", "\"version\" : \"1\",")
        .replace("\"version\" : 2,", "\"version\" : 2.0,")
        .replace("\"primary_version\" : 2,", "\"primary_version\" : \" 2 \","));
    LocalKeyringKms read = LocalKeyringKms.open(file, clock);
    try (DataKey key = read.generateDataKey(TENANT)) {
      assertThat(key.wrapped().keyRef()).isEqualTo("local:acme:v2");
      assertThat(unwrapByHand(KEY_V2, key.wrapped().bytes(), TENANT)).isEqualTo(key.plaintext().reveal(SecretAccess.RELEASE));
    } finally {
      read.close();
    }
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
