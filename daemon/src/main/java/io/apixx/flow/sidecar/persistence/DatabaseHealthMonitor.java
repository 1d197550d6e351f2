package io.apixx.flow.sidecar.persistence;

import io.apixx.flow.sidecar.config.DatabaseConfig;
import io.apixx.flow.sidecar.server.HealthRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@value #DEPENDENCY} health service in step with whether the pool can reach the
 * database. Every {@code interval}: if a tenant scope (or the previous probe) succeeded within the
 * last interval, the database is SERVING without another query, so a busy daemon adds no load;
 * otherwise one {@code SELECT 1} goes through the pool. A probe that has not answered within
 * {@code timeout} counts as NOT_SERVING at once (it may still finish and report later). Nothing
 * here stops the daemon: the pool reconnects by itself and the next probe reports SERVING again.
 *
 * <p>Thread-safe. One scheduler thread and one probe thread, both daemon threads; {@link #close()}
 * stops them.
 */
public final class DatabaseHealthMonitor implements AutoCloseable {
  /** The health service name of the database. */
  public static final String DEPENDENCY = "db";

  private static final Logger log = LoggerFactory.getLogger(DatabaseHealthMonitor.class);

  private final Database database;
  private final HealthRegistry health;
  private final Duration interval;
  private final long timeoutNanos;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService prober;
  // Touched by the scheduler thread only.
  private Future<?> probe;
  private long probeStarted;
  // Serializes a probe's report with the timeout's, so that a probe finishing just as it times out
  // cannot be overwritten by the stale "timed out".
  private final Object reportLock = new Object();
  private boolean probeFinished;

  private DatabaseHealthMonitor(Database database, HealthRegistry health, Duration interval, Duration timeout) {
    this.database = database;
    this.health = health;
    this.interval = interval;
    this.timeoutNanos = timeout.toNanos();
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "db-health"));
    this.prober = Executors.newSingleThreadExecutor(r -> daemon(r, "db-health-probe"));
  }

  /**
   * Registers {@value #DEPENDENCY}, runs a first probe and waits for it at most {@code timeout}
   * (so that a daemon whose database is up reports SERVING from the moment it says it is ready;
   * one that is down starts NOT_SERVING after the timeout), then polls every {@code interval}.
   */
  public static DatabaseHealthMonitor start(
      Database database, HealthRegistry health, Duration interval, Duration timeout) {
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(health, "health");
    if (interval.isNegative() || interval.isZero() || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("interval and timeout must be positive");
    }
    health.register(DEPENDENCY);
    DatabaseHealthMonitor m = new DatabaseHealthMonitor(database, health, interval, timeout);
    m.probeStarted = System.nanoTime();
    m.probe = m.prober.submit(m::probeAndReport);
    try {
      m.probe.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      // Still running: the periodic check below reports NOT_SERVING and waits for it.
    } catch (ExecutionException e) {
      log.warn("first database health check failed to run", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // The fields above are handed to the scheduler thread by the executor (happens-before).
    m.scheduler.scheduleWithFixedDelay(m::tick, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return m;
  }

  /** {@link #start(Database, HealthRegistry, Duration, Duration)} with {@code database.health_*}. */
  public static DatabaseHealthMonitor start(Database database, HealthRegistry health, DatabaseConfig config) {
    return start(database, health, config.healthInterval(), config.healthTimeout());
  }

  private void tick() {
    try {
      if (probe != null) {
        if (!probe.isDone()) {
          if (System.nanoTime() - probeStarted > timeoutNanos) {
            synchronized (reportLock) {
              if (!probeFinished) {
                health.set(DEPENDENCY, false);
              }
            }
          }
          return; // one probe at a time
        }
        probe = null;
      }
      if (database.succeededWithin(interval)) {
        health.set(DEPENDENCY, true);
        return;
      }
      probeStarted = System.nanoTime();
      synchronized (reportLock) {
        probeFinished = false;
      }
      probe = prober.submit(this::probeAndReport);
    } catch (RuntimeException e) {
      // Never let an exception cancel the periodic task.
      log.warn("database health check failed to run", e);
    }
  }

  private void probeAndReport() {
    boolean reachable = database.ping();
    synchronized (reportLock) {
      probeFinished = true;
      health.set(DEPENDENCY, reachable);
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    prober.shutdownNow();
  }
}
