package io.apixx.flow.sidecar.persistence;

/**
 * The body of a tenant-scoped transaction. It receives the transaction's {@link TenantTx}, which
 * is valid only until it returns: do not keep it, hand it to another thread or return an object
 * that uses it later.
 *
 * @param <T> what the body returns (may be null)
 */
@FunctionalInterface
public interface TenantWork<T> {
  /**
   * Runs the body. Throwing anything rolls the transaction back and propagates the exception.
   *
   * @throws DatabaseException from the operations of {@code tx}
   */
  T run(TenantTx tx);
}
