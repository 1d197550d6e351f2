package io.apixx.flow.sidecar.audit.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.apixx.flow.sidecar.audit.AuditRecords;
import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.testing.AuditChain;
import io.apixx.flow.sidecar.testing.AuditDatabase;
import io.apixx.flow.sidecar.v1.AuditEvent;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link AuditStore#store} against a real, migrated collector database as flow_collector. */
class AuditStoreTest {
  static final Instant T0 = Instant.parse("2026-11-29T12:00:00.123456789Z");
  static AuditDatabase db;

  CollectorMetrics metrics;
  AuditStore store;
  AuditChain chain;

  @BeforeAll
  static void database() {
    db = AuditDatabase.create("store");
  }

  @BeforeEach
  void setUp() {
    metrics = new CollectorMetrics(new PrometheusRegistry());
    store = new AuditStore(db.collector(), db.collector(), metrics);
    chain = new AuditChain("daemon-" + UUID.randomUUID().toString().substring(0, 8));
  }

  long rows(String instance) {
    return db.sql().count("SELECT count(*) FROM audit.events WHERE daemon_instance = ?", instance);
  }

  long alarms(String instance, String kind) {
    return db.sql().count("SELECT count(*) FROM audit.alarms WHERE daemon_instance = ? AND kind = ?", instance, kind);
  }

  @Test
  void store_chainedBatches_allStoredHeadMovedNoAlarm() {
    AuditStore.Stored first = store.store(chain.instance(), chain.releases(500, "acme", T0));
    AuditStore.Stored second = store.store(chain.instance(), chain.releases(500, "acme", T0.plusSeconds(1)));

    assertThat(first.ackedSequence()).isEqualTo(500);
    assertThat(second.ackedSequence()).isEqualTo(1000);
    assertThat(second.inserted()).isEqualTo(500);
    assertThat(rows(chain.instance())).isEqualTo(1000);
    assertThat(db.sql().count("SELECT count(DISTINCT sequence) FROM audit.events WHERE daemon_instance = ?", chain.instance())).isEqualTo(1000);
    assertThat(db.sql().count("SELECT last_sequence FROM audit.chain_heads WHERE daemon_instance = ?", chain.instance())).isEqualTo(1000);
    assertThat(db.sql().count("SELECT count(*) FROM audit.alarms WHERE daemon_instance = ?", chain.instance())).isZero();
    assertThat(metrics.storedCount()).isEqualTo(1000);
  }

  @Test
  void store_eventFields_storedAsSentWithMicrosecondTime() {
    AuditEvent sent = chain.releases(1, "acme", T0).get(0);

    store.store(chain.instance(), List.of(sent));

    var row = db.sql().rows("SELECT * FROM audit.events WHERE event_id = ?::uuid", sent.getEventId()).get(0);
    assertThat(row.get("tenant_id")).isEqualTo("acme");
    assertThat(row.get("actor_kind")).isEqualTo("ACTOR_KIND_RUN");
    assertThat(row.get("action")).isEqualTo("credential.release");
    assertThat(row.get("outcome")).isEqualTo("OUTCOME_SUCCESS");
    assertThat(row.get("record")).isEqualTo(sent.toByteArray());
    assertThat(((java.sql.Timestamp) row.get("event_time")).toInstant()).isEqualTo(Instant.parse("2026-11-29T12:00:00.123456Z"));
  }

  @Test
  void store_redeliveredEvents_ignoredExactlyOnceAndAcked() {
    List<AuditEvent> batch = chain.releases(100, "acme", T0);
    store.store(chain.instance(), batch);

    // A daemon that lost the acknowledgement resends; a reconnect overlaps old and new events.
    AuditStore.Stored again = store.store(chain.instance(), batch);
    List<AuditEvent> overlap = new ArrayList<>(batch.subList(50, 100));
    overlap.addAll(chain.releases(50, "acme", T0.plusSeconds(1)));
    AuditStore.Stored mixed = store.store(chain.instance(), overlap);

    assertThat(again.ackedSequence()).isEqualTo(100);
    assertThat(again.inserted()).isZero();
    assertThat(again.duplicates()).isEqualTo(100);
    assertThat(mixed.inserted()).isEqualTo(50);
    assertThat(mixed.duplicates()).isEqualTo(50);
    assertThat(mixed.alarms()).isEmpty();
    assertThat(rows(chain.instance())).isEqualTo(150);
    assertThat(metrics.duplicateCount()).isEqualTo(150);
    assertThat(alarms(chain.instance(), "fork")).isZero();
  }

  @Test
  void store_gap_raisesGapAlarmRowAndMetricAndStoresTheEvents() {
    store.store(chain.instance(), chain.releases(10, "acme", T0));
    chain.skip(5);

    AuditStore.Stored stored = store.store(chain.instance(), chain.releases(10, "acme", T0.plusSeconds(1)));

    assertThat(stored.alarms()).singleElement().satisfies(a -> {
      assertThat(a.kind()).isEqualTo("gap");
      assertThat(a.expectedSequence()).isEqualTo(11);
      assertThat(a.gotSequence()).isEqualTo(16);
    });
    assertThat(alarms(chain.instance(), "gap")).isEqualTo(1);
    assertThat(db.sql().count("SELECT got_sequence FROM audit.alarms WHERE daemon_instance = ?", chain.instance())).isEqualTo(16);
    assertThat(metrics.alarmCount("gap")).isEqualTo(1);
    assertThat(rows(chain.instance())).isEqualTo(20);
  }

