package io.apixx.flow.sidecar.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunTokenExchangeTest {
  @TempDir Path dir;
  AuthFixture f;
  RunTokenMinter minter;
  RunTokenExchange exchange;

  @BeforeEach
  void setUp() throws Exception {
    f = new AuthFixture(dir, 10);
    ECKey key = new ECKeyGenerator(Curve.P_256).keyID("orchestrator-1").generate();
    minter = new RunTokenMinter(key, "flow-orchestrator", "flow-sidecar", f.clock);
    RunTokenVerifier verifier = new RunTokenVerifier(JwkSource.of(new JWKSet(key.toPublicJWK())), "flow-orchestrator", "flow-sidecar",
        List.of("ES256"), Duration.ofSeconds(60), Duration.ofHours(24), f.clock);
    exchange = new RunTokenExchange(verifier, f.tenants, f.directory, f.sessions, f.spool, f.clock);
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
  }

  @Test
  void exchange_validToken_runSessionBoundToTheRunEndingAtExp() throws Exception {
    String token = minter.mint(f.tenant, "run-7", "wf-1", List.of("github-main", "slack"), Duration.ofMinutes(10));
    RunTokenExchange.Exchanged e = exchange.exchange(token, f.meta(), "step-3");
    RunPrincipal p = (RunPrincipal) f.sessions.validate(e.session().token()).principal();
    assertThat(p.tenantId()).isEqualTo(f.tenant);
    assertThat(p.runId()).isEqualTo("run-7");
    assertThat(p.allowedConnectors()).containsExactlyInAnyOrder("github-main", "slack");
    // exp is a NumericDate: whole seconds.
    assertThat(e.session().absoluteExpiresAt()).isEqualTo(f.clock.instant().plus(Duration.ofMinutes(10)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    f.clock.advance(Duration.ofMinutes(10));
    assertThatThrownBy(() -> f.sessions.validate(e.session().token())).isInstanceOf(AuthException.class);
    assertThat(f.audited(Actions.AUTH_RUN_TOKEN, AuditEvent.Outcome.SUCCESS)).isEqualTo(1);
    assertThat(f.events().get(0).toString()).doesNotContain(token).doesNotContain(e.session().token());
  }

  @Test
  void exchange_sameJtiTwice_secondRefusedAsReplayAndAudited() throws Exception {
    String token = minter.mint(f.tenant, "run-8", "wf-1", List.of("github-main"), Duration.ofMinutes(10));
    exchange.exchange(token, f.meta(), "");
    assertThatThrownBy(() -> exchange.exchange(token, f.meta(), ""))
        .isInstanceOfSatisfying(SidecarException.class, ex -> {
          assertThat(ex.kind()).isEqualTo(ErrorKind.UNAUTHENTICATED);
          assertThat(ex.reasonCode()).isEqualTo("replayed");
        });
    assertThat(f.audited(Actions.AUTH_RUN_TOKEN, AuditEvent.Outcome.DENIED)).isEqualTo(1);
    assertThat(f.fixtures.count("SELECT count(*) FROM flow.sessions WHERE tenant_id = ? AND kind = 'run'", f.tenant)).isEqualTo(1);
  }

  @Test
  void exchange_unknownTenant_unauthenticated() {
    String token = minter.mint("no-such-tenant", "run-9", "wf-1", List.of("x"), Duration.ofMinutes(10));
    assertThatThrownBy(() -> exchange.exchange(token, f.meta(), ""))
        .isInstanceOfSatisfying(SidecarException.class, ex -> assertThat(ex.reasonCode()).isEqualTo("unknown_tenant"));
  }

  @Test
  void exchange_forgedToken_unauthenticatedAndAudited() throws Exception {
    ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID("orchestrator-1").generate();
    String forged = new RunTokenMinter(attacker, "flow-orchestrator", "flow-sidecar", f.clock)
        .mint(f.tenant, "run-x", "wf-1", List.of("github-main"), Duration.ofMinutes(10));
    assertThatThrownBy(() -> exchange.exchange(forged, f.meta(), ""))
        .isInstanceOfSatisfying(SidecarException.class, ex -> assertThat(ex.reasonCode()).isEqualTo("bad_signature"));
    assertThat(f.audited(Actions.AUTH_RUN_TOKEN, AuditEvent.Outcome.DENIED)).isEqualTo(1);
  }
}
