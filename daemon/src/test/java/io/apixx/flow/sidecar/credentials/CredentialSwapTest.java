package io.apixx.flow.sidecar.credentials;

import static io.apixx.flow.sidecar.testing.CredentialsHarness.meta;
import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.auth.RunPrincipal;
import io.apixx.flow.sidecar.crypto.InvalidCiphertextException;
import io.apixx.flow.sidecar.crypto.kms.WrappedKey;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import io.apixx.flow.sidecar.testing.CredentialsHarness;
import io.apixx.flow.sidecar.v1.AuditEvent;
import io.apixx.flow.sidecar.v1.Outcome;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AEAD binding end to end: stored ciphertext moved (by someone with write access to the database,
 * here the superuser with triggers disabled) to another tenant, connector, credential or version
 * must fail to open, with no plaintext, an INTERNAL "invalid ciphertext" answer and an audited
 * failure. Where the data key still unwraps (same tenant), only the associated data can stop it.
 */
class CredentialSwapTest {
  private static final String SECRET = "swap-canary-secret-value";

  @TempDir Path dir;
  private CredentialsHarness h;
  private int attempts;
  private int failures;

  @BeforeEach
  void setUp() {
    // No row cache: every release reads what the test just wrote.
    h = new CredentialsHarness(dir, CredentialLimits.defaults().withRowCacheTtl(Duration.ZERO));
  }

  @AfterEach
  void tearDown() {
    System.out.printf("ciphertext swaps: %d attempts, %d failed closed%n", attempts, failures);
    h.close();
  }

  private record Stored(UUID credentialId, byte[] ciphertext, byte[] wrappedKey, String keyRef) {}

