package io.apixx.flow.sidecar.persistence;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.apixx.flow.sidecar.config.DatabaseConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.postgresql.ds.PGSimpleDataSource;
import java.util.Objects;

/**
 * The daemon's connection pool to PostgreSQL, as the application role. Small by design (every
 * execution pod runs a daemon; see docs/scaling.md), bounded in time (no call waits longer than
 * {@code database.connect_timeout} for a connection, no statement runs longer than
 * {@code database.query_timeout}), and safe behind PgBouncer in transaction pooling mode: it keeps
 * no session state (no session-level SET, settings only via {@code set_config(..., true)}; the
 * driver's own startup settings travel as startup parameters), and with
 * {@code database.pgbouncer} it uses no server-side prepared statements.
 *
 * <p>Queries go through {@link #tenants()} only; there is no public access to a connection.
 * Creating a {@code Database} never blocks or fails because the database is down: the pool
 * connects lazily and reconnects by itself when the database comes back.
 *
 * <p>Thread-safe. {@link #close()} closes the pool; calls after it fail with UNAVAILABLE.
 */
public final class Database implements AutoCloseable {
  static final String APPLICATION_NAME = "flow-sidecar";

  private final HikariDataSource pool;
  private final long statementTimeoutMillis;
  private final CheckoutListener onCheckout;
  private final TenantScope tenants;
  private volatile long lastSuccessNanos;
  private volatile boolean everSucceeded;

  /** Test hook: runs on every connection right after checkout, before the scope uses it. */
  @FunctionalInterface
  interface CheckoutListener {
    CheckoutListener NONE = c -> {};

    void checkedOut(Connection connection) throws SQLException;
  }

  /** Test hook: code that may use a raw pooled connection. */
  @FunctionalInterface
  interface ConnectionWork<T> {
    T run(Connection connection) throws SQLException;
  }

  private Database(HikariDataSource pool, long statementTimeoutMillis, CheckoutListener onCheckout) {
    this.pool = pool;
    this.statementTimeoutMillis = statementTimeoutMillis;
    this.onCheckout = onCheckout;
    this.tenants = new TenantScope(this);
  }

  /**
   * Creates the pool from {@code config} ({@code url}, {@code user}, {@code password_file}, pool
   * sizes and timeouts). Does not connect.
   *
   * @throws IllegalArgumentException when the database is not configured
   */
  public static Database open(DatabaseConfig config) {
    return open(config, CheckoutListener.NONE);
  }

  static Database open(DatabaseConfig config, CheckoutListener onCheckout) {
    if (config.url().isEmpty()) {
      throw new IllegalArgumentException("database.url is not set");
    }
    HikariConfig h =
        ConnectionPools.hikari(
            "flow-db",
            new PasswordFileDataSource(ConnectionPools.driver(config.url(), config), config.user(), config.passwordPath()),
            config,
            config.poolMaxSize(),
            config.poolMinIdle());
    return new Database(new HikariDataSource(h), config.queryTimeout().toMillis(), onCheckout);
  }

  /**
   * Connections outside the pool for the change feed's LISTEN session, to
   * {@link DatabaseConfig#changeFeedUrl()} as the application role.
   */
  public static ChangeFeed.ConnectionFactory changeFeedConnections(DatabaseConfig config) {
    PGSimpleDataSource ds = ConnectionPools.driver(config.changeFeedUrl(), config);
    // The feed waits for notifications itself; a socket timeout would cut an idle LISTEN.
    ds.setSocketTimeout(0);
    ds.setPrepareThreshold(0);
    PasswordFileDataSource source = new PasswordFileDataSource(ds, config.user(), config.passwordPath());
    return source::getConnection;
  }

  /** The tenant-scoped query API. */
  public TenantScope tenants() {
    return tenants;
  }

  ScopeSettings settings(String tenantId, DbActor actor) {
    return new ScopeSettings(tenantId, actor, statementTimeoutMillis);
  }

  /**
   * Runs one scope: checkout, (BEGIN,) settings with the first statement, work, COMMIT or
   * ROLLBACK, return. A connection whose rollback failed is evicted, never reused.
   */
  <T> T run(ScopeSettings settings, boolean singleStatement, TenantWork<T> work) {
    Objects.requireNonNull(work, "work");
    Connection connection = checkout();
    boolean evict = false;
    TenantTx tx = new TenantTx(connection, settings, singleStatement);
    try {
      if (!singleStatement) {
        connection.setAutoCommit(false); // pgjdbc sends BEGIN with the first statement
      }
      T result = work.run(tx);
      tx.end();
      if (!singleStatement) {
        connection.commit();
      }
      recordSuccess();
      return result;
    } catch (SQLException e) {
      tx.end();
      evict = !rollback(connection, singleStatement, e);
      throw DatabaseException.from(e);
    } catch (RuntimeException | Error e) {
      tx.end();
      evict = !rollback(connection, singleStatement, e);
      throw e;
    } finally {
      release(connection, evict);
    }
  }

  /** Test hook: a raw pooled connection, with the same checkout and release as a scope. */
  <T> T withRawConnection(ConnectionWork<T> work) {
    Connection connection = checkout();
    try {
      return work.run(connection);
    } catch (SQLException e) {
      throw DatabaseException.from(e);
    } finally {
      release(connection, false);
    }
  }

  /** One {@code SELECT 1} through the pool; true when it answered. */
  boolean ping() {
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      s.execute("SELECT 1");
      recordSuccess();
      return true;
    } catch (SQLException | RuntimeException e) {
      return false;
    }
  }

  /** True when some scope or ping succeeded within the last {@code window}. */
  boolean succeededWithin(Duration window) {
    return everSucceeded && System.nanoTime() - lastSuccessNanos < window.toNanos();
  }

  private void recordSuccess() {
    lastSuccessNanos = System.nanoTime();
    everSucceeded = true;
  }

  private Connection checkout() {
    Connection connection;
    try {
      connection = pool.getConnection();
    } catch (SQLException e) {
      // A pool timeout (database down, or every connection busy) or a closed pool.
      throw pool.isClosed() ? DatabaseException.unavailable(e) : DatabaseException.from(e);
    }
    try {
      onCheckout.checkedOut(connection);
      return connection;
    } catch (SQLException e) {
      release(connection, true);
      throw DatabaseException.from(e);
    } catch (RuntimeException e) {
      release(connection, true);
      throw e;
    }
  }

  /** Returns true when the connection is clean (nothing to roll back or rolled back). */
  private static boolean rollback(Connection connection, boolean singleStatement, Throwable failure) {
    if (singleStatement) {
      return true; // autocommit: the server ended the implicit transaction with the statement
    }
    try {
      connection.rollback();
      return true;
    } catch (SQLException e) {
      failure.addSuppressed(e);
      return false;
    }
  }

  private void release(Connection connection, boolean evict) {
    if (evict) {
      pool.evictConnection(connection);
      return;
    }
    try {
      connection.close();
    } catch (SQLException e) {
      // Hikari resets and returns the connection; a failure here means it is already discarded.
    }
  }

  @Override
  public void close() {
    pool.close();
  }

  @Override
  public String toString() {
    return "Database[pool=flow-db]";
  }
}
