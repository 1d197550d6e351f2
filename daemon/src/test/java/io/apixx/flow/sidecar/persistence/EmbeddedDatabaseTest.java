package io.apixx.flow.sidecar.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.config.ConfigLoader;
import io.apixx.flow.sidecar.config.DatabaseConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dev mode's embedded server, wired the way the composition root does it (dev profile, then
 * {@link EmbeddedDatabase#applyTo}): locked down, and its data survives a restart.
 */
class EmbeddedDatabaseTest {
  @TempDir Path dir;

  @Test
  void devProfile_startTwiceOnOneDirectory_lockedDownAndKeepsDataAndCredentials() throws Exception {
    Path root = dir.resolve("postgres");
    DatabaseConfig dev =
        new ConfigLoader()
            .load(
                ConfigLoader.Sources.of(
                        Optional.empty(),
                        Map.of(),
                        List.of("server.socket_path=" + dir.resolve("s.sock"), "database.embedded.data_dir=" + root))
                    .withProfile("dev"))
            .database();
    String appPassword;
    try (EmbeddedDatabase first = EmbeddedDatabase.start(dev.embedded())) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root))).isEqualTo("rwx------");
      for (Path f : List.of(first.appPasswordFile(), first.ownerPasswordFile(), first.superuserPasswordFile())) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as("%s", f).isEqualTo("rw-------");
      }
      // initdb's trust authentication is gone: the superuser needs its password, like everyone.
      assertThatThrownBy(() -> connect(first, "postgres", "wrong"))
          .isInstanceOf(SQLException.class)
          .extracting("SQLState")
          .isEqualTo("28P01");

      DatabaseConfig config = first.applyTo(dev);
      assertThat(config.migrate()).isTrue();
      assertThat(Migrations.migrate(config)).isEqualTo(3);
      try (Database db = Database.open(config)) {
        db.tenants().inTenantStatement("kept", DbActor.system(), tx ->
            tx.update("INSERT INTO flow.tenants (id, name, plan, residency_region) VALUES ('kept', 'Kept', 'starter', 'us-east-1')"));
      }
      appPassword = Files.readString(first.appPasswordFile());
    }

    try (EmbeddedDatabase second = EmbeddedDatabase.start(dev.embedded())) {
      DatabaseConfig config = second.applyTo(dev);
      assertThat(Migrations.migrate(config)).isZero();
      assertThat(Files.readString(second.appPasswordFile())).isEqualTo(appPassword);
      try (Connection c = connect(second, "postgres", Files.readString(second.superuserPasswordFile()).strip())) {
        assertThat(c.isValid(2)).isTrue();
      }
      try (Database db = Database.open(config)) {
        Optional<String> name =
            db.tenants().inTenantStatement("kept", DbActor.system(), tx ->
                tx.queryOne("SELECT name FROM flow.tenants", r -> r.getString("name")));
        assertThat(name).contains("Kept");
      }
    }
  }

  private static Connection connect(EmbeddedDatabase db, String user, String password) throws SQLException {
    return DriverManager.getConnection(db.jdbcUrl(), user, password);
  }
}
