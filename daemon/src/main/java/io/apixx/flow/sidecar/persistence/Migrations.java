package io.apixx.flow.sidecar.persistence;

import io.apixx.flow.sidecar.config.DatabaseConfig;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import java.nio.file.Path;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the schema migrations ({@code classpath:db/migration}, Flyway) as the owner role. The
 * roles and schemas must exist already ({@code db/bootstrap.sql}; dev mode and the tests run it
 * through {@link EmbeddedDatabase}). Safe to run from several daemons at once (Flyway serializes
 * them with an advisory lock, which is why it needs a direct connection, not PgBouncer in
 * transaction mode: see {@code database.owner_url}).
 */
public final class Migrations {
  /** Where the migrations live. */
  public static final String LOCATION = "classpath:db/migration";
  /** The schema of the tables and of Flyway's history table. */
  public static final String SCHEMA = "flow";

  private static final Logger log = LoggerFactory.getLogger(Migrations.class);

  private Migrations() {}

  /**
   * Migrates to the latest version.
   *
   * @return the number of migrations applied (0 when up to date)
   * @throws DatabaseException UNAVAILABLE when the database cannot be reached or the owner cannot
   *     log in
   * @throws SidecarException INTERNAL when a migration fails or the history does not validate
   */
  public static int migrate(DatabaseConfig config) {
    return migrate(config, LOCATION, SCHEMA);
  }

  /**
   * Migrates the schema {@code schema} (which holds Flyway's history table) with the migrations
   * at {@code location}, e.g. the collector's {@code classpath:db/collector/migration} in
   * {@code audit}. Same contract as {@link #migrate(DatabaseConfig)}.
   */
  public static int migrate(DatabaseConfig config, String location, String schema) {
    Path passwordFile =
        config.ownerPasswordPath()
            .orElseThrow(() -> new IllegalArgumentException("database.owner_password_file is not set"));
    PGSimpleDataSource driver = new PGSimpleDataSource();
    driver.setURL(config.migrationUrl());
    driver.setApplicationName(Database.APPLICATION_NAME + "-migrations");
    driver.setConnectTimeout((int) Math.max(1, config.connectTimeout().toSeconds()));
    driver.setLogServerErrorDetail(false);
    Flyway flyway =
        Flyway.configure(Migrations.class.getClassLoader())
            .dataSource(new PasswordFileDataSource(driver, config.ownerUser(), passwordFile))
            .schemas(schema)
            .createSchemas(false)
            .locations(location)
            .failOnMissingLocations(true)
            .validateMigrationNaming(true)
            .cleanDisabled(true)
            .load();
    try {
      int applied = flyway.migrate().migrationsExecuted;
      log.info("database schema migrated; {} migration(s) applied", applied);
      return applied;
    } catch (FlywayException e) {
      if (e.getCause() instanceof java.sql.SQLException s) {
        DatabaseException mapped = DatabaseException.from(s);
        if (mapped.kind() == ErrorKind.UNAVAILABLE) {
          throw mapped;
        }
      }
      throw new SidecarException(ErrorKind.INTERNAL, "migration_failed", "database migration failed", e);
    }
  }
}
