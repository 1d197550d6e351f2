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
 * partitions of the last, current and next two months ahead of time, and drops whole partitions
 * older than the retention (13 months by default, up to 7 years). Dropping a partition is the only
 * way rows ever leave the table. Idempotent; safe to run from several collector replicas.
 */
public final class PartitionMaintenance {
  private static final Logger log = LoggerFactory.getLogger(PartitionMaintenance.class);
  private static final Pattern NAME = Pattern.compile("events_y(\\d{4})m(\\d{2})");

  private final DataSource owner;
  private final int retentionMonths;
  private final Clock clock;

  /** What one run did. */
  public record Result(List<String> created, List<String> dropped) {}

  public PartitionMaintenance(DataSource owner, int retentionMonths, Clock clock) {
    this.owner = owner;
    this.retentionMonths = retentionMonths;
    this.clock = clock;
  }

  static String partitionName(YearMonth m) {
    return String.format("events_y%04dm%02d", m.getYear(), m.getMonthValue());
  }

  public Result run() throws SQLException {
    YearMonth now = YearMonth.from(LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC));
    List<String> created = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    try (Connection c = owner.getConnection()) {
      List<String> existing = partitions(c);
      for (int i = -1; i <= 2; i++) {
        YearMonth m = now.plusMonths(i);
        String name = partitionName(m);
        if (existing.contains(name)) {
          continue;
        }
        try (Statement st = c.createStatement()) {
          // Identifiers and bounds are built from integers only: nothing here comes from input.
          st.execute("CREATE TABLE IF NOT EXISTS audit." + name + " PARTITION OF audit.events FOR VALUES FROM ('"
              + m.atDay(1) + " 00:00:00+00') TO ('" + m.plusMonths(1).atDay(1) + " 00:00:00+00')");
          created.add(name);
        } catch (SQLException e) {
          // Most likely rows for that month already sit in the default partition.
          log.error("cannot create audit partition {}: {}", name, e.getMessage());
        }
      }
      YearMonth oldestKept = now.minusMonths(retentionMonths);
      for (String name : existing) {
        Matcher mt = NAME.matcher(name);
        if (mt.matches()) {
          YearMonth m = YearMonth.of(Integer.parseInt(mt.group(1)), Integer.parseInt(mt.group(2)));
          if (m.isBefore(oldestKept)) {
            try (Statement st = c.createStatement()) {
              st.execute("DROP TABLE audit." + name);
              dropped.add(name);
              log.info("retention: dropped audit partition {} (older than {} months)", name, retentionMonths);
            }
          }
        }
      }
    }
    return new Result(created, dropped);
  }

  /** Names of the month partitions that exist. */
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
