package io.apixx.flow.sidecar.testing;

import io.apixx.flow.sidecar.config.DatabaseConfig;
import io.apixx.flow.sidecar.config.EmbeddedDatabaseConfig;
import io.apixx.flow.sidecar.persistence.Database;
import io.apixx.flow.sidecar.persistence.DatabaseBootstrap;
import io.apixx.flow.sidecar.persistence.EmbeddedDatabase;
import io.apixx.flow.sidecar.persistence.Migrations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;

/**
 * A real PostgreSQL for tests and benchmarks: the embedded server of dev mode
 * ({@link EmbeddedDatabase}: zonky binaries, loopback, SCRAM), bootstrapped with the daemon's roles
 * and migrated to the latest schema.
 *
 * <ul>
 *   <li>{@link #shared()}: one server per JVM, started on first use and stopped (its temporary
 *       data deleted) by a shutdown hook. Use it unless you must stop the server. Tests that share
 *       it must not assume an empty database: create your own tenants ({@link #fixtures()},
 *       {@link Fixtures#uniqueTenantId}).
 *   <li>{@link #startPrivate()}: a server of your own (about 3 s to start), which
 *       {@link #stop()}/{@link #start()} can take down and bring back on the same port and data, for
 *       outage tests. Close it when done.
 * </ul>
 *
 * <p>Connections: {@link #config()} is a {@link DatabaseConfig} for the application role
 * (flow_app, row level security applies) to pass to {@link Database#open};
 * {@link #appDataSource()} gives raw flow_app connections for tests that must bypass the Java API
 * (isolation suites); {@link #ownerDataSource()} and {@link #superuserDataSource()} are for
 * fixtures and catalog checks (the superuser bypasses row level security; the owner does not,
 * the tables FORCE it). {@link #startPgBouncer()} puts a real PgBouncer in transaction mode in
 * front. Thread-safe.
 */
public final class PostgresHarness implements AutoCloseable {
  private static PostgresHarness shared;

  private final Path root;
  private final boolean deleteOnClose;
  private volatile EmbeddedDatabase server;
  private final int port;
  private final Fixtures fixtures;

  private PostgresHarness(Path root, boolean deleteOnClose, EmbeddedDatabase server) {
    this.root = root;
    this.deleteOnClose = deleteOnClose;
    this.server = server;
    this.port = server.port();
    this.fixtures = new Fixtures(this::superuserDataSource);
  }

  /** The JVM's shared server, started (and migrated) on first call. */
  public static synchronized PostgresHarness shared() {
    if (shared == null) {
      PostgresHarness h = startIn(tempRoot(), true);
      Runtime.getRuntime().addShutdownHook(new Thread(h::close, "postgres-harness-stop"));
      shared = h;
    }
    return shared;
  }

  /** A server of this caller's own, migrated; {@link #close()} stops it and deletes its data. */
  public static PostgresHarness startPrivate() {
    return startIn(tempRoot(), true);
  }

  private static PostgresHarness startIn(Path root, boolean deleteOnClose) {
    EmbeddedDatabase server = EmbeddedDatabase.start(root, 0);
    PostgresHarness h = new PostgresHarness(root, deleteOnClose, server);
    try {
      Migrations.migrate(h.config()); // as flow_owner, with its password file
    } catch (RuntimeException e) {
      h.close();
      throw e;
    }
    return h;
  }

