package io.apixx.flow.sidecar.audit.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.testing.AuditChain;
import io.apixx.flow.sidecar.testing.AuditDatabase;
import io.apixx.flow.sidecar.testing.MutableClock;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Monthly partitions and retention, on a hand-moved clock, against real PostgreSQL as the owner. */
class AuditStorePartitionsTest {
  static AuditDatabase db;

  MutableClock clock = MutableClock.startingAt("2026-11-15T12:00:00Z");

  @BeforeAll
  static void database() {
    db = AuditDatabase.create("partitions");
  }

  @BeforeEach
  void noMonthPartitionsNoEvents() throws SQLException {
    for (String p : partitions()) {
      if (!p.equals("events_default")) {
        db.sql().execute("DROP TABLE audit." + p);
      }
    }
    // Rows can leave the default partition only past the triggers: a superuser's replica mode.
    try (Connection c = db.superuser().getConnection(); java.sql.Statement s = c.createStatement()) {
      s.execute("SET session_replication_role = replica");
      s.execute("DELETE FROM audit.events_default");
      s.execute("DELETE FROM audit.chain_heads");
    }
  }

  static List<String> partitions() throws SQLException {
    try (Connection c = db.superuser().getConnection()) {
      return PartitionMaintenance.partitions(c);
    }
  }

  PartitionMaintenance maintenance(int retentionMonths) {
    return new PartitionMaintenance(db.owner(), retentionMonths, clock);
  }

  /** Runs maintenance as if at {@code months} months before the clock's time (creating those partitions). */
  void createdMonthsAgo(int months) {
    Instant saved = clock.instant();
    clock.set(saved.atOffset(ZoneOffset.UTC).minusMonths(months).toInstant());
    maintenance(84).run();
    clock.set(saved);
  }

  static String name(String yearMonth) {
    return PartitionMaintenance.partitionName(YearMonth.parse(yearMonth));
  }

  @Test
  void run_now_createsPreviousCurrentAndNextTwoMonths() throws SQLException {
    PartitionMaintenance.Result r = maintenance(13).run();

    assertThat(r.created()).containsExactly(name("2026-10"), name("2026-11"), name("2026-12"), name("2027-01"));
    assertThat(r.failed()).isEmpty();
    assertThat(partitions()).containsExactlyInAnyOrder(
        "events_default", "events_y2026m10", "events_y2026m11", "events_y2026m12", "events_y2027m01");
    assertThat(maintenance(13).run().created()).as("idempotent").isEmpty();
  }

  @Test
  void run_newPartition_hasTruncateTriggerAndBoundsInUtc() {
    maintenance(13).run();

    assertThat(db.sql().count(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit.events_y2026m12'::regclass AND tgname = 'events_append_only_truncate'"))
        .isEqualTo(1);
    assertThat(db.sql().rows("SELECT pg_get_expr(relpartbound, oid) AS bound FROM pg_class WHERE oid = 'audit.events_y2026m12'::regclass")
        .get(0).get("bound").toString())
        .contains("2026-12-01 00:00:00+00").contains("2027-01-01 00:00:00+00");
  }

  @Test
  void run_retention13_drops14MonthsOldKeeps13And12MonthsOld() throws SQLException {
    createdMonthsAgo(14); // creates 2025-08 .. 2025-11
    AuditChain chain = new AuditChain("retention-daemon");
    AuditStore store = new AuditStore(db.collector(), db.collector(), AuditStore.Observer.NONE);
    store.store(chain.instance(), chain.releases(3, "acme", Instant.parse("2025-09-20T08:00:00Z")));
    store.store(chain.instance(), chain.releases(3, "acme", Instant.parse("2025-11-20T08:00:00Z")));
    assertThat(db.sql().count("SELECT count(*) FROM audit.events_y2025m09")).isEqualTo(3);

    PartitionMaintenance.Result r = maintenance(13).run();

    // In November 2026: 2025-09 ends 14 months back (all expired); 2025-10 is 13 months back and
    // still holds events younger than 13 months; 2025-11 is 12 months back.
    assertThat(r.dropped()).containsExactly(name("2025-08"), name("2025-09"));
    assertThat(partitions()).contains(name("2025-10"), name("2025-11")).doesNotContain(name("2025-09"));
    assertThat(db.sql().count("SELECT count(*) FROM audit.events WHERE daemon_instance = 'retention-daemon'")).isEqualTo(3);
    assertThat(db.sql().count("SELECT count(*) FROM audit.events_y2025m11")).isEqualTo(3);
  }

  @Test
  void run_retention84_keeps84MonthsDropsOlder() throws SQLException {
    createdMonthsAgo(86); // 2019-08 .. 2019-11
    createdMonthsAgo(83); // 2019-11 .. 2020-02

    PartitionMaintenance.Result r = maintenance(84).run();

    assertThat(r.dropped()).containsExactly(name("2019-08"), name("2019-09"), name("2019-10"));
    assertThat(partitions()).contains(name("2019-11"), name("2019-12"), name("2020-01"));
  }

  @Test
  void create_retentionBeyondSevenYears_refused() {
    assertThatThrownBy(() -> maintenance(85)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> maintenance(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void run_monthRowsAlreadyInDefaultPartition_reportsThatMonthCreatesTheOthers() throws SQLException {
    AuditChain chain = new AuditChain("early-daemon");
    new AuditStore(db.collector(), db.collector(), AuditStore.Observer.NONE)
        .store(chain.instance(), chain.releases(1, "acme", Instant.parse("2027-01-03T00:00:00Z")));

    PartitionMaintenance.Result r = maintenance(13).run();

    assertThat(r.failed()).containsExactly(name("2027-01"));
    assertThat(r.created()).containsExactly(name("2026-10"), name("2026-11"), name("2026-12"));
    assertThat(db.sql().count("SELECT count(*) FROM audit.events_default WHERE daemon_instance = 'early-daemon'")).isEqualTo(1);
    assertThat(partitions()).doesNotContain(name("2027-01"));
  }
}
