package io.apixx.flow.sidecar.credentials;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link CiphertextCache#notified}: which rows a {@code flow_credentials} payload drops. */
class CiphertextCacheTest {
  private final CiphertextCache cache = new CiphertextCache(Duration.ofMinutes(1), 100, () -> 0L);
  private final AtomicInteger loads = new AtomicInteger();

  private static StoredCredential row(String tenant, String connector) {
    return new StoredCredential(
        tenant, connector, UUID.randomUUID(), 1, new byte[] {1}, new byte[] {2}, "local:" + tenant + ":v1",
        List.of("token"), Instant.EPOCH, Instant.EPOCH, null);
  }

  private void read(String tenant, String connector) {
    cache.get(tenant, connector, () -> {
      loads.incrementAndGet();
      return Optional.of(row(tenant, connector));
    });
  }

  /** Whether the row is still cached (reading it costs no load). */
  private boolean cached(String tenant, String connector) {
    int before = loads.get();
    read(tenant, connector);
    return loads.get() == before;
  }

  @BeforeEach
  void fill() {
    read("acme", "github");
    read("acme", "slack");
    read("globex", "github");
    read("123", "github");
  }

  @Test
  void notified_wellFormedPayload_dropsThatConnectorsRowOnly() {
    cache.notified("{\"tenant_id\":\"acme\",\"connector_id\":\"github\",\"version\":2,\"event\":\"insert\"}");

    assertThat(cached("acme", "github")).isFalse();
    assertThat(cached("acme", "slack")).isTrue();
    assertThat(cached("globex", "github")).isTrue();
    assertThat(cached("123", "github")).isTrue();
  }

  @Test
  void notified_fieldsInAnyOrderAmongOthers_dropsThatRowOnly() {
    cache.notified("{\"event\":\"update\",\"extra\":[1,{\"x\":null}],\"connector_id\":\"slack\",\"tenant_id\":\"acme\"}");

    assertThat(cached("acme", "slack")).isFalse();
    assertThat(cached("acme", "github")).isTrue();
  }

  /** Anything unreadable drops every row: the safe direction. */
  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {
      "", "not json", "{", "null", "[]", "\"acme\"", "42",
      "[{\"tenant_id\":\"acme\",\"connector_id\":\"github\"}]",
      "{\"tenant_id\":\"acme\"}",
      "{\"connector_id\":\"github\"}",
      "{\"tenant_id\":\"\",\"connector_id\":\"github\"}",
      "{\"tenant_id\":\"acme\",\"connector_id\":\"\"}",
      "{\"tenant_id\":null,\"connector_id\":\"github\"}",
      "{\"tenant_id\":[\"acme\"],\"connector_id\":\"github\"}",
      "{\"tenant_id\":\"acme\",\"connector_id\":{\"id\":\"github\"}}"})
  void notified_unreadablePayload_dropsEveryRow(String payload) {
    cache.notified(payload);

    assertEveryRowDropped();
  }

  /**
   * Payloads the Jackson-based reader took for one row (a number or boolean as its text, content
   * after the object ignored, the last of repeated names) are unreadable now: every row goes,
   * which includes the one dropped before. The database never sends them.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      "{\"tenant_id\":123,\"connector_id\":\"github\"}",
      "{\"tenant_id\":true,\"connector_id\":\"github\"}",
      "{\"tenant_id\":\"acme\",\"connector_id\":\"github\"} trailing",
      "{\"tenant_id\":\"globex\",\"tenant_id\":\"acme\",\"connector_id\":\"github\"}"})
  void notified_payloadTheOldReaderCoerced_dropsEveryRow(String payload) {
    cache.notified(payload);

    assertEveryRowDropped();
  }

  private void assertEveryRowDropped() {
    assertThat(cached("acme", "github")).isFalse();
    assertThat(cached("acme", "slack")).isFalse();
    assertThat(cached("globex", "github")).isFalse();
    assertThat(cached("123", "github")).isFalse();
  }
}
