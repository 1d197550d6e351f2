package io.apixx.flow.sidecar.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The PostgreSQL connection of the daemon ({@code database.*}). The daemon connects as the
 * application role (not owner, not superuser, no BYPASSRLS); migrations run as the owner role
 * with separate credentials. Passwords are never part of the configuration, only the files that
 * hold them.
 *
 * <p>The database is <em>configured</em> when {@code url} is set or {@code embedded.enabled} is
 * true; with neither, {@link #configured()} is false and the validation of the connection keys
 * is skipped (what the daemon does then is the composition root's decision).
 *
 * @param url JDBC URL of PostgreSQL or of PgBouncer, e.g. {@code jdbc:postgresql://db:5432/flow};
 *     must not contain a password; empty when embedded or not configured
 * @param user the application role the daemon connects as
 * @param passwordFile file holding the application role's password (trailing newline ignored);
 *     read at every new physical connection, so a rotated secret takes effect without a restart
 * @param ownerUrl JDBC URL for migrations; empty means {@code url}. Set it to PostgreSQL itself
 *     when {@code url} points to PgBouncer in transaction mode (Flyway takes a session lock)
 * @param ownerUser the owner role that runs migrations
 * @param ownerPasswordFile file holding the owner role's password; required when {@code migrate}
 * @param migrate run the Flyway migrations at start
 * @param pgbouncer {@code url} goes through PgBouncer in transaction pooling mode: the driver
 *     then uses no server-side prepared statements ({@code prepareThreshold=0})
 * @param poolMaxSize most connections this daemon opens (every pod runs one daemon: keep small)
 * @param poolMinIdle connections kept open while idle
 * @param connectTimeout the longest wait for a connection (pool checkout or a new connection);
 *     with the database down, calls fail with UNAVAILABLE after about this long
 * @param queryTimeout the longest a statement may run (server-side {@code statement_timeout},
 *     set per transaction; the client socket timeout is derived from it)
 * @param idleTimeout an idle connection above {@code poolMinIdle} is closed after this long
 * @param maxLifetime every connection is replaced after this long
 * @param healthInterval how often the {@code db} health service is refreshed
 * @param healthTimeout a health probe that has not answered after this long reports NOT_SERVING
 * @param embedded dev mode: run PostgreSQL in-process from the embedded binaries
 * @param listenUrl JDBC URL of the change feed's LISTEN session; empty means {@code url};
 *     {@value #NO_CHANGE_FEED} turns the feed off (large fleets: see docs/scaling.md)
 */
public record DatabaseConfig(
    String url,
    String user,
    String passwordFile,
    String ownerUrl,
    String ownerUser,
    String ownerPasswordFile,
    boolean migrate,
    boolean pgbouncer,
    int poolMaxSize,
    int poolMinIdle,
    Duration connectTimeout,
    Duration queryTimeout,
    Duration idleTimeout,
    Duration maxLifetime,
    Duration healthInterval,
    Duration healthTimeout,
    EmbeddedDatabaseConfig embedded,
    String listenUrl) {

  private static final String JDBC_PREFIX = "jdbc:postgresql://";

  /**
   * {@code listen_url} value that turns the change feed off. Each daemon then holds no LISTEN
   * session; credential rotation and revocation still reach it within the row cache's lifetime
   * (at most 500 ms) and session revocation within {@code auth.sessions.cache_ttl}.
   */
  public static final String NO_CHANGE_FEED = "none";

  public DatabaseConfig {
    url = blankToEmpty(url);
    passwordFile = blankToEmpty(passwordFile);
    ownerUrl = blankToEmpty(ownerUrl);
    ownerPasswordFile = blankToEmpty(ownerPasswordFile);
    embedded = embedded == null ? EmbeddedDatabaseConfig.disabled() : embedded;
    listenUrl = blankToEmpty(listenUrl);
  }

  /**
   * The URL of the change feed's one LISTEN connection: {@code listen_url}, else {@code url}.
   * LISTEN needs a session, so behind PgBouncer in transaction mode point it at PostgreSQL itself
   * (or a session-mode pool).
   */
  public String changeFeedUrl() {
    return listenUrl.isEmpty() ? url : listenUrl;
  }

  /** False when {@code listen_url} is {@value #NO_CHANGE_FEED}. */
  public boolean changeFeedEnabled() {
    return !NO_CHANGE_FEED.equals(listenUrl);
  }

  /** True when the daemon has a database: an external URL or the embedded server. */
  public boolean configured() {
    return !url.isEmpty() || embedded.enabled();
  }

  /** The URL migrations use: {@code owner_url}, else {@code url}. */
  public String migrationUrl() {
    return ownerUrl.isEmpty() ? url : ownerUrl;
  }

  public Path passwordPath() {
    return Path.of(passwordFile);
  }

  public Optional<Path> ownerPasswordPath() {
    return ownerPasswordFile.isEmpty() ? Optional.empty() : Optional.of(Path.of(ownerPasswordFile));
  }

  /**
   * The same settings pointed at another server and credentials; used when dev mode has started
   * the embedded server and knows its address and password files.
   */
  public DatabaseConfig withConnection(
      String newUrl, String newUser, Path newPasswordFile, String newOwnerUser, Path newOwnerPasswordFile) {
    return new DatabaseConfig(
        newUrl,
        newUser,
        newPasswordFile.toString(),
        "",
        newOwnerUser,
        newOwnerPasswordFile.toString(),
        migrate,
        pgbouncer,
        poolMaxSize,
        poolMinIdle,
        connectTimeout,
        queryTimeout,
        idleTimeout,
        maxLifetime,
        healthInterval,
        healthTimeout,
        EmbeddedDatabaseConfig.disabled(), listenUrl);
  }

  /** The same settings with another pool size (tests and benchmarks). */
  public DatabaseConfig withPool(int maxSize, int minIdle) {
    return new DatabaseConfig(
        url, user, passwordFile, ownerUrl, ownerUser, ownerPasswordFile, migrate, pgbouncer,
        maxSize, minIdle, connectTimeout, queryTimeout, idleTimeout, maxLifetime, healthInterval,
        healthTimeout, embedded, listenUrl);
  }

  /** The same settings with other timeouts (tests). */
  public DatabaseConfig withTimeouts(Duration connect, Duration query) {
    return new DatabaseConfig(
        url, user, passwordFile, ownerUrl, ownerUser, ownerPasswordFile, migrate, pgbouncer,
        poolMaxSize, poolMinIdle, connect, query, idleTimeout, maxLifetime, healthInterval,
        healthTimeout, embedded, listenUrl);
  }

  void validate() {
    validate("database");
  }

  /** Validates with every key named below {@code prefix} (the collector reuses this record). */
  void validate(String prefix) {
    Check.range(prefix + ".pool_max_size", poolMaxSize, 1, 100);
    Check.range(prefix + ".pool_min_idle", poolMinIdle, 0, poolMaxSize);
    Check.positive(prefix + ".connect_timeout", connectTimeout);
    // HikariCP's lower bounds; below them it silently substitutes its own values.
    atLeast(prefix + ".connect_timeout", connectTimeout, Duration.ofMillis(250));
    atMost(prefix + ".connect_timeout", connectTimeout, Duration.ofMinutes(5));
    Check.positive(prefix + ".query_timeout", queryTimeout);
    atLeast(prefix + ".query_timeout", queryTimeout, Duration.ofMillis(100));
    atMost(prefix + ".query_timeout", queryTimeout, Duration.ofHours(1));
    atLeast(prefix + ".idle_timeout", Check.present(prefix + ".idle_timeout", idleTimeout), Duration.ofSeconds(10));
    atLeast(prefix + ".max_lifetime", Check.present(prefix + ".max_lifetime", maxLifetime), Duration.ofSeconds(30));
    Check.positive(prefix + ".health_interval", healthInterval);
    atLeast(prefix + ".health_interval", healthInterval, Duration.ofMillis(100));
    Check.positive(prefix + ".health_timeout", healthTimeout);
    atLeast(prefix + ".health_timeout", healthTimeout, Duration.ofMillis(100));
    Check.present(prefix + ".embedded", embedded).validate();
    if (embedded.enabled()) {
      if (!url.isEmpty()) {
        throw new ConfigException(prefix + ".url", "must be empty when " + prefix + ".embedded.enabled is true");
      }
      if (!passwordFile.isEmpty() || !ownerPasswordFile.isEmpty()) {
        throw new ConfigException(
            passwordFile.isEmpty() ? prefix + ".owner_password_file" : prefix + ".password_file",
            "must be empty when " + prefix + ".embedded.enabled is true (the embedded server makes its own)");
      }
      if (pgbouncer) {
        throw new ConfigException(prefix + ".pgbouncer", "cannot be true with the embedded server");
      }
      return;
    }
    if (url.isEmpty()) {
      return; // not configured
    }
    checkUrl(prefix + ".url", url);
    if (!ownerUrl.isEmpty()) {
      checkUrl(prefix + ".owner_url", ownerUrl);
    }
    if (!listenUrl.isEmpty() && changeFeedEnabled()) {
      checkUrl(prefix + ".listen_url", listenUrl);
    }
    Check.notBlank(prefix + ".user", user);
    Check.notBlank(prefix + ".password_file", passwordFile);
    if (migrate) {
      Check.notBlank(prefix + ".owner_user", ownerUser);
      Check.notBlank(prefix + ".owner_password_file", ownerPasswordFile);
    }
  }

  private static void checkUrl(String key, String value) {
    if (!value.startsWith(JDBC_PREFIX)) {
      throw new ConfigException(key, "expected a URL starting with " + JDBC_PREFIX);
    }
    String lower = value.toLowerCase(java.util.Locale.ROOT);
    if (lower.contains("password=")) {
      // The value is not repeated here: it contains a secret.
      throw new ConfigException(key, "must not contain a password; use a password file");
    }
    if (lower.contains("preparethreshold") || lower.contains("options=")) {
      throw new ConfigException(
          key, "must not set driver options the daemon manages (prepareThreshold, options)");
    }
  }

  private static void atLeast(String key, Duration value, Duration min) {
    if (value.compareTo(min) < 0) {
      throw new ConfigException(key, "must be at least " + Durations.format(min));
    }
  }

  private static void atMost(String key, Duration value, Duration max) {
    if (value.compareTo(max) > 0) {
      throw new ConfigException(key, "must be at most " + Durations.format(max));
    }
  }

  private static String blankToEmpty(String s) {
    return s == null ? "" : s.trim();
  }
}
