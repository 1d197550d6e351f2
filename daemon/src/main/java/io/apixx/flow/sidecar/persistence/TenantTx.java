package io.apixx.flow.sidecar.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The operations of one tenant-scoped transaction, handed to a {@link TenantWork} by
 * {@link TenantScope}. Everything runs with the scope's tenant and actor in force, under row
 * level security; there is deliberately no way to reach the JDBC connection, statement or
 * result set behind it.
 *
 * <p>Statements: one SQL statement per call (a {@code ';'} is refused), JDBC {@code ?} placeholders, values
 * as described in {@link #query}. Use schema-qualified names ({@code flow.connectors}).
 *
 * <p>Failure: every method throws {@link DatabaseException}. After a failed statement the
 * transaction is aborted (there are no savepoints): let the exception propagate, the scope rolls
 * back. Valid only until the {@link TenantWork} returns; not thread-safe.
 */
public final class TenantTx {
  private final Connection connection;
  private final ScopeSettings settings;
  private final boolean singleStatement;
  private boolean settingsPending = true;
  private int statements;
  private boolean ended;

  TenantTx(Connection connection, ScopeSettings settings, boolean singleStatement) {
    this.connection = connection;
    this.settings = settings;
    this.singleStatement = singleStatement;
  }

  /** The tenant every statement of this transaction is confined to. */
  public String tenantId() {
    return settings.tenantId();
  }

  /** The actor this transaction acts for. */
  public DbActor actor() {
    return settings.actor();
  }

  /**
   * Runs a statement that returns rows (SELECT, or INSERT/UPDATE/DELETE ... RETURNING) and maps
   * each row.
   *
   * @param params the {@code ?} values in order: null, String, Integer, Long, Short, Boolean,
   *     byte[], UUID, Instant or OffsetDateTime (timestamptz), Duration (interval), String[] or
   *     a Collection of String (text[])
   * @throws DatabaseException when the statement fails
   * @throws IllegalArgumentException when the statement returns no rows result or a parameter
   *     has an unsupported type
   */
  public <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
    Objects.requireNonNull(mapper, "mapper");
    return execute(
        sql,
        params,
        ps -> {
          List<T> out = new ArrayList<>();
          try (ResultSet rs = ps.getResultSet()) {
            if (rs == null) {
              throw new IllegalArgumentException("query() needs a statement that returns rows");
            }
            Row row = new Row(rs);
            try {
              while (rs.next()) {
                out.add(mapper.map(row));
              }
            } finally {
              row.invalidate();
            }
          }
          return out;
        });
  }

  /**
   * Like {@link #query}, for at most one row.
   *
   * @throws IllegalStateException when the statement returns more than one row
   */
  public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... params) {
    List<T> rows = query(sql, mapper, params);
    if (rows.size() > 1) {
      throw new IllegalStateException("queryOne() got " + rows.size() + " rows");
    }
    return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
  }

  /**
   * Runs an INSERT, UPDATE or DELETE without RETURNING.
   *
   * @return the number of rows it affected (rows hidden by row level security are not affected)
   */
  public int update(String sql, Object... params) {
    return execute(
        sql,
        params,
        ps -> {
          int count = ps.getUpdateCount();
          if (count < 0) {
            throw new IllegalArgumentException("update() needs a statement without a rows result");
          }
          return count;
        });
  }

  private interface ResultHandler<R> {
    R handle(PreparedStatement ps) throws SQLException;
  }

  private <R> R execute(String sql, Object[] params, ResultHandler<R> handler) {
    Objects.requireNonNull(sql, "sql");
    if (sql.indexOf(';') >= 0) {
      // The driver would split it into several statements, and results would be misread.
      throw new IllegalArgumentException("one SQL statement per call, without ';'");
    }
    if (ended) {
      throw new IllegalStateException("the tenant scope has ended; a TenantTx must not be kept");
    }
    if (singleStatement && statements > 0) {
      throw new IllegalStateException(
          "inTenantStatement allows exactly one statement; use inTenant for several");
    }
    statements++;
    boolean withSettings = settingsPending;
    // The settings ride in front of the first statement: pgjdbc sends both (and BEGIN, in a
    // transaction) in one round trip, and the server runs them in one transaction.
    settingsPending = false;
    String text = withSettings ? ScopeSettings.SQL + sql : sql;
    try (PreparedStatement ps = connection.prepareStatement(text)) {
      int index = withSettings ? settings.bind(ps, 1) : 1;
      SqlValues.bind(connection, ps, index, params == null ? new Object[] {null} : params);
      ps.execute();
      if (withSettings) {
        // Skip the set_config row; the statement's own result comes next.
        ps.getMoreResults();
      }
      return handler.handle(ps);
    } catch (SQLException e) {
      throw DatabaseException.from(e);
    }
  }

  void end() {
    ended = true;
  }

  @Override
  public String toString() {
    return "TenantTx[tenant=" + settings.tenantId() + "]";
  }
}
