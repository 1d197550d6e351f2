package io.apixx.flow.sidecar.persistence;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The only way to run queries on tenant data. Each call checks out a pooled connection, confines
 * it to one tenant and one actor for exactly one database transaction, runs the work, ends the
 * transaction and returns the connection. The tenant and actor are set with
 * {@code set_config(..., true)} (transaction-local) in the same round trip as the first
 * statement, so a connection never leaves a scope carrying them — not to the pool, and behind
 * PgBouncer in transaction mode not to another client. Row level security in PostgreSQL then
 * confines every statement to the tenant.
 *
 * <p>The tenant must come from the caller's authenticated principal, never from request data.
 *
 * <p>Two forms:
 *
 * <ul>
 *   <li>{@link #inTenant}: a transaction of any number of statements (BEGIN, statements, COMMIT);
 *       committed when the work returns, rolled back when it throws.
 *   <li>{@link #inTenantStatement}: exactly one statement, sent together with the settings in one
 *       round trip and run by the server as one implicit transaction (autocommit). The fast path
 *       for point reads and single writes: about one round trip where {@link #inTenant} needs two.
 * </ul>
 *
 * <p>Thread-safe; each call uses its own connection. A call blocks for a connection at most
 * {@code database.connect_timeout}, and each statement runs at most
 * {@code database.query_timeout}.
 */
public final class TenantScope {
  private static final Pattern TENANT_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private final Database database;

  TenantScope(Database database) {
    this.database = database;
  }

  /** True when {@code tenantId} is a well-formed tenant id ({@code ^[a-z0-9][a-z0-9-]{0,62}$}). */
  public static boolean isValidTenantId(String tenantId) {
    return tenantId != null && TENANT_ID.matcher(tenantId).matches();
  }

  /**
   * Runs {@code work} in one transaction confined to {@code tenantId}, acting for {@code actor}.
   *
   * @return what {@code work} returned, after the commit succeeded
   * @throws SidecarException INVALID_ARGUMENT when {@code tenantId} is malformed
   * @throws DatabaseException when the database fails (UNAVAILABLE when it cannot be reached
   *     within {@code database.connect_timeout}); the transaction is rolled back
   * @throws RuntimeException whatever {@code work} throws, after the rollback
   */
  public <T> T inTenant(String tenantId, DbActor actor, TenantWork<T> work) {
    return database.run(settings(tenantId, actor), false, work);
  }

  /**
   * Runs exactly one statement confined to {@code tenantId}, acting for {@code actor}, in one
   * round trip. A second statement in {@code work} throws {@link IllegalStateException}.
   * Otherwise as {@link #inTenant}.
   */
  public <T> T inTenantStatement(String tenantId, DbActor actor, TenantWork<T> work) {
    return database.run(settings(tenantId, actor), true, work);
  }

  private ScopeSettings settings(String tenantId, DbActor actor) {
    Objects.requireNonNull(actor, "actor");
    if (!isValidTenantId(tenantId)) {
      // The value is not repeated: it may be attacker-chosen.
      throw new SidecarException(ErrorKind.INVALID_ARGUMENT, "bad_tenant", "tenant id is malformed");
    }
    return database.settings(tenantId, actor);
  }

  @Override
  public String toString() {
    return "TenantScope";
  }
}
