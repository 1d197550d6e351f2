package io.apixx.flow.sidecar.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class SealContextTest {

  @Test
  void associatedData_documentedExample_matchesByteForByte() {
    SealContext ctx = new SealContext("t1", "c", "k", 3, SealContext.PURPOSE_TOTP_SEED);

    assertThat(HexFormat.of().formatHex(ctx.associatedData()))
        .isEqualTo("01" + "0009746f74702d73656564" + "00027431" + "000163" + "00016b"
            + "0000000000000003");
  }

  @Test
  void associatedData_callerMutatesItsCopy_contextUnchanged() {
    SealContext ctx = new SealContext("t1", "c", "k", 3, SealContext.PURPOSE_TOTP_SEED);
    byte[] first = ctx.associatedData();
    first[first.length - 1] = 9;

    assertThat(ctx.associatedData()[first.length - 1]).isEqualTo((byte) 3);
    assertThat(ctx.associatedDataShared()).isEqualTo(ctx.associatedData());
  }

  @Test
  void equality_sameFieldsEqual_anyFieldChangedNotEqual() {
    SealContext a = new SealContext("t1", "c", "k", 3, "p");

    assertThat(a).isEqualTo(new SealContext("t1", "c", "k", 3, "p"))
        .hasSameHashCodeAs(new SealContext("t1", "c", "k", 3, "p"));
    assertThat(a).isNotEqualTo(new SealContext("t2", "c", "k", 3, "p"))
        .isNotEqualTo(new SealContext("t1", "c", "k", 4, "p"))
        .isNotEqualTo(new SealContext("t1", "c", "k", 3, "q"));
    assertThat(a.toString()).contains("tenantId=t1", "version=3", "purpose=p");
  }

  @Test
  void associatedData_fieldBoundariesShifted_differ() {
    // Without length prefixes "ab"+"c" and "a"+"bc" would collide.
    SealContext a = new SealContext("ab", "c", "k", 1, "p");
    SealContext b = new SealContext("a", "bc", "k", 1, "p");
    SealContext c = new SealContext("a", "b", "ck", 1, "p");

    assertThat(a.associatedData()).isNotEqualTo(b.associatedData());
    assertThat(b.associatedData()).isNotEqualTo(c.associatedData());
  }

  @Test
  void associatedData_nonAsciiIds_encodedAsUtf8() {
    SealContext ctx = new SealContext("tenant-é", "c", "k", 0, "p");

    byte[] aad = ctx.associatedData();
    // purpose "p": 01 0001 70, then tenant length 9 (é is two bytes).
    assertThat(aad[4]).isEqualTo((byte) 0);
    assertThat(aad[5]).isEqualTo((byte) 9);
  }

  @Test
  void constructor_loneSurrogate_rejected() {
    assertThatThrownBy(() -> new SealContext("t\uD800", "c", "k", 1, "p"))
        .isInstanceOf(SidecarException.class)
        .hasMessage("seal context: tenantId is not well-formed Unicode");
  }

  @Test
  void constructor_badFields_rejectedWithInvalidArgumentNamingTheField() {
    assertInvalid(() -> new SealContext(null, "c", "k", 1, "p"), "tenantId is required");
    assertInvalid(() -> new SealContext("t", "", "k", 1, "p"), "connectorId is required");
    assertInvalid(() -> new SealContext("t", "c", null, 1, "p"), "credentialId is required");
    assertInvalid(() -> new SealContext("t", "c", "k", -1, "p"), "version must not be negative");
    assertInvalid(() -> new SealContext("t", "c", "k", 1, "Upper"), "purpose must be");
    assertInvalid(() -> new SealContext("t", "c", "k", 1, ""), "purpose must be");
    assertInvalid(
        () -> new SealContext("x".repeat(SealContext.MAX_FIELD_BYTES + 1), "c", "k", 1, "p"),
        "tenantId must be at most");
  }

  @Test
  void constructor_maximalIds_accepted() {
    String max = "x".repeat(SealContext.MAX_FIELD_BYTES);
    SealContext ctx = new SealContext(max, max, max, Long.MAX_VALUE, "a".repeat(64));

    assertThat(ctx.associatedData()).hasSize(1 + 2 + 64 + 3 * (2 + SealContext.MAX_FIELD_BYTES) + 8);
  }

  private static void assertInvalid(Runnable r, String messagePart) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(
            SidecarException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT))
        .hasMessageContaining(messagePart);
  }
}
