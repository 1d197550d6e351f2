package io.apixx.flow.sidecar.persistence;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.postgresql.util.PGInterval;

/**
 * One row of a query result, read by column label. Every getter returns null for SQL NULL and
 * throws {@link DatabaseException} (INTERNAL) for an unknown column or a type that does not
 * convert. Valid only inside {@link RowMapper#map}; it deliberately exposes no JDBC object, so no
 * connection can escape a {@link TenantScope}. Not thread-safe.
 */
public final class Row {
  private final ResultSet rs;
  private boolean valid = true;

  Row(ResultSet rs) {
    this.rs = rs;
  }

  void invalidate() {
    valid = false;
  }

  public String getString(String column) {
    return read(column, () -> rs.getString(column));
  }

  public byte[] getBytes(String column) {
    return read(column, () -> rs.getBytes(column));
  }

  public Integer getInt(String column) {
    return read(column, () -> rs.getObject(column, Integer.class));
  }

  public Long getLong(String column) {
    return read(column, () -> rs.getObject(column, Long.class));
  }

  public Boolean getBoolean(String column) {
    return read(column, () -> rs.getObject(column, Boolean.class));
  }

  public UUID getUuid(String column) {
    return read(column, () -> rs.getObject(column, UUID.class));
  }

  /** A {@code timestamptz} column as an instant. */
  public Instant getInstant(String column) {
    return read(
        column,
        () -> {
          OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
          return t == null ? null : t.toInstant();
        });
  }

  /**
   * An {@code interval} column as a duration. Months and years are not fixed lengths, so an
   * interval that has them is rejected rather than guessed.
   */
  public Duration getDuration(String column) {
    return read(
        column,
        () -> {
          PGInterval i = (PGInterval) rs.getObject(column);
          if (i == null) {
            return null;
          }
          if (i.getYears() != 0 || i.getMonths() != 0) {
            throw new SQLException("interval with months or years", "22000");
          }
          return Duration.ofDays(i.getDays())
              .plusHours(i.getHours())
              .plusMinutes(i.getMinutes())
              .plusSeconds(i.getWholeSeconds())
              .plusNanos(i.getMicroSeconds() * 1000L);
        });
  }

  /** A {@code text[]} column as a list. */
  public List<String> getStringList(String column) {
    return read(
        column,
        () -> {
          Array a = rs.getArray(column);
          if (a == null) {
            return null;
          }
          try {
            return List.copyOf(Arrays.asList((String[]) a.getArray()));
          } finally {
            a.free();
          }
        });
  }

  private interface Read<T> {
    T get() throws SQLException;
  }

  private <T> T read(String column, Read<T> read) {
    if (!valid) {
      throw new IllegalStateException("a Row is valid only inside RowMapper.map");
    }
    try {
      return read.get();
    } catch (SQLException e) {
      throw DatabaseException.from(e);
    }
  }

  @Override
  public String toString() {
    return "Row";
  }
}
