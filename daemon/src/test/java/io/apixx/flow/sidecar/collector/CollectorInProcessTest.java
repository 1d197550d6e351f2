package io.apixx.flow.sidecar.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.apixx.flow.sidecar.CollectorMain;
import io.apixx.flow.sidecar.audit.AuditSpool;
import io.apixx.flow.sidecar.audit.AuditUploader;
import io.apixx.flow.sidecar.audit.collector.CollectorDatabase;
import io.apixx.flow.sidecar.auth.Tokens;
import io.apixx.flow.sidecar.config.CollectorConfig;
import io.apixx.flow.sidecar.observability.Metrics;
import io.apixx.flow.sidecar.persistence.EmbeddedDatabase;
import io.apixx.flow.sidecar.testing.AuditChain;
import io.apixx.flow.sidecar.testing.Bearer;
import io.apixx.flow.sidecar.testing.TestConfigs;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.QueryRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dev mode's collector: {@link CollectorMain#startInProcess(CollectorConfig, EmbeddedDatabase,
 * CollectorMain.Options)} on an embedded PostgreSQL of its own (as under {@code .dev/postgres}),
 * with the daemon's spool and uploader on the in-process channel, across a restart.
 */
class CollectorInProcessTest {
  @TempDir static Path dir;
  static EmbeddedDatabase embedded;

  @BeforeAll
  static void startDatabase() {
    embedded = EmbeddedDatabase.start(dir.resolve("postgres"), 0);
  }

  @AfterAll
  static void stopDatabase() {
    embedded.close();
  }

  static long count(String sql) throws Exception {
    try (Connection c = embedded.superuserDataSource(CollectorDatabase.DATABASE).getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void startInProcess_embeddedDatabase_uploaderStreamsIntoFlowAuditAcrossRestarts() throws Exception {
    String token = Tokens.newServiceToken();
    Path tokens = Files.writeString(dir.resolve("service-tokens.yaml"),
        "- name: dev-control-plane\n  token_sha256: " + Tokens.hashHex(token) + "\n  tenants: [\"*\"]\n");
    CollectorConfig config = TestConfigs.isolated(dir, "collector.service_tokens_file=" + tokens).collector();
    AuditSpool spool = AuditSpool.open(new AuditSpool.Settings(dir.resolve("spool"), 64L << 20, 1L << 20, 1024, 256), "us-east-1", "dev", ok -> {});
    try {
      for (int run = 1; run <= 2; run++) {
        try (CollectorMain.InProcessCollector collector =
                CollectorMain.startInProcess(config, embedded, new CollectorMain.Options(Metrics.forTesting(), Clock.systemUTC(), Optional.empty()));
            AuditUploader uploader =
                new AuditUploader(spool, collector.channel(), 100, 1000, Duration.ofMillis(50), Duration.ofMillis(500), Metrics.forTesting()).start()) {
          for (int i = 0; i < 50; i++) {
            spool.record(AuditChain.release("demo", "run-" + run, "connector/demo-github/v1", Instant.now()));
          }
          long expected = 50L * run;
          await().atMost(Duration.ofSeconds(30)).until(() -> spool.acknowledgedSequence() == expected);

          assertThat(count("SELECT count(*) FROM audit.events")).isEqualTo(expected);
          assertThat(AuditIngestServiceGrpc.newBlockingStub(collector.channel()).withInterceptors(Bearer.of(token))
                  .query(QueryRequest.newBuilder().setTenantId("demo").setPageSize(1000).build()).getEventsCount())
              .isEqualTo((int) expected);
        }
      }
      assertThat(count("SELECT count(*) FROM audit.alarms")).isZero();
      assertThat(Files.exists(embedded.root().resolve(CollectorDatabase.COLLECTOR_ROLE + ".password"))).isTrue();
    } finally {
      spool.close();
    }
  }
}
