package io.apixx.flow.sidecar.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuditRecordsTest {
  private static io.apixx.flow.sidecar.v1.AuditEvent.Builder builder(int i) {
    AuditEvent e = AuditSpoolTest.event(i);
    AuditEvent withAttributes =
        new AuditEvent(e.tenantId(), e.actor(), e.action(), e.target(), e.outcome(), e.reasonCode(), e.requestId(), e.peer(), e.time(),
            Map.of("z_last", "1", "a_first", "2", "version", "3", "field_names", "token,secret"));
    return AuditRecords.toProto(withAttributes, "eu-west-1", "host-1");
  }

  @Test
  void seal_parsesToTheChainedEventAndVerifies() throws Exception {
    ByteString prev = AuditRecords.GENESIS;
    for (int i = 1; i <= 20; i++) {
      io.apixx.flow.sidecar.v1.AuditEvent.Builder b = builder(i);
      io.apixx.flow.sidecar.v1.AuditEvent chained = AuditRecords.chain(b.clone(), i, prev);
      AuditRecords.Sealed sealed = AuditRecords.seal(b, i, prev);

      io.apixx.flow.sidecar.v1.AuditEvent parsed = io.apixx.flow.sidecar.v1.AuditEvent.parseFrom(sealed.bytes());
      assertThat(parsed).isEqualTo(chained);
      assertThat(sealed.hash()).isEqualTo(chained.getHash()).hasSize(32);
      assertThat(AuditRecords.verifies(parsed, prev)).isTrue();
      prev = sealed.hash();
    }
  }

  @Test
  void verifies_alteredRecordOrWrongPredecessor_false() throws Exception {
    AuditRecords.Sealed sealed = AuditRecords.seal(builder(1), 1, AuditRecords.GENESIS);
    io.apixx.flow.sidecar.v1.AuditEvent parsed = io.apixx.flow.sidecar.v1.AuditEvent.parseFrom(sealed.bytes());
    assertThat(AuditRecords.verifies(parsed, ByteString.copyFrom(new byte[] {1}))).isFalse();
    assertThat(AuditRecords.verifies(parsed.toBuilder().setTarget("connector/other/v1").build(), AuditRecords.GENESIS)).isFalse();
    assertThat(AuditRecords.verifies(parsed.toBuilder().putAttributes("version", "4").build(), AuditRecords.GENESIS)).isFalse();
  }
}
