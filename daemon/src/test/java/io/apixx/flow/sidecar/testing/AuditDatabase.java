package io.apixx.flow.sidecar.testing;

import io.apixx.flow.sidecar.audit.collector.CollectorDatabase;
import io.apixx.flow.sidecar.config.CollectorConfig;
import io.apixx.flow.sidecar.config.DatabaseConfig;
import io.apixx.flow.sidecar.config.EmbeddedDatabaseConfig;
import io.apixx.flow.sidecar.persistence.DatabaseBootstrap;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A collector database of a test's own in the JVM's shared PostgreSQL ({@link
 * PostgresHarness#shared()}): created, bootstrapped with the collector's roles
 * ({@code db/collector/bootstrap.sql}) and migrated as the owner, exactly as an operator would. Each
 * test class takes its own, since partitions and chain heads are per database. Thread-safe.
 */
public final class AuditDatabase {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private final PostgresHarness pg;
  private final String name;
  private final Fixtures fixtures;

  private AuditDatabase(PostgresHarness pg, String name) {
    this.pg = pg;
    this.name = name;
    this.fixtures = new Fixtures(() -> pg.superuserDataSource(name));
  }

  /** A new, migrated collector database named after {@code purpose} (lowercase letters). */
  public static AuditDatabase create(String purpose) {
    AuditDatabase db = createUnmigrated(purpose);
    CollectorDatabase.migrate(db.config());
    return db;
  }

  /** A new collector database with roles and schema but no tables: for a collector that migrates it. */
  public static AuditDatabase createUnmigrated(String purpose) {
    PostgresHarness pg = PostgresHarness.shared();
    String name = "audit_" + purpose + "_" + SEQUENCE.incrementAndGet();
    AuditDatabase db = new AuditDatabase(pg, name);
    try {
      DatabaseBootstrap.createDatabaseIfMissing(pg.superuserDataSource("postgres"), name);
      CollectorDatabase.bootstrap(pg.superuserDataSource(name), db.ownerPasswordFile(), db.collectorPasswordFile());
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create the audit database " + name, e);
    }
    return db;
  }

  /** JDBC URL of this database, without credentials. */
  public String jdbcUrl() {
    return pg.jdbcUrl(name);
  }

  public String name() {
    return name;
  }

  public Path collectorPasswordFile() {
    return pg.rolePasswordFile(CollectorDatabase.COLLECTOR_ROLE);
  }

  public Path ownerPasswordFile() {
    return pg.rolePasswordFile(CollectorDatabase.OWNER_ROLE);
  }

  /** {@code collector.database} for this database: flow_collector, owner credentials, pool of 4. */
  public DatabaseConfig config() {
    return new DatabaseConfig(
        pg.jdbcUrl(name), CollectorDatabase.COLLECTOR_ROLE, collectorPasswordFile().toString(), "",
        CollectorDatabase.OWNER_ROLE, ownerPasswordFile().toString(), false, false, 4, 0,
        Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofMinutes(30),
        Duration.ofSeconds(1), Duration.ofSeconds(1), EmbeddedDatabaseConfig.disabled(), "");
  }

  /** The {@code --set} flags that point {@code collector.database} here. */
  public List<String> flags() {
    return new ArrayList<>(List.of(
        "collector.database.url=" + pg.jdbcUrl(name),
        "collector.database.password_file=" + collectorPasswordFile(),
        "collector.database.owner_password_file=" + ownerPasswordFile()));
  }

  /**
   * A validated collector configuration using this database, with the files of {@link
   * TestConfigs#isolated} under {@code dir}, plaintext on loopback, plus {@code extraFlags}.
   */
  public CollectorConfig collectorConfig(Path dir, String... extraFlags) {
    List<String> flags = flags();
    flags.add("collector.tls.plaintext=true");
    flags.addAll(Arrays.asList(extraFlags));
    return TestConfigs.isolated(dir, flags.toArray(String[]::new)).collector();
  }

  /** Raw superuser connections (fixtures, catalog checks). */
  public DataSource superuser() {
    return pg.superuserDataSource(name);
  }

  /** Raw connections as flow_collector. */
  public DataSource collector() {
    return pg.dataSource(name, CollectorDatabase.COLLECTOR_ROLE, collectorPasswordFile());
  }

  /** Raw connections as flow_audit_owner. */
  public DataSource owner() {
    return pg.dataSource(name, CollectorDatabase.OWNER_ROLE, ownerPasswordFile());
  }

  /** Statements and counts as the superuser. */
  public Fixtures sql() {
    return fixtures;
  }
}
