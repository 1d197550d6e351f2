package io.apixx.flow.sidecar.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.UUID;
import org.postgresql.util.PGInterval;

/** Binds statement parameters from plain Java values. */
final class SqlValues {
  private SqlValues() {}

  /**
   * Binds {@code values} to {@code ps} starting at {@code index}. Supported: null, String,
   * Integer, Long, Short, Boolean, byte[], UUID, Instant and OffsetDateTime (timestamptz),
   * Duration (interval), and String[] or a Collection of Strings (text[]).
   *
   * @throws IllegalArgumentException for another type; the message names the type, never the value
   */
  static void bind(Connection connection, PreparedStatement ps, int index, Object[] values)
      throws SQLException {
    for (int i = 0; i < values.length; i++) {
      int at = index + i;
      Object v = values[i];
      switch (v) {
        case null -> ps.setNull(at, Types.NULL);
        case String s -> ps.setString(at, s);
        case Integer n -> ps.setInt(at, n);
        case Long n -> ps.setLong(at, n);
        case Short n -> ps.setShort(at, n);
        case Boolean b -> ps.setBoolean(at, b);
        case byte[] b -> ps.setBytes(at, b);
        case UUID u -> ps.setObject(at, u);
        case Instant t -> ps.setObject(at, OffsetDateTime.ofInstant(t, ZoneOffset.UTC));
        case OffsetDateTime t -> ps.setObject(at, t);
        case Duration d -> ps.setObject(at, interval(d));
        case String[] a -> ps.setArray(at, connection.createArrayOf("text", a));
        case Collection<?> c -> ps.setArray(at, connection.createArrayOf("text", strings(c)));
        default ->
            throw new IllegalArgumentException(
                "unsupported parameter type " + v.getClass().getName() + " at position " + (i + 1));
      }
    }
  }

  private static PGInterval interval(Duration d) {
    // Whole seconds in the seconds field (a double is exact for them), the rest as microseconds.
    PGInterval i = new PGInterval();
    i.setSeconds(d.getSeconds() + d.toNanosPart() / 1_000_000_000.0);
    return i;
  }

  private static String[] strings(Collection<?> c) {
    String[] out = new String[c.size()];
    int i = 0;
    for (Object o : c) {
      if (!(o instanceof String s)) {
        throw new IllegalArgumentException("only collections of String are supported");
      }
      out[i++] = s;
    }
    return out;
  }
}
