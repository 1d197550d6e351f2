package io.apixx.flow.sidecar.persistence;

import io.apixx.flow.sidecar.config.DatabaseConfig;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Test-only access to what production code cannot reach: a raw pooled connection of a
 * {@link Database} (benchmarks' bare reads, leak demonstrations) and a probe that runs on every
 * checkout. Lives in the test sources, so it is not part of the daemon's jar.
 */
public final class DatabaseTestAccess {
  private DatabaseTestAccess() {}

  /** Work on a raw connection. */
  @FunctionalInterface
  public interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  /** Runs {@code work} on a pooled connection of {@code db}, then returns it to the pool. */
  public static <T> T withRawConnection(Database db, SqlWork<T> work) {
    return db.withRawConnection(work::run);
  }

  /**
   * The scope settings a connection carries right now, outside any scope:
   * {@code app.tenant_id|app.actor|statement_timeout}, unset custom settings as empty text. A
   * clean connection reads {@code "||<role default>"}.
   */
  public static String scopeSettings(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT coalesce(current_setting('app.tenant_id', true), '') || '|'"
                    + " || coalesce(current_setting('app.actor', true), '') || '|' || current_setting('statement_timeout')")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Opens a pool that runs {@code probe} on every connection right after checkout. */
  public static Database openWithCheckoutProbe(DatabaseConfig config, SqlWork<?> probe) {
    return Database.open(config, probe::run);
  }
}
