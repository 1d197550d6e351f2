package io.apixx.flow.sidecar.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokensTest {
  @Test
  void tenantOf_manyFreshTokens_alwaysParsesTheTenant() {
    // base64url secrets contain '_' and '-' often: every one of them must parse.
    for (int i = 0; i < 10_000; i++) {
      String t = Tokens.newToken(Tokens.SESSION, "acme-prod");
      assertThat(Tokens.tenantOf(Tokens.SESSION, t)).as(t).hasValue("acme-prod");
    }
  }

  @Test
  void tenantOf_malformedTokens_empty() {
    assertThat(Tokens.tenantOf(Tokens.SESSION, "fss_")).isEmpty();
    assertThat(Tokens.tenantOf(Tokens.SESSION, "fss__abc")).isEmpty();
    assertThat(Tokens.tenantOf(Tokens.SESSION, "fss_ACME_" + "a".repeat(43))).isEmpty();
    assertThat(Tokens.tenantOf(Tokens.SESSION, "fss_acme_" + "a".repeat(42))).isEmpty();
    assertThat(Tokens.tenantOf(Tokens.SESSION, "fsm_acme_" + "a".repeat(43))).isEmpty();
    assertThat(Tokens.tenantOf(Tokens.SESSION, null)).isEmpty();
  }

  @Test
  void hashHex_isSha256Hex() {
    assertThat(Tokens.hashHex("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
}
