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
import io.apixx.flow.sidecar.testing.CredentialsTestCase;
import io.apixx.flow.sidecar.v1.AuditEvent;
import io.apixx.flow.sidecar.v1.Outcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * AEAD binding end to end: stored ciphertext moved (by someone with write access to the database,
 * here the superuser with triggers disabled) to another tenant, connector, credential or version
 * must fail to open, with no plaintext, an INTERNAL "invalid ciphertext" answer and an audited
 * failure. Where the data key still unwraps (same tenant), only the associated data can stop it.
 */
class CredentialSwapTest extends CredentialsTestCase {
  private static final String SECRET = "swap-canary-secret-value";

  private int attempts;
  private int failures;

  /** No row cache: every release reads what the test just wrote. */
  @Override
  protected CredentialLimits limits() {
    return CredentialLimits.defaults().withRowCacheTtl(Duration.ZERO);
  }

  @AfterEach
  void report() {
    System.out.printf("ciphertext swaps: %d attempts, %d failed closed%n", attempts, failures);
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
    int updated =
        h.fixtures.executeBypassingTriggers(
            "UPDATE flow.connector_credentials SET credential_id = ?, ciphertext = ?, wrapped_key = ?"
                + " WHERE tenant_id = ? AND connector_id = ? AND version = ?",
            credentialId, ciphertext, wrappedKey, tenant, connector, version);
    assertThat(updated).isEqualTo(1);
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

  /** Tenants A and B with a connector of the same id; B's stored version 1. */
  private record TwoTenants(String a, String b, Stored fromB) {}

  private TwoTenants twoTenants() {
    String a = h.tenant("swap-a");
    String b = h.tenant("swap-b");
    h.seal(a, "github", Map.of("api_token", "tenant-a-value"));
    h.seal(b, "github", Map.of("api_token", SECRET));
    return new TwoTenants(a, b, stored(b, "github", 1));
  }

  @Test
  void release_ciphertextFromOtherTenantWithItsWrappedKey_failsClosed() {
    TwoTenants t = twoTenants();

    overwrite(t.a(), "github", 1, t.fromB().credentialId(), t.fromB().ciphertext(), t.fromB().wrappedKey());

    assertFailsClosed(t.a(), "github");
  }

  @Test
  void release_ciphertextFromOtherTenantWithKeyRewrappedForThisTenant_failsOnAssociatedData() {
    // The strongest move: B's data key re-wrapped under A's KMS key (as if the attacker also had
    // the KMS), with B's credential id, connector and version: only the tenant in the AAD differs.
    TwoTenants t = twoTenants();
    WrappedKey forA;
    try (SecretBytes dek = h.kms.unwrap(t.b(), t.fromB().wrappedKey())) {
      forA = h.kms.wrap(t.a(), dek);
    }

    overwrite(t.a(), "github", 1, t.fromB().credentialId(), t.fromB().ciphertext(), forA.bytes());

    assertFailsClosed(t.a(), "github");
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
