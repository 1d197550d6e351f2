package io.apixx.flow.sidecar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code collector} section: defaults, validation naming the key, and what running needs. */
class CollectorConfigTest {
  @TempDir Path tmp;

  private SidecarConfig load(String... flags) {
    List<String> all = new ArrayList<>(List.of("server.socket_path=" + tmp.resolve("run/s.sock")));
    all.addAll(List.of(flags));
    return new ConfigLoader().load(ConfigLoader.Sources.of(Optional.empty(), Map.of(), all));
  }

  @Test
  void load_defaults_notACollectorWithDocumentedValues() {
    CollectorConfig c = load().collector();

    assertThat(c.listen()).isEmpty();
    assertThat(c.allowRemote()).isFalse();
    assertThat(c.tls().plaintext()).isFalse();
    assertThat(c.retentionMonths()).isEqualTo(13);
    assertThat(c.maintenanceInterval()).isEqualTo(Duration.ofHours(1));
    assertThat(c.maxMessageSize().bytes()).isEqualTo(4L << 20);
    assertThat(c.database().user()).isEqualTo("flow_collector");
    assertThat(c.database().ownerUser()).isEqualTo("flow_audit_owner");
    assertThat(c.database().configured()).isFalse();
    assertThat(c.serviceTokensPath()).isEmpty();
    assertThat(c.webhooks().maxAttempts()).isEqualTo(12);
    assertThat(c.webhooks().allowHttpLoopback()).isFalse();
  }

  @Test
  void load_retentionSevenYears_accepted() {
    assertThat(load("collector.retention_months=84").collector().retentionMonths()).isEqualTo(84);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "collector.retention_months=0 | collector.retention_months",
    "collector.retention_months=85 | collector.retention_months",
    "collector.address=0.0.0.0:8443 | collector.address",
    "collector.max_message_size=1KiB | collector.max_message_size",
    "collector.maintenance_interval=0s | collector.maintenance_interval",
    "collector.query_pool_size=0 | collector.query_pool_size",
    "collector.database.pool_max_size=0 | collector.database.pool_max_size",
    "collector.database.url=postgres://db/x | collector.database.url",
    "collector.database.query_timeout=1ms | collector.database.query_timeout",
    "collector.webhooks.max_attempts=0 | collector.webhooks.max_attempts",
    "collector.webhooks.backoff_max=1ms | collector.webhooks.backoff_max",
    "collector.bogus=1 | collector.bogus",
  })
  void load_badValue_configErrorNamingTheKey(String flag, String key) {
    assertThatThrownBy(() -> load(flag))
        .isInstanceOf(ConfigException.class)
        .extracting(e -> ((ConfigException) e).key())
        .isEqualTo(key);
  }

  @Test
  void load_databaseUrlWithPassword_refusedWithoutRepeatingIt() {
    assertThatThrownBy(() -> load("collector.database.url=jdbc:postgresql://db/audit?password=hunter2"))
        .hasMessageStartingWith("collector.database.url:")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void load_plaintextOnRemoteAddress_refused() {
    assertThatThrownBy(() -> load("collector.address=0.0.0.0:8443", "collector.allow_remote=true", "collector.tls.plaintext=true"))
        .hasMessageStartingWith("collector.tls.plaintext:");
  }

  @Test
  void load_remoteAddressWithAllowRemote_accepted() {
    assertThat(load("collector.address=0.0.0.0:8443", "collector.allow_remote=true").collector().listen()).isPresent();
  }

  @Test
  void requireRunnable_missingPieces_nameTheFirstMissingKey() {
    assertThatThrownBy(() -> load().collector().requireRunnable()).hasMessageStartingWith("collector.address:");
    assertThatThrownBy(() -> load("collector.address=127.0.0.1:0").collector().requireRunnable())
        .hasMessageStartingWith("collector.tls.cert_file:");
    assertThatThrownBy(() -> load("collector.address=127.0.0.1:0", "collector.tls.plaintext=true").collector().requireRunnable())
        .hasMessageStartingWith("collector.database.url:");
    assertThatThrownBy(() -> load("collector.address=127.0.0.1:0", "collector.tls.plaintext=true",
            "collector.database.url=jdbc:postgresql://db/audit", "collector.database.password_file=/p").collector().requireRunnable())
        .hasMessageStartingWith("collector.database.owner_password_file:");
  }

  @Test
  void requireRunnable_complete_accepted() {
    CollectorConfig c = load("collector.address=127.0.0.1:0", "collector.tls.cert_file=/c", "collector.tls.key_file=/k",
        "collector.tls.client_ca_file=/ca", "collector.database.url=jdbc:postgresql://db/audit",
        "collector.database.password_file=/p", "collector.database.owner_password_file=/o").collector();

    assertThat(c.requireRunnable()).isSameAs(c);
  }

  @Test
  void load_daemonDatabaseError_stillNamesDatabaseKeys() {
    assertThatThrownBy(() -> load("database.pool_max_size=0")).hasMessageStartingWith("database.pool_max_size:");
  }
}