  @Test
  void store_secondRecordWithSequenceAlreadyStored_raisesForkAlarm() {
    store.store(chain.instance(), chain.releases(10, "acme", T0));
    // Another history of the same instance: sequences 1..3 again, with new ids and hashes.
    AuditChain other = new AuditChain(chain.instance());

    AuditStore.Stored stored = store.store(chain.instance(), other.releases(3, "acme", T0.plusSeconds(5)));

    assertThat(stored.alarms()).hasSize(3).allSatisfy(a -> assertThat(a.kind()).isEqualTo("fork"));
    assertThat(alarms(chain.instance(), "fork")).isEqualTo(3);
    assertThat(metrics.alarmCount("fork")).isEqualTo(3);
    assertThat(rows(chain.instance())).isEqualTo(13);
  }

  @Test
  void store_nextSequenceNotChainedToPreviousHash_raisesForkAlarm() {
    store.store(chain.instance(), chain.releases(5, "acme", T0));
    AuditEvent next = chain.releases(1, "acme", T0.plusSeconds(1)).get(0);
    AuditEvent rechained = AuditRecords.chain(next.toBuilder(), next.getSequence(), ByteString.copyFrom(new byte[32]));

    AuditStore.Stored stored = store.store(chain.instance(), List.of(rechained));

    assertThat(stored.alarms()).singleElement().satisfies(a -> {
      assertThat(a.kind()).isEqualTo("fork");
      assertThat(a.gotSequence()).isEqualTo(6);
    });
    assertThat(metrics.alarmCount("fork")).isEqualTo(1);
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("not a UUID", (UnaryOperator<AuditEvent.Builder>) b -> b.setEventId("not-a-uuid"), "event_id: not a UUID (sequence 3)", true),
        Arguments.of("UUIDv4", (UnaryOperator<AuditEvent.Builder>) b -> b.setEventId(UUID.randomUUID().toString()), "event_id: not a UUIDv7 (sequence 3)", true),
        Arguments.of("missing action", (UnaryOperator<AuditEvent.Builder>) AuditEvent.Builder::clearAction, "action: required (event ", true),
        Arguments.of("missing time", (UnaryOperator<AuditEvent.Builder>) AuditEvent.Builder::clearTime, "time: required (event ", true),
        Arguments.of("missing outcome", (UnaryOperator<AuditEvent.Builder>) AuditEvent.Builder::clearOutcome, "outcome: required (event ", true),
        Arguments.of("NUL in target", (UnaryOperator<AuditEvent.Builder>) b -> b.setTarget("a\0b"), "target: contains a NUL character (event ", true),
        Arguments.of("other instance", (UnaryOperator<AuditEvent.Builder>) b -> b.setDaemonInstance("someone-else"), "daemon_instance: differs from the stream's (event ", true),
        // The event is otherwise fine, but its hash is not the hash of its contents.
        Arguments.of("wrong hash", (UnaryOperator<AuditEvent.Builder>) b -> b.setTarget("connector/other/v9"), "hash: does not match the event's contents (event ", false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void store_malformedEvent_invalidArgumentNamingEventAndFieldNothingStored(
      String name, UnaryOperator<AuditEvent.Builder> damage, String message, boolean rehash) {
    List<AuditEvent> batch = new ArrayList<>(chain.releases(5, "acme", T0));
    AuditEvent third = batch.get(2);
    AuditEvent.Builder damaged = damage.apply(third.toBuilder());
    batch.set(2, rehash ? damaged.setHash(ByteString.copyFrom(AuditRecords.hashOf(damaged.build()))).build() : damaged.build());

    CollectorException e = catchThrowableOfType(CollectorException.class, () -> store.store(chain.instance(), batch));

    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).startsWith(message);
    if (message.endsWith("(event ")) {
      assertThat(e.getMessage()).contains(third.getEventId());
    }
    assertThat(rows(chain.instance())).isZero();
    assertThat(db.sql().count("SELECT count(*) FROM audit.chain_heads WHERE daemon_instance = ?", chain.instance())).isZero();
  }

  @Test
  void store_sameSequenceTwiceInBatch_invalidArgument() {
    List<AuditEvent> batch = new ArrayList<>(chain.releases(3, "acme", T0));
    batch.add(batch.get(1));

    CollectorException e = catchThrowableOfType(CollectorException.class, () -> store.store(chain.instance(), batch));

    assertThat(e.getMessage()).startsWith("sequence: appears twice in the batch");
    assertThat(rows(chain.instance())).isZero();
  }

  @Test
  void store_badInstanceName_invalidArgument() {
    CollectorException e = catchThrowableOfType(CollectorException.class, () -> store.store("bad name!", List.of()));

    assertThat(e.getMessage()).startsWith("daemon_instance:");
  }

  @Test
  void store_concurrentBatchesOfManyInstances_allStoredNoAlarms() throws Exception {
    List<AuditChain> chains = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      chains.add(new AuditChain(chain.instance() + "-" + i));
    }
    List<Thread> threads = new ArrayList<>();
    for (AuditChain c : chains) {
      List<List<AuditEvent>> batches = new ArrayList<>();
      for (int b = 0; b < 5; b++) {
        batches.add(c.releases(100, "acme", T0.plusSeconds(b)));
      }
      threads.add(Thread.ofPlatform().start(() -> batches.forEach(b -> store.store(c.instance(), b))));
    }
    for (Thread t : threads) {
      t.join();
    }

    for (AuditChain c : chains) {
      assertThat(rows(c.instance())).isEqualTo(500);
      assertThat(db.sql().count("SELECT count(*) FROM audit.alarms WHERE daemon_instance = ?", c.instance())).isZero();
    }
  }
}
