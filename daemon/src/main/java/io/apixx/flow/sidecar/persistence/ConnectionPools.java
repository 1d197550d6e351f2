package io.apixx.flow.sidecar.persistence;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.apixx.flow.sidecar.config.DatabaseConfig;
import java.nio.file.Path;
import java.time.Duration;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * HikariCP pools over the PostgreSQL driver, configured the same way everywhere: password read
 * from its file at every new physical connection, bounded connect and statement times, lazy
 * connect (a pool opens while the database is down and reconnects by itself), no server detail
 * (which can hold row values) in exception messages. {@link Database} builds its pool here; the
 * audit collector opens its pools with {@link #open}.
 */
public final class ConnectionPools {
  /** Which credentials of a {@link DatabaseConfig} a pool logs in with. */
  public enum Login {
    /** {@code url}, {@code user}, {@code password_file}. */
    APPLICATION,
    /** {@code owner_url} (else {@code url}), {@code owner_user}, {@code owner_password_file}. */
    OWNER
  }

  private ConnectionPools() {}

  /**
   * A pool named {@code poolName} of at most {@code maxSize} connections as {@code login}. Unlike
   * {@link Database}, which sets its statement timeout per transaction, these connections carry
   * {@code statement_timeout = query_timeout} as a startup option (not with {@code pgbouncer},
   * which does not pass startup options: the role's setting applies there). Does not connect.
   *
   * @throws IllegalArgumentException when the URL or the password file of {@code login} is not set
   */
  public static HikariDataSource open(String poolName, DatabaseConfig config, Login login, int maxSize, int minIdle) {
    String url = login == Login.OWNER ? config.migrationUrl() : config.url();
    String user = login == Login.OWNER ? config.ownerUser() : config.user();
    String passwordFile = login == Login.OWNER ? config.ownerPasswordFile() : config.passwordFile();
    if (url.isEmpty() || passwordFile.isEmpty()) {
      throw new IllegalArgumentException("the database url or the password file of the " + login + " login is not set");
    }
    PGSimpleDataSource driver = driver(url, config);
    if (!config.pgbouncer()) {
      driver.setOptions("-c statement_timeout=" + config.queryTimeout().toMillis());
    }
    return new HikariDataSource(hikari(poolName, new PasswordFileDataSource(driver, user, Path.of(passwordFile)), config, maxSize, minIdle));
  }

  /** Pool settings from {@code config} around {@code source}. */
  static HikariConfig hikari(String poolName, DataSource source, DatabaseConfig config, int maxSize, int minIdle) {
    HikariConfig h = new HikariConfig();
    h.setPoolName(poolName);
    h.setDataSource(source);
    h.setMaximumPoolSize(maxSize);
    h.setMinimumIdle(Math.min(minIdle, maxSize));
    h.setConnectionTimeout(config.connectTimeout().toMillis());
    // Validation of an idle connection at checkout; must be below the connection timeout.
    h.setValidationTimeout(Math.max(250, Math.min(1000, config.connectTimeout().toMillis() / 2)));
    h.setIdleTimeout(config.idleTimeout().toMillis());
    h.setMaxLifetime(config.maxLifetime().toMillis());
    // With min idle 0 idle connections close after idle_timeout; keepalive pings add nothing.
    h.setKeepaliveTime(0);
    // Start even when the database is down; the health monitor reports it.
    h.setInitializationFailTimeout(-1);
    h.setAutoCommit(true);
    h.setRegisterMbeans(false);
    return h;
  }

  /** The driver for {@code url} with the timeouts of {@code config}. */
  static PGSimpleDataSource driver(String url, DatabaseConfig config) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(url);
    int connectSeconds = ceilSeconds(config.connectTimeout());
    ds.setConnectTimeout(connectSeconds);
    ds.setLoginTimeout(connectSeconds);
    // A backstop for a server that stops answering mid-statement (the statement_timeout cannot
    // fire then): the socket read gives up a little after the statement would have been cancelled.
    ds.setSocketTimeout(ceilSeconds(config.queryTimeout()) + 2);
    ds.setTcpKeepAlive(true);
    ds.setApplicationName(Database.APPLICATION_NAME);
    // Send extra_float_digits and application_name as startup parameters instead of running SET
    // after connecting: a session-level SET would leak between clients behind PgBouncer.
    ds.setAssumeMinServerVersion("12");
    // The server's DETAIL can contain row values; keep it out of exception messages.
    ds.setLogServerErrorDetail(false);
    // PgBouncer (transaction mode) may run each transaction on a different server connection, so
    // named server-side prepared statements must not be used.
    ds.setPrepareThreshold(config.pgbouncer() ? 0 : 5);
    return ds;
  }

  private static int ceilSeconds(Duration d) {
    return (int) Math.max(1, (d.toMillis() + 999) / 1000);
  }
}