  private static Path tempRoot() {
    try {
      return Files.createTempDirectory("flow-pg-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Loopback port of the server (stable across {@link #stop()}/{@link #start()}). */
  public int port() {
    return port;
  }

  /** JDBC URL of the daemon's database, without credentials. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + EmbeddedDatabase.DATABASE;
  }

  /**
   * Settings for {@link Database#open}: flow_app with its password file, pool of 2 (none idle),
   * connect timeout 3 s, query timeout 5 s, health every 1 s. Adjust with
   * {@link DatabaseConfig#withPool} and {@link DatabaseConfig#withTimeouts}.
   */
  public DatabaseConfig config() {
    return configFor(DatabaseBootstrap.APP_ROLE, root.resolve(DatabaseBootstrap.APP_ROLE + ".password"));
  }

  /** Like {@link #config()} but as the superuser, which bypasses row level security (benchmarks). */
  public DatabaseConfig superuserConfig() {
    return configFor("postgres", root.resolve("postgres.password"));
  }

  private DatabaseConfig configFor(String user, Path passwordFile) {
    return new DatabaseConfig(
        jdbcUrl(),
        user,
        passwordFile.toString(),
        "",
        DatabaseBootstrap.OWNER_ROLE,
        root.resolve(DatabaseBootstrap.OWNER_ROLE + ".password").toString(),
        false,
        false,
        2,
        0,
        Duration.ofSeconds(3),
        Duration.ofSeconds(5),
        Duration.ofSeconds(60),
        Duration.ofMinutes(30),
        Duration.ofSeconds(1),
        Duration.ofSeconds(1),
        EmbeddedDatabaseConfig.disabled(), "");
  }

  /** A new pool as flow_app with {@link #config()}; the caller closes it. */
  public Database openDatabase() {
    return Database.open(config());
  }

  /** Raw connections as flow_app (row level security applies; no tenant is set). */
  public DataSource appDataSource() {
    return server().dataSource(DatabaseBootstrap.APP_ROLE, root.resolve(DatabaseBootstrap.APP_ROLE + ".password"));
  }

  /** Raw connections as flow_owner (subject to row level security: the tables FORCE it). */
  public DataSource ownerDataSource() {
    return server().dataSource(DatabaseBootstrap.OWNER_ROLE, root.resolve(DatabaseBootstrap.OWNER_ROLE + ".password"));
  }

  /** Raw superuser connections to the daemon's database (bypass row level security). */
  public DataSource superuserDataSource() {
    return server().superuserDataSource(EmbeddedDatabase.DATABASE);
  }

  /** Raw superuser connections to database {@code database} of this server. */
  public DataSource superuserDataSource(String database) {
    return server().superuserDataSource(database);
  }

  /** Raw connections to database {@code database} as {@code user} with the password in {@code passwordFile}. */
  public DataSource dataSource(String database, String user, Path passwordFile) {
    return server().dataSource(database, user, passwordFile);
  }

  /** JDBC URL of database {@code database} of this server, without credentials. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** The password file of a further role (e.g. the collector's), created on first use. */
  public Path rolePasswordFile(String role) {
    return server().rolePasswordFile(role);
  }

  /** Fixture helpers, run as the superuser. */
  public Fixtures fixtures() {
    return fixtures;
  }

  /**
   * Starts a PgBouncer in transaction pooling mode on a free loopback port in front of this
   * server, for flow_app. Close it when done.
   */
  public PgBouncer startPgBouncer() {
    return PgBouncer.start(this, root.resolve(DatabaseBootstrap.APP_ROLE + ".password"));
  }

  /** Stops the server (private harnesses only); the data and port are kept for {@link #start()}. */
  public synchronized void stop() {
    requirePrivate();
    server.close();
  }

  /** Starts the server again on the same port and data directory after {@link #stop()}. */
  public synchronized void start() {
    requirePrivate();
    server = EmbeddedDatabase.start(root, port);
  }

  private void requirePrivate() {
    if (this == shared) {
      throw new IllegalStateException("the shared server cannot be stopped; use startPrivate()");
    }
  }

  private EmbeddedDatabase server() {
    return server;
  }

  /** Stops the server and, for temporary data, deletes it. Idempotent. */
  @Override
  public synchronized void close() {
    server.close();
    if (deleteOnClose) {
      // zonky's own shutdown hook may be stopping the same server concurrently: wait for it.
      Path pid = root.resolve("cluster").resolve("postmaster.pid");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (Files.exists(pid) && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
      FileTrees.deleteQuietly(root);
    }
  }
}
