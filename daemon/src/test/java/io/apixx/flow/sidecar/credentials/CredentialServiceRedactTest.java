package io.apixx.flow.sidecar.credentials;

import static io.apixx.flow.sidecar.testing.CredentialsHarness.meta;
import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.auth.RunPrincipal;
import io.apixx.flow.sidecar.testing.CredentialsTestCase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link CredentialService#redact} after real releases: what a run session may have scrubbed. */
class CredentialServiceRedactTest extends CredentialsTestCase {
  @BeforeEach
  void setUp() {
    h.seal(tenant, "github", Map.of("api_token", "ghp_run-secret-0001", "user", "octo"));
    h.seal(tenant, "slack", Map.of("api_token", "xoxb-other-secret-0002"));
  }

  private void release(RunPrincipal run, String connector) {
    h.service.release(run, connector, meta()).close();
  }

  @Test
  void redact_valuesReleasedToThisSession_maskedWithDefaultMask() {
    RunPrincipal run = h.run(tenant, "github");
    release(run, "github");
    String b64 = Base64.getEncoder().encodeToString("ghp_run-secret-0001".getBytes(StandardCharsets.UTF_8));

    RedactionResult r = h.service.redact(run, "token=ghp_run-secret-0001 header=" + b64 + " user=octo", "");

    assertThat(r.payload()).isEqualTo("token=[REDACTED] header=[REDACTED] user=octo");
    assertThat(r.replacements()).isEqualTo(2);
    assertThat(h.service.redact(run, "ghp_run-secret-0001", "***").payload()).isEqualTo("***");
  }

  @Test
  void redact_valuesNotReleasedToThisSession_untouched() {
    RunPrincipal run = h.run(tenant, "github", "slack");
    RunPrincipal otherRun = h.run(tenant, "slack");
    release(run, "github");
    release(otherRun, "slack");

    // The slack value was released, but to another session; this session never fetched it.
    RedactionResult r = h.service.redact(run, "xoxb-other-secret-0002 ghp_run-secret-0001", "");
    assertThat(r.payload()).isEqualTo("xoxb-other-secret-0002 [REDACTED]");
    assertThat(h.service.redact(h.run(tenant, "github"), "ghp_run-secret-0001", "").replacements()).isZero();
  }

  @Test
  void redact_afterSessionExpiry_forgotten() {
    RunPrincipal run = h.run(tenant, "github");
    release(run, "github");
    assertThat(h.service.redact(run, "ghp_run-secret-0001", "").replacements()).isEqualTo(1);

    h.clock.advance(Duration.ofHours(1));

    assertThat(h.service.redact(run, "ghp_run-secret-0001", "").replacements()).isZero();
  }

  @Test
  void redact_afterRotation_bothReleasedVersionsKnown() {
    RunPrincipal run = h.run(tenant, "github");
    release(run, "github");
    h.rotate(h.service, tenant, "github", Map.of("api_token", "ghp_run-secret-0003"));
    release(run, "github");

    assertThat(h.service.redact(run, "ghp_run-secret-0001 ghp_run-secret-0003", "").replacements()).isEqualTo(2);
  }
}
