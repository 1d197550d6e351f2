package io.apixx.flow.sidecar.dev;

import static io.apixx.flow.sidecar.testing.CredentialsHarness.meta;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.auth.RunPrincipal;
import io.apixx.flow.sidecar.credentials.ReleasedCredential;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.testing.CredentialsHarness;
import io.apixx.flow.sidecar.testing.CredentialsTestCase;
import io.apixx.flow.sidecar.v1.ActorKind;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link DevSeed}: the demo data the smoke tests rely on, ensured idempotently. */
class DevSeedTest extends CredentialsTestCase {
  private DevSeed seed;

  @BeforeEach
  void setUp() {
    // The demo tenant has a fixed id; start from nothing (this harness has its own keyring).
    h.fixtures.execute("DELETE FROM flow.tenants WHERE id = ?", DevSeed.TENANT);
    seed = DevSeed.create(h.db.tenants(), h.directory, h.service, CredentialsHarness.REGION);
  }

  @AfterEach
  void tearDown() {
    h.fixtures.execute("DELETE FROM flow.tenants WHERE id = ?", DevSeed.TENANT);
  }

  private Map<String, String> release(RunPrincipal run, String connector) {
    try (ReleasedCredential r = h.service.release(run, connector, meta())) {
      return r.fields().revealUtf8(SecretAccess.RELEASE);
    }
  }

  @Test
  void ensure_emptyDatabase_seedsWhatTheSmokeTestsExpect() {
    DevSeed.Result result = seed.ensure();

    assertThat(result.sealed()).containsExactly(DevSeed.GITHUB, DevSeed.OTHER);
    assertThat(h.fixtures.rows("SELECT plan, residency_region FROM flow.tenants WHERE id = 'demo'"))
        .containsExactly(Map.of("plan", "enterprise", "residency_region", CredentialsHarness.REGION));
    assertThat(h.fixtures.rows("SELECT id, display_name FROM flow.connectors WHERE tenant_id = 'demo' ORDER BY id"))
        .containsExactly(
            Map.of("id", "demo-github", "display_name", "Demo GitHub"),
            Map.of("id", "demo-other", "display_name", "Demo Other"));
    RunPrincipal run = h.run(DevSeed.TENANT, DevSeed.GITHUB);
    Map<String, String> fields = release(run, DevSeed.GITHUB);
    assertThat(fields.get("api_token")).startsWith("demo_pat_").hasSizeGreaterThan(20);
    assertThat(fields).containsEntry("user", "demo");
    assertThatThrownBy(() -> h.service.release(run, DevSeed.OTHER, meta()))
        .isInstanceOfSatisfying(SidecarException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.PERMISSION_DENIED));
    assertThat(h.audit(DevSeed.TENANT, Actions.CREDENTIAL_SEAL))
        .hasSize(2)
        .allSatisfy(e -> assertThat(e.getActor().getKind()).isEqualTo(ActorKind.ACTOR_KIND_SYSTEM));
  }

  @Test
  void ensure_again_changesNothingAndKeepsTheToken() {
    seed.ensure();
    String token = release(h.run(DevSeed.TENANT, DevSeed.GITHUB), DevSeed.GITHUB).get("api_token");

    DevSeed.Result again = seed.ensure();

    assertThat(again.sealed()).isEmpty();
    assertThat(release(h.run(DevSeed.TENANT, DevSeed.GITHUB), DevSeed.GITHUB)).containsEntry("api_token", token);
    assertThat(h.audit(DevSeed.TENANT, Actions.CREDENTIAL_SEAL)).hasSize(2);
  }

  @Test
  void ensure_daemonRegionChanged_movesDemoTenantToIt() {
    seed.ensure();
    h.fixtures.execute("UPDATE flow.tenants SET residency_region = 'eu-west-1', plan = 'starter' WHERE id = 'demo'");

    seed.ensure();

    assertThat(h.fixtures.rows("SELECT plan, residency_region FROM flow.tenants WHERE id = 'demo'"))
        .containsExactly(Map.of("plan", "enterprise", "residency_region", CredentialsHarness.REGION));
    assertThat(release(h.run(DevSeed.TENANT, DevSeed.GITHUB), DevSeed.GITHUB)).containsKey("api_token");
  }
}
