package io.apixx.flow.sidecar.observability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LogRedactorTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "authorization: Bearer abc.def-ghi_CANARY",
        "session fss_demo_CANARYabcdefghijklmnopqrstuvwxyz0123456789",
        "challenge fsm_demo_CANARYabcdefghij",
        "token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJDQU5BUlkifQ.c2lnbmF0dXJlQ0FOQVJZ",
        "hash $2b$12$CANARYabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJK",
        "uri otpauth://totp/Flow:a@b?secret=CANARYSEED&issuer=Flow",
        "password=CANARY1",
        "{\"api_key\": CANARY2}",
        "-----BEGIN PRIVATE KEY-----\nCANARYKEYDATA\n-----END PRIVATE KEY-----",
      })
  void redact_secretShapedText_removesTheCanary(String line) {
    String out = LogRedactor.redact(line);
    assertThat(out).doesNotContain("CANARY").contains(LogRedactor.MASK);
  }

  @Test
  void redact_ordinaryText_unchanged() {
    String line = "dependency db is SERVING again; request id 0b4c; connector github-main v3";
    assertThat(LogRedactor.redact(line)).isEqualTo(line);
  }

  @Test
  void redact_keepsTheTextAroundTheSecret() {
    assertThat(LogRedactor.redact("Bearer xyz")).isEqualTo("Bearer " + LogRedactor.MASK);
    assertThat(LogRedactor.redact("a=1&password=xyz&b=2")).isEqualTo("a=1&password=" + LogRedactor.MASK + "&b=2");
  }
}
