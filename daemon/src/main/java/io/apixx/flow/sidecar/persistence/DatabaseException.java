package io.apixx.flow.sidecar.persistence;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * A database operation failed. The kind says what a caller can do about it:
 *
 * <ul>
 *   <li>{@link ErrorKind#UNAVAILABLE}: the database cannot be reached, refused the login, is
 *       shutting down, is out of connections, timed out a statement, or aborted the transaction
 *       for a serialization conflict or deadlock. Retry later; fail closed meanwhile.
 *   <li>{@link ErrorKind#ALREADY_EXISTS}: a unique constraint ({@link #constraint()} names it).
 *   <li>{@link ErrorKind#FAILED_PRECONDITION}: a referenced row does not exist (foreign key).
 *   <li>{@link ErrorKind#INVALID_ARGUMENT}: a value violates a check, not-null or type rule.
 *   <li>{@link ErrorKind#PERMISSION_DENIED}: a privilege or a row level security policy refused
 *       the operation for this tenant and actor.
 *   <li>{@link ErrorKind#INTERNAL}: anything else (a bug).
 * </ul>
 *
 * <p>Messages name the dependency and the category only: never SQL text, parameter values or the
 * server's detail (the driver is also told not to put the detail, which can contain row values,
 * into its own messages). The original exception is the cause, for logs.
 */
public final class DatabaseException extends SidecarException {
  private static final long serialVersionUID = 1L;

  private final String sqlState;
  private final String constraint;

  private DatabaseException(
      ErrorKind kind, String reasonCode, String message, Throwable cause, String sqlState, String constraint) {
    super(kind, reasonCode, message, cause);
    this.sqlState = sqlState == null ? "" : sqlState;
    this.constraint = constraint;
  }

  /** The SQLSTATE of the failure, or empty when there was none (e.g. a pool timeout). */
  public String sqlState() {
    return sqlState;
  }

  /** The constraint a constraint violation names (e.g. {@code users_tenant_email_key}). */
  public Optional<String> constraint() {
    return Optional.ofNullable(constraint);
  }

  static DatabaseException unavailable(Throwable cause) {
    return new DatabaseException(
        ErrorKind.UNAVAILABLE, "database_unavailable", "database is unavailable", cause, null, null);
  }

  /** Classifies a driver or pool exception. */
  public static DatabaseException from(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String constraint = constraintOf(e);
    if (e instanceof SQLTransientConnectionException || isConnectionState(state)) {
      return new DatabaseException(
          ErrorKind.UNAVAILABLE, "database_unavailable", "database is unavailable", e, state, null);
    }
    return switch (state) {
      case "57014" ->
          new DatabaseException(
              ErrorKind.UNAVAILABLE, "database_timeout", "database statement timed out", e, state, null);
      case "40001", "40P01" ->
          new DatabaseException(
              ErrorKind.UNAVAILABLE, "database_conflict", "database transaction conflict; retry", e, state, null);
      case "23505" ->
          new DatabaseException(
              ErrorKind.ALREADY_EXISTS, "already_exists", "the object already exists", e, state, constraint);
      case "23503" ->
          new DatabaseException(
              ErrorKind.FAILED_PRECONDITION, "missing_reference", "a referenced object does not exist",
              e, state, constraint);
      case "23502", "23514" ->
          new DatabaseException(
              ErrorKind.INVALID_ARGUMENT, "invalid_value", "a value is not acceptable", e, state, constraint);
      case "42501" ->
          new DatabaseException(
              ErrorKind.PERMISSION_DENIED, "database_refused",
              "the database refused the operation for this tenant and actor", e, state, null);
      default ->
          state.startsWith("22")
              ? new DatabaseException(
                  ErrorKind.INVALID_ARGUMENT, "invalid_value", "a value is not acceptable", e, state, null)
              : new DatabaseException(
                  ErrorKind.INTERNAL, "database_error", "database operation failed", e, state, null);
    };
  }

  /**
   * Connection exceptions (08), invalid authorization (28), missing database (3D), insufficient
   * resources (53), operator intervention (57P01-57P05: shutdown, crash, cannot connect now),
   * system errors (58), and a read-only transaction (25006: we reached a standby after failover).
   */
  private static boolean isConnectionState(String state) {
    return state.startsWith("08")
        || state.startsWith("28")
        || state.startsWith("3D")
        || state.startsWith("53")
        || state.startsWith("57P")
        || state.startsWith("58")
        || state.equals("25006");
  }

  private static String constraintOf(SQLException e) {
    if (e instanceof PSQLException p) {
      ServerErrorMessage m = p.getServerErrorMessage();
      if (m != null) {
        return m.getConstraint();
      }
    }
    return null;
  }
}
