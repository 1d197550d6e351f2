package io.apixx.flow.sidecar.audit.collector;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Monthly partitions of {@code audit.events}, run with the owner's credentials: creates the
 * partitions of the previous, current and next two months ahead of time (through {@code
 * audit.ensure_month_partition}, which also gives each its TRUNCATE trigger), and drops whole
 * partitions older than the retention.
 *
 * <p>Retention of {@code n} months keeps every event younger than {@code n} months: the partition
 * of month {@code m} is dropped once all of it is older, i.e. when {@code m} is before the current
 * month minus {@code n} (with 13: in November 2026, September 2025 goes and October 2025 stays).
 * Dropping a partition is the only way rows ever leave the table. The default partition (events
 * whose time fell outside every month partition) is never dropped.
 *
 * <p>Each step is its own short transaction with a lock timeout, because creating or dropping a
 * partition briefly locks the whole table and a step waiting for its lock would hold up every
 * insert queued behind it. A step that fails is logged and retried at the next run. Idempotent;
 * safe to run from several collector replicas at once. Thread-safe.
 */
public final class PartitionMaintenance {
  private static final Logger log = LoggerFactory.getLogger(PartitionMaintenance.class);
  private static final Pattern NAME = Pattern.compile("events_y(\\d{4})m(\\d{2})");
  private static final String LOCK_TIMEOUT = "SET LOCAL lock_timeout = '5s'";

  private final DataSource owner;
  private final int retentionMonths;
  private final Clock clock;

  /** What one run did; {@code failed} names the partitions it could not create or drop. */
  public record Result(List<String> created, List<String> dropped, List<String> failed) {}

  /**
   * @param owner connections as the owner of {@code audit.events}
   * @param retentionMonths whole months kept, 1..84
   */
  public PartitionMaintenance(DataSource owner, int retentionMonths, Clock clock) {
    if (retentionMonths < 1 || retentionMonths > 84) {
      throw new IllegalArgumentException("retention must be 1 to 84 months");
    }
    this.owner = owner;
    this.retentionMonths = retentionMonths;
    this.clock = clock;
  }

  static String partitionName(YearMonth m) {
    return String.format("events_y%04dm%02d", m.getYear(), m.getMonthValue());
  }

  /** Creates what is missing and drops what expired. Never throws for one failed step. */
  public Result run() {
    YearMonth now = YearMonth.from(LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC));
    List<String> created = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (int i = -1; i <= 2; i++) {
      YearMonth m = now.plusMonths(i);
      String name = partitionName(m);
      try {
        boolean made =
            step(c -> {
              try (PreparedStatement ps = c.prepareStatement("SELECT audit.ensure_month_partition(?)")) {
                ps.setObject(1, m.atDay(1));
                try (ResultSet rs = ps.executeQuery()) {
                  return rs.next() && rs.getBoolean(1);
                }
              }
            });
        if (made) {
          created.add(name);
        }
      } catch (SQLException e) {
        // Most likely rows of that month already sit in the default partition, or a lock timeout.
        log.error("cannot create audit partition {}: {}", name, e.getMessage());
        failed.add(name);
      }
    }
    YearMonth oldestKept = now.minusMonths(retentionMonths);
    for (String name : existing(failed)) {
      Matcher mt = NAME.matcher(name);
      if (!mt.matches() || !YearMonth.of(Integer.parseInt(mt.group(1)), Integer.parseInt(mt.group(2))).isBefore(oldestKept)) {
        continue;
      }
      try {
        step(c -> {
          try (Statement st = c.createStatement()) {
            // The name matched NAME (digits only): nothing from outside reaches this statement.
            return st.execute("DROP TABLE IF EXISTS audit." + name);
          }
        });
        dropped.add(name);
        log.info("retention: dropped audit partition {} (older than {} months)", name, retentionMonths);
      } catch (SQLException e) {
        log.error("retention: cannot drop audit partition {}: {}", name, e.getMessage());
        failed.add(name);
      }
    }
    if (!created.isEmpty()) {
      log.info("created audit partitions {}", created);
    }
    return new Result(List.copyOf(created), List.copyOf(dropped), List.copyOf(failed));
  }

  private interface Step<T> {
    T run(Connection c) throws SQLException;
  }

  /** Runs {@code work} in its own transaction with a lock timeout, as the owner. */
  private <T> T step(Step<T> work) throws SQLException {
    try (Connection c = owner.getConnection()) {
      c.setAutoCommit(false);
      try {
        try (Statement st = c.createStatement()) {
          st.execute(LOCK_TIMEOUT);
        }
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private List<String> existing(List<String> failed) {
    try (Connection c = owner.getConnection()) {
      return partitions(c);
    } catch (SQLException e) {
      log.error("retention: cannot list the audit partitions: {}", e.getMessage());
      failed.add("(list)");
      return List.of();
    }
  }

  /** Names of the partitions of {@code audit.events} (the default one included), sorted. */
  public static List<String> partitions(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
            "SELECT child.relname FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class child ON child.oid = i.inhrelid"
                + " JOIN pg_catalog.pg_class parent ON parent.oid = i.inhparent JOIN pg_catalog.pg_namespace n ON n.oid = parent.relnamespace"
                + " WHERE n.nspname = 'audit' AND parent.relname = 'events' ORDER BY 1");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }
}
