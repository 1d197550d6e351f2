package io.apixx.flow.sidecar.auth;

import com.github.benmanes.caffeine.cache.Ticker;
import io.apixx.flow.sidecar.audit.AuditSpool;
import io.apixx.flow.sidecar.config.SidecarConfig;
import io.apixx.flow.sidecar.crypto.EnvelopeAead;
import io.apixx.flow.sidecar.crypto.kms.Kms;
import io.apixx.flow.sidecar.crypto.kms.KmsFactory;
import io.apixx.flow.sidecar.persistence.Database;
import io.apixx.flow.sidecar.persistence.TenantScope;
import io.apixx.flow.sidecar.server.BoundedExecutors;
import io.apixx.flow.sidecar.tenancy.TenantDirectory;
import io.apixx.flow.sidecar.testing.Fixtures;
import io.apixx.flow.sidecar.testing.MutableClock;
import io.apixx.flow.sidecar.testing.PostgresHarness;
import io.apixx.flow.sidecar.testing.TestConfigs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The auth capability wired like Main does, on the shared test PostgreSQL and a fake clock. */
final class AuthFixture implements AutoCloseable {
  // Microsecond-aligned, like every timestamp PostgreSQL stores.
  final MutableClock clock = new MutableClock(java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS));
  final SidecarConfig config;
  final Database db;
  final TenantScope tenants;
  final Fixtures fixtures;
  final AuditSpool spool;
  final Kms kms;
  final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  final TenantDirectory directory;
  final SessionService sessions;
  final PasswordHasher hasher;
  final UserStore users;
  final Throttle throttle;
  final PasswordLogin passwords;
  final MfaService mfa;
  final UserAccounts accounts;
  final Totp totp;
  final String tenant;

  AuthFixture(Path dir, int bcryptCost) throws Exception {
    PostgresHarness pg = PostgresHarness.shared();
    config = TestConfigs.isolated(dir);
    db = pg.openDatabase();
    tenants = db.tenants();
    fixtures = pg.fixtures();
    tenant = Fixtures.uniqueTenantId("auth");
    fixtures.tenant(tenant);
    spool = AuditSpool.open(new AuditSpool.Settings(dir.resolve("audit"), 64 << 20, 1 << 20, 10_000, 256), "us-east-1", "auth-test", ok -> {});
    kms = KmsFactory.create(config.kms(), clock, scheduler);
    directory = new TenantDirectory(tenants, Duration.ofMillis(1), Ticker.systemTicker());
    sessions = new SessionService(tenants, directory, config.auth().sessions(), clock, Ticker.systemTicker());
    hasher = new PasswordHasher(bcryptCost, BoundedExecutors.fixed("bcrypt-test", 2, 64));
    users = new UserStore(tenants);
    throttle = new Throttle(tenants, config.auth().throttle(), clock);
    passwords = new PasswordLogin(users, hasher, throttle, sessions, tenants, spool, clock, Runnable::run);
    totp = new Totp(clock);
    mfa = new MfaService(tenants, users, sessions, throttle, kms, EnvelopeAead.create(), totp, spool, clock, "Flow", Duration.ofMinutes(10));
    accounts = new UserAccounts(tenants, hasher, sessions, spool, clock);
  }

  RequestMeta meta() {
    return new RequestMeta("req-test", Peer.tcp("127.0.0.9"));
  }

  /** Audit events recorded so far with this action. */
  long audited(String action, io.apixx.flow.sidecar.audit.AuditEvent.Outcome outcome) throws Exception {
    return spool.read(0, 100_000).stream()
        .filter(e -> e.getAction().equals(action) && e.getOutcome().name().endsWith(outcome.name()))
        .count();
  }

  List<io.apixx.flow.sidecar.v1.AuditEvent> events() throws Exception {
    return spool.read(0, 100_000);
  }

  @Override
  public void close() throws Exception {
    hasher.close();
    kms.close();
    scheduler.shutdownNow();
    spool.close();
    db.close();
  }
}
