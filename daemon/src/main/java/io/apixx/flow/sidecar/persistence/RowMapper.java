package io.apixx.flow.sidecar.persistence;

/**
 * Turns the current row of a result into a value. The {@link Row} is valid only during the call.
 *
 * @param <T> the value type
 */
@FunctionalInterface
public interface RowMapper<T> {
  T map(Row row);
}
