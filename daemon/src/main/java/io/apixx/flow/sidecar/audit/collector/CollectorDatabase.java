package io.apixx.flow.sidecar.audit.collector;

import com.zaxxer.hikari.HikariDataSource;
import io.apixx.flow.sidecar.config.CollectorConfig;
import io.apixx.flow.sidecar.config.DatabaseConfig;
import io.apixx.flow.sidecar.persistence.ConnectionPools;
import io.apixx.flow.sidecar.persistence.ConnectionPools.Login;
import io.apixx.flow.sidecar.persistence.DatabaseBootstrap;
import io.apixx.flow.sidecar.persistence.Migrations;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The collector's connections to its audit database, one pool per kind of work so that none can
 * starve another: ingestion ({@code collector.database.pool_max_size}), queries
 * ({@code collector.query_pool_size}) and webhook delivery ({@code collector.webhooks.pool_size})
 * as the collector role, and a small pool of the owner for partition maintenance. Pools connect
 * lazily: opening never blocks or fails because the database is down.
 *
 * <p>Also the entry points for the schema: {@link #bootstrap} (roles, schema: dev mode and tests;
 * operators run {@code db/collector/bootstrap.sql} with psql) and {@link #migrate} (Flyway, as the
 * owner, {@code db/collector/migration} into schema {@code audit}).
 */
public final class CollectorDatabase implements AutoCloseable {
  /** The database dev mode creates beside the daemon's in the embedded server. */
  public static final String DATABASE = "flow_audit";
  /** Owner of schema {@code audit}: migrations and partition maintenance. */
  public static final String OWNER_ROLE = "flow_audit_owner";
  /** The role the collector works as: INSERT and SELECT on events, nothing more on them. */
  public static final String COLLECTOR_ROLE = "flow_collector";
  /** Roles, schema and database privileges, as a classpath resource. */
  public static final String BOOTSTRAP_SCRIPT = "/db/collector/bootstrap.sql";
  /** Where the collector's migrations live. */
  public static final String MIGRATIONS = "classpath:db/collector/migration";
  /** The schema of the tables and of Flyway's history table. */
  public static final String SCHEMA = "audit";

  private final HikariDataSource ingest;
  private final HikariDataSource query;
  private final HikariDataSource webhooks;
  private final HikariDataSource owner;

  private CollectorDatabase(HikariDataSource ingest, HikariDataSource query, HikariDataSource webhooks, HikariDataSource owner) {
    this.ingest = ingest;
    this.query = query;
    this.webhooks = webhooks;
    this.owner = owner;
  }

  /**
   * Opens the pools of {@code config.database()} (which must have its URL and both password files
   * set; {@link CollectorConfig#requireRunnable} checks that). Does not connect.
   */
  public static CollectorDatabase open(CollectorConfig config) {
    DatabaseConfig db = config.database();
    List<HikariDataSource> opened = new ArrayList<>();
    try {
      opened.add(ConnectionPools.open("audit-ingest", db, Login.APPLICATION, db.poolMaxSize(), db.poolMinIdle()));
      opened.add(ConnectionPools.open("audit-query", db, Login.APPLICATION, config.queryPoolSize(), 0));
      opened.add(ConnectionPools.open("audit-webhooks", db, Login.APPLICATION, config.webhooks().poolSize(), 0));
      opened.add(ConnectionPools.open("audit-owner", db, Login.OWNER, 2, 0));
    } catch (RuntimeException e) {
      opened.forEach(HikariDataSource::close);
      throw e;
    }
    return new CollectorDatabase(opened.get(0), opened.get(1), opened.get(2), opened.get(3));
  }

  /**
   * Runs {@value #BOOTSTRAP_SCRIPT} in the database {@code superuser} connects to and sets the
   * passwords of {@value #OWNER_ROLE} and {@value #COLLECTOR_ROLE} from their files. Idempotent.
   */
  public static void bootstrap(DataSource superuser, Path ownerPasswordFile, Path collectorPasswordFile) throws SQLException {
    Map<String, Path> passwords = new LinkedHashMap<>();
    passwords.put(OWNER_ROLE, ownerPasswordFile);
    passwords.put(COLLECTOR_ROLE, collectorPasswordFile);
    DatabaseBootstrap.run(superuser, BOOTSTRAP_SCRIPT, passwords);
  }

  /**
   * Applies the collector's migrations as the owner.
   *
   * @return the number applied
   * @see Migrations#migrate(DatabaseConfig, String, String)
   */
  public static int migrate(DatabaseConfig config) {
    return Migrations.migrate(config, MIGRATIONS, SCHEMA);
  }

  public DataSource ingest() {
    return ingest;
  }

  public DataSource query() {
    return query;
  }

  public DataSource webhooks() {
    return webhooks;
  }

  public DataSource owner() {
    return owner;
  }

  @Override
  public void close() {
    for (HikariDataSource pool : List.of(ingest, query, webhooks, owner)) {
      pool.close();
    }
  }

  @Override
  public String toString() {
    return "CollectorDatabase[pools=audit-ingest,audit-query,audit-webhooks,audit-owner]";
  }
}