  private Stored stored(String tenant, String connector, int version) {
    try (Connection c = h.pg.superuserDataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT credential_id, ciphertext, wrapped_key, key_ref FROM flow.connector_credentials"
                    + " WHERE tenant_id = ? AND connector_id = ? AND version = ?")) {
      ps.setString(1, tenant);
      ps.setString(2, connector);
      ps.setInt(3, version);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        return new Stored(rs.getObject(1, UUID.class), rs.getBytes(2), rs.getBytes(3), rs.getString(4));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Overwrites a stored version as the superuser, bypassing the immutability triggers. */
  private void overwrite(String tenant, String connector, int version, UUID credentialId, byte[] ciphertext, byte[] wrappedKey) {
    try (Connection c = h.pg.superuserDataSource().getConnection()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("SET LOCAL session_replication_role = replica");
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE flow.connector_credentials SET credential_id = ?, ciphertext = ?, wrapped_key = ?"
                  + " WHERE tenant_id = ? AND connector_id = ? AND version = ?")) {
        ps.setObject(1, credentialId);
        ps.setBytes(2, ciphertext);
        ps.setBytes(3, wrappedKey);
        ps.setString(4, tenant);
        ps.setString(5, connector);
        ps.setInt(6, version);
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      c.commit();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Releases and asserts the fail-closed outcome. */
  private void assertFailsClosed(String tenant, String connector) {
    RunPrincipal run = h.run(tenant, connector);
    attempts++;
    try (ReleasedCredential leaked = h.service.release(run, connector, meta())) {
      throw new AssertionError("a moved ciphertext opened: " + leaked.metadata());
    } catch (SidecarException e) {
      assertThat(e).isInstanceOf(InvalidCiphertextException.class);
      assertThat(e.kind()).isEqualTo(ErrorKind.INTERNAL);
      assertThat(e.getMessage()).isEqualTo("invalid ciphertext");
      failures++;
    }
    assertThat(h.service.redact(run, SECRET, "").replacements()).isZero();
    List<AuditEvent> events = h.audit(tenant, Actions.CREDENTIAL_RELEASE);
    assertThat(events.get(events.size() - 1).getOutcome()).isEqualTo(Outcome.OUTCOME_FAILURE);
    assertThat(events.get(events.size() - 1).getReasonCode()).isEqualTo("invalid_ciphertext");
  }

  @Test
  void release_ciphertextFromOtherTenantWithItsWrappedKey_failsClosed() {
    String a = h.tenant("swap-a");
    String b = h.tenant("swap-b");
    h.seal(a, "github", Map.of("api_token", "tenant-a-value"));
    h.seal(b, "github", Map.of("api_token", SECRET));
    Stored fromB = stored(b, "github", 1);

    overwrite(a, "github", 1, fromB.credentialId(), fromB.ciphertext(), fromB.wrappedKey());

    assertFailsClosed(a, "github");
  }

  @Test
  void release_ciphertextFromOtherTenantWithKeyRewrappedForThisTenant_failsOnAssociatedData() {
    // The strongest move: B's data key re-wrapped under A's KMS key (as if the attacker also had
    // the KMS), with B's credential id, connector and version: only the tenant in the AAD differs.
    String a = h.tenant("swap-a");
    String b = h.tenant("swap-b");
    h.seal(a, "github", Map.of("api_token", "tenant-a-value"));
    h.seal(b, "github", Map.of("api_token", SECRET));
    Stored fromB = stored(b, "github", 1);
    WrappedKey forA;
    try (SecretBytes dek = h.kms.unwrap(b, fromB.wrappedKey())) {
      forA = h.kms.wrap(a, dek);
    }

    overwrite(a, "github", 1, fromB.credentialId(), fromB.ciphertext(), forA.bytes());

    assertFailsClosed(a, "github");
  }

  @Test
  void release_ciphertextFromOtherConnector_failsOnAssociatedData() {
    String t = h.tenant("swap-c");
    h.seal(t, "github", Map.of("api_token", SECRET));
    h.seal(t, "slack", Map.of("api_token", "slack-value"));
    Stored github = stored(t, "github", 1);
    Stored slack = stored(t, "slack", 1);

    // The data key unwraps (same tenant); connector (and credential id) in the AAD differ.
    overwrite(t, "slack", 1, slack.credentialId(), github.ciphertext(), github.wrappedKey());
    assertFailsClosed(t, "slack");

    // Even with the credential id moved along, the connector still differs.
    overwrite(t, "slack", 1, github.credentialId(), github.ciphertext(), github.wrappedKey());
    assertFailsClosed(t, "slack");
  }

  @Test
  void release_ciphertextUnderOtherCredentialId_failsOnAssociatedData() {
    String t = h.tenant("swap-k");
    h.seal(t, "github", Map.of("api_token", SECRET));
    Stored original = stored(t, "github", 1);

    overwrite(t, "github", 1, UUID.randomUUID(), original.ciphertext(), original.wrappedKey());

    assertFailsClosed(t, "github");
  }

  @Test
  void release_ciphertextFromOtherVersion_failsOnAssociatedData() {
    String t = h.tenant("swap-v");
    h.seal(t, "github", Map.of("api_token", SECRET));
    h.rotate(h.service, t, "github", Map.of("api_token", "version-two-value"));
    Stored v1 = stored(t, "github", 1);

    // The old version replayed as the current one (a rollback of a rotation).
    overwrite(t, "github", 2, v1.credentialId(), v1.ciphertext(), v1.wrappedKey());

    assertFailsClosed(t, "github");
  }

  @Test
  void release_tamperedCiphertextOrWrappedKey_failsClosed() {
    String t = h.tenant("swap-x");
    h.seal(t, "github", Map.of("api_token", SECRET));
    Stored s = stored(t, "github", 1);
    for (int i : new int[] {0, 1, 13, s.ciphertext().length - 1}) {
      byte[] ct = s.ciphertext().clone();
      ct[i] ^= 0x01;
      overwrite(t, "github", 1, s.credentialId(), ct, s.wrappedKey());
      assertFailsClosed(t, "github");
    }
    byte[] wk = s.wrappedKey().clone();
    wk[wk.length - 1] ^= 0x01;
    overwrite(t, "github", 1, s.credentialId(), s.ciphertext(), wk);
    assertFailsClosed(t, "github");

    // Restored, it opens again: the failures were the tampering, not the setup.
    overwrite(t, "github", 1, s.credentialId(), s.ciphertext(), s.wrappedKey());
    try (ReleasedCredential r = h.service.release(h.run(t, "github"), "github", meta())) {
      assertThat(r.fields().revealUtf8(SecretAccess.RELEASE)).containsEntry("api_token", SECRET);
    }
  }
}
