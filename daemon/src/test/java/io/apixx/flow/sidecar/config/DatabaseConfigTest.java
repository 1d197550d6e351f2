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
  void url_withPassword_rejectedWithoutEchoingIt() {
    assertThatThrownBy(
            () -> load("database.url=jdbc:postgresql://db/flow?password=hunter2", "database.password_file=/x"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("database.url"))
        .message()
        .doesNotContain("hunter2");
  }

  @Test
  void url_withoutPasswordFile_rejectedNamingTheKey() {
    assertThatThrownBy(() -> load("database.url=jdbc:postgresql://db/flow"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("database.password_file"));
  }

  @Test
  void url_notPostgresJdbc_rejected() {
    assertThatThrownBy(() -> load("database.url=postgres://db/flow", "database.password_file=/x"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("database.url"));
  }

  @Test
  void migrate_withoutOwnerPasswordFile_rejected() {
    assertThatThrownBy(
            () -> load("database.url=jdbc:postgresql://db/flow", "database.password_file=/x", "database.migrate=true"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("database.owner_password_file"));
  }

  @Test
  void poolMinIdle_aboveMax_rejected() {
    assertThatThrownBy(() -> load("database.pool_min_idle=3"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("database.pool_min_idle"));
  }

  @Test
  void connectTimeout_belowPoolMinimum_rejected() {
    assertThatThrownBy(() -> load("database.connect_timeout=100ms"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("database.connect_timeout"));
  }

  @Test
  void embedded_withUrl_rejected() {
    assertThatThrownBy(() -> load(Optional.of("dev"), "database.url=jdbc:postgresql://db/flow"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("database.url"));
  }

  @Test
  void unknownKey_rejectedNamingIt() {
    assertThatThrownBy(() -> load("database.pool_size=4"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("database.pool_size"));
  }
}
