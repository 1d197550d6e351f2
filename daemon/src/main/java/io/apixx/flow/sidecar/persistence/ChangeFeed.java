package io.apixx.flow.sidecar.persistence;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes pushed to every daemon through PostgreSQL {@code LISTEN/NOTIFY}: credential rotation and
 * revocation, session revocation. Writers call {@code pg_notify(channel, payload)} in the same
 * transaction as the change, so the notification is delivered exactly when the change commits.
 *
 * <p>LISTEN needs a session, so the feed keeps one dedicated connection outside the pool (behind
 * PgBouncer in transaction mode, point {@code database.listen_url} at PostgreSQL or at a
 * session-mode pool). When the connection breaks the feed reconnects with backoff and then tells
 * every subscriber {@link Listener#resync()}, because notifications sent while it was away are
 * lost: subscribers drop their caches. Callers that need a bound on staleness independent of the
 * feed (credential revocation within a second) also keep their cache lifetimes short.
 *
 * <p>One background thread. Thread-safe.
 */
public final class ChangeFeed implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);
  private static final Pattern CHANNEL = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  /** Opens a connection for the feed (not from the pool). */
  @FunctionalInterface
  public interface ConnectionFactory {
    Connection open() throws SQLException;
  }

  /** A subscriber of one channel. */
  public interface Listener {
    /** A notification arrived with {@code payload}. Must be quick and must not throw. */
    void notified(String payload);

    /** Notifications may have been missed (the feed reconnected): drop whatever they invalidate. */
    void resync();
  }

  private final ConnectionFactory factory;
  private final Map<String, List<Listener>> listeners = new ConcurrentHashMap<>();
  private final Thread thread;
  private final Consumer<Boolean> health;
  private volatile boolean closed;
  private volatile boolean connected;
  private volatile Connection current;

  /**
   * @param health told whether the feed is connected (informational: the daemon works without it,
   *     with caches bounded by their lifetimes)
   */
  public ChangeFeed(ConnectionFactory factory, Set<String> channels, Consumer<Boolean> health) {
    this.factory = factory;
    this.health = health;
    for (String c : channels) {
      if (!CHANNEL.matcher(c).matches()) {
        throw new IllegalArgumentException("bad channel name " + c);
      }
      listeners.put(c, new CopyOnWriteArrayList<>());
    }
    this.thread = new Thread(this::run, "change-feed");
    this.thread.setDaemon(true);
  }

  /** Subscribes to {@code channel}, which must be one given to the constructor. */
  public void subscribe(String channel, Listener listener) {
    List<Listener> l = listeners.get(channel);
    if (l == null) {
      throw new IllegalArgumentException("channel " + channel + " is not listened to");
    }
    l.add(listener);
  }

  public ChangeFeed start() {
    thread.start();
    return this;
  }

  public boolean isConnected() {
    return connected;
  }

  private void run() {
    long backoff = 100;
    while (!closed) {
      try (Connection c = factory.open()) {
        current = c;
        try (Statement st = c.createStatement()) {
          for (String channel : listeners.keySet()) {
            st.execute("LISTEN " + channel);
          }
        }
        c.setAutoCommit(true);
        connected = true;
        health.accept(true);
        // Anything sent while we were away is lost: start from a clean slate.
        listeners.values().forEach(ls -> ls.forEach(Listener::resync));
        backoff = 100;
        PGConnection pg = c.unwrap(PGConnection.class);
        while (!closed) {
          PGNotification[] ns = pg.getNotifications(500);
          if (ns == null) {
            // Nothing within the timeout: make sure the connection is still alive.
            if (!c.isValid(2)) {
              throw new SQLException("change feed connection lost");
            }
            continue;
          }
          for (PGNotification n : ns) {
            for (Listener l : listeners.getOrDefault(n.getName(), List.of())) {
              try {
                l.notified(n.getParameter());
              } catch (RuntimeException e) {
                log.warn("change feed listener failed on {}", n.getName(), e);
              }
            }
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          break;
        }
        if (connected) {
          log.warn("change feed disconnected: {}", e.getMessage());
        }
      } finally {
        current = null;
        if (connected) {
          connected = false;
          health.accept(false);
        }
      }
      try {
        Thread.sleep(ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1));
      } catch (InterruptedException e) {
        if (closed) {
          break;
        }
      }
      backoff = Math.min(Duration.ofSeconds(5).toMillis(), backoff * 2);
    }
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    Connection c = current;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing anyway
      }
    }
    thread.interrupt();
    thread.join(5000);
  }
}
