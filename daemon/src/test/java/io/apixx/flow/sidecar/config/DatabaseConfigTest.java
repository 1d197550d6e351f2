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

/** {@code database.*}: defaults, the dev profile, and validation errors that name the key. */
class DatabaseConfigTest {
  @TempDir Path dir;

  private SidecarConfig load(Optional<String> profile, String... flags) {
    List<String> all = new ArrayList<>(List.of("server.socket_path=" + dir.resolve("s.sock")));
    all.addAll(List.of(flags));
    ConfigLoader.Sources sources = ConfigLoader.Sources.of(Optional.empty(), Map.of(), all);
    return new ConfigLoader().load(profile.map(sources::withProfile).orElse(sources));
  }

  private SidecarConfig load(String... flags) {
    return load(Optional.empty(), flags);
  }

  private void assertRejected(String key, Optional<String> profile, String... flags) {
    assertThatThrownBy(() -> load(profile, flags))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo(key));
  }

  private void assertRejected(String key, String... flags) {
    assertRejected(key, Optional.empty(), flags);
  }

  @Test
  void defaults_smallPoolNoIdleNotConfigured() {
    DatabaseConfig db = load().database();

    assertThat(db.configured()).isFalse();
    assertThat(db.poolMaxSize()).isEqualTo(2);
    assertThat(db.poolMinIdle()).isZero();
    assertThat(db.user()).isEqualTo("flow_app");
    assertThat(db.ownerUser()).isEqualTo("flow_owner");
    assertThat(db.migrate()).isFalse();
    assertThat(db.healthInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(db.embedded().enabled()).isFalse();
  }

  @Test
  void devProfile_embeddedAndMigrated() {
    DatabaseConfig db = load(Optional.of("dev")).database();

    assertThat(db.configured()).isTrue();
    assertThat(db.embedded().enabled()).isTrue();
    assertThat(db.embedded().dataDir()).isEqualTo(".dev/postgres");
    assertThat(db.migrate()).isTrue();
  }

  @Test
  void external_urlAndPasswordFile_configured() {
    DatabaseConfig db =
        load("database.url=jdbc:postgresql://pgbouncer:6432/flow", "database.password_file=/run/secrets/db", "database.pgbouncer=true")
            .database();

    assertThat(db.configured()).isTrue();
    assertThat(db.migrationUrl()).isEqualTo("jdbc:postgresql://pgbouncer:6432/flow");
    assertThat(db.passwordPath()).isEqualTo(Path.of("/run/secrets/db"));
  }

  @Test
  void listenUrl_default_feedOnOverTheUrl() {
    DatabaseConfig db = load("database.url=jdbc:postgresql://pgbouncer:6432/flow", "database.password_file=/x").database();

    assertThat(db.changeFeedEnabled()).isTrue();
    assertThat(db.changeFeedUrl()).isEqualTo("jdbc:postgresql://pgbouncer:6432/flow");
  }

  @Test
  void listenUrl_none_feedOff() {
    DatabaseConfig db =
        load("database.url=jdbc:postgresql://pgbouncer:6432/flow", "database.password_file=/x", "database.listen_url=none").database();

    assertThat(db.changeFeedEnabled()).isFalse();
  }

  @Test
  void listenUrl_notJdbcOrWithPassword_rejectedNamingTheKeyWithoutEcho() {
    assertRejected("database.listen_url", "database.url=jdbc:postgresql://db/flow", "database.password_file=/x", "database.listen_url=off");
    assertThatThrownBy(
            () -> load("database.url=jdbc:postgresql://db/flow", "database.password_file=/x",
                "database.listen_url=jdbc:postgresql://db/flow?password=hunter2"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("database.listen_url"))
        .message()
        .doesNotContain("hunter2");
  }

  @Test
  void url_withPassword_rejectedWithoutEchoingIt() {
    assertThatThrownBy(
            () -> load("database.url=jdbc:postgresql://db/flow?password=hunter2", "database.password_file=/x"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("database.url"))
        .message()
        .doesNotContain("hunter2");
  }

  @Test
  void url_withoutPasswordFile_rejectedNamingTheKey() {
    assertRejected("database.password_file", "database.url=jdbc:postgresql://db/flow");
  }

  @Test
  void url_notPostgresJdbc_rejected() {
    assertRejected("database.url", "database.url=postgres://db/flow", "database.password_file=/x");
  }

  @Test
  void migrate_withoutOwnerPasswordFile_rejected() {
    assertRejected("database.owner_password_file", "database.url=jdbc:postgresql://db/flow", "database.password_file=/x", "database.migrate=true");
  }

  @Test
  void poolMinIdle_aboveMax_rejected() {
    assertRejected("database.pool_min_idle", "database.pool_min_idle=3");
  }

  @Test
  void connectTimeout_belowPoolMinimum_rejected() {
    assertRejected("database.connect_timeout", "database.connect_timeout=100ms");
  }

  @Test
  void embedded_withUrl_rejected() {
    assertRejected("database.url", Optional.of("dev"), "database.url=jdbc:postgresql://db/flow");
  }

  @Test
  void unknownKey_rejectedNamingIt() {
    assertRejected("database.pool_size", "database.pool_size=4");
  }
}
