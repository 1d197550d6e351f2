package io.apixx.flow.sidecar.persistence;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The transaction-local settings a scope starts with, and the statement that sets them. The
 * statement is prepended to the first statement of the scope, so the settings cost no extra
 * round trip; {@code set_config(..., true)} makes each of them end with the transaction, so no
 * connection returns to the pool (or, behind PgBouncer, to another client) carrying them.
 *
 * @param tenantId {@code app.tenant_id}, or empty (maintenance: no tenant visible)
 * @param actor the actor ({@code app.actor}: {@code <kind>:<id>}, e.g. {@code user:<uuid>})
 * @param statementTimeoutMillis the transaction's {@code statement_timeout}
 */
record ScopeSettings(String tenantId, DbActor actor, long statementTimeoutMillis) {

  /** The settings statement; the scope's first statement is appended after its semicolon. */
  static final String SQL =
      "SELECT pg_catalog.set_config('app.tenant_id', ?, true),"
          + " pg_catalog.set_config('app.actor', ?, true),"
          + " pg_catalog.set_config('statement_timeout', ?, true);\n";

  /**
   * Binds the parameters of {@link #SQL} from {@code index}; returns the next index. (Three
   * settings, not one per actor field: each set_config costs the server a GUC save and restore,
   * and this statement rides on every tenant read.)
   */
  int bind(PreparedStatement ps, int index) throws SQLException {
    ps.setString(index, tenantId);
    ps.setString(index + 1, actor.setting());
    ps.setString(index + 2, Long.toString(statementTimeoutMillis));
    return index + 3;
  }
}
