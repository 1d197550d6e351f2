package io.apixx.flow.sidecar.persistence;

import io.apixx.flow.sidecar.config.DatabaseConfig;
import io.apixx.flow.sidecar.config.EmbeddedDatabaseConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server (zonky embedded binaries from Maven Central) for dev mode and the
 * tests: listens on 127.0.0.1 only, requires SCRAM passwords for every role (the superuser
 * included), and is bootstrapped with the daemon's roles and schemas ({@code db/bootstrap.sql}).
 * Migrations are not applied here; the caller runs {@link Migrations} as for any database.
 *
 * <p>Layout of the root directory (created with mode 0700; kept between runs, never wiped):
 *
 * <pre>
 *   cluster/              the PostgreSQL data directory (initdb on first start only)
 *   postgres.log          the server's output
 *   superuser.password    generated on first start, mode 0600; likewise owner.password and
 *   owner.password        app.password for flow_owner and flow_app
 *   app.password
 * </pre>
 *
 * <p>A server left running by a process that was killed (its {@code postmaster.pid} names a live
 * postgres process) is shut down before the new one starts. Works as root (zonky's binaries allow
 * it). Thread-safe; {@link #close()} stops the server and keeps the data.
 */
public final class EmbeddedDatabase implements AutoCloseable {
  /** The database the daemon uses. */
  public static final String DATABASE = "flow";

  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
  private static final String SUPERUSER = "postgres";
  /** The database every cluster has, where the superuser creates {@value #DATABASE}. */
  private static final String MAINTENANCE_DATABASE = "postgres";
  private static final String HBA_MARKER = "# flow-sidecar: SCRAM on loopback only";

  private final Path root;
  private final EmbeddedPostgres server;

  private EmbeddedDatabase(Path root, EmbeddedPostgres server) {
    this.root = root;
    this.server = server;
  }

  /** Starts the server described by {@code database.embedded.*}. */
  public static EmbeddedDatabase start(EmbeddedDatabaseConfig config) {
    return start(config.dataPath(), config.port());
  }

  /**
   * Starts (first time: initializes) the server under {@code root} on {@code port} (0: any free
   * port), then bootstraps the roles and schemas and sets their passwords from the files.
   *
   * @throws UncheckedIOException when the server cannot be started
   * @throws DatabaseException when the bootstrap fails
   */
  public static EmbeddedDatabase start(Path root, int port) {
    Path dir = root.toAbsolutePath().normalize();
    EmbeddedPostgres server;
    try {
      createPrivateDirectory(dir);
      String superuserPassword = PasswordFileDataSource.readPassword(passwordFile(dir, SUPERUSER));
      passwordFile(dir, DatabaseBootstrap.OWNER_ROLE);
      passwordFile(dir, DatabaseBootstrap.APP_ROLE);
      Path cluster = dir.resolve("cluster");
      stopOrphan(cluster);
      ProcessBuilder.Redirect logFile = ProcessBuilder.Redirect.appendTo(dir.resolve("postgres.log").toFile());
      server =
          EmbeddedPostgres.builder()
              .setDataDirectory(cluster)
              .setCleanDataDirectory(false)
              .setPort(port)
              .setServerConfig("listen_addresses", "127.0.0.1")
              .setServerConfig("password_encryption", "scram-sha-256")
              .setConnectConfig("password", superuserPassword)
              .setOutputRedirector(logFile)
              .setErrorRedirector(logFile)
              .setPGStartupWait(Duration.ofSeconds(60))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL under " + dir, e);
    } catch (SQLException e) {
      throw DatabaseException.from(e);
    }
    EmbeddedDatabase db = new EmbeddedDatabase(dir, server);
    try {
      db.harden();
      DatabaseBootstrap.createDatabaseIfMissing(db.superuserDataSource(MAINTENANCE_DATABASE), DATABASE);
      DatabaseBootstrap.run(
          db.superuserDataSource(DATABASE), db.ownerPasswordFile(), db.appPasswordFile());
    } catch (SQLException | RuntimeException e) {
      db.close();
      throw e instanceof SQLException s ? DatabaseException.from(s) : (RuntimeException) e;
    }
    log.info("embedded PostgreSQL ready at {} (data in {})", db.jdbcUrl(), dir);
    return db;
  }

  /** The loopback port the server listens on. */
  public int port() {
    return server.getPort();
  }

  /** JDBC URL of the daemon's database (no credentials in it). */
  public String jdbcUrl() {
    return jdbcUrl(DATABASE);
  }

  /** JDBC URL of database {@code database} of this server (no credentials in it). */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
  }

  public Path root() {
    return root;
  }

  public Path appPasswordFile() {
    return root.resolve(DatabaseBootstrap.APP_ROLE + ".password");
  }

  public Path ownerPasswordFile() {
    return root.resolve(DatabaseBootstrap.OWNER_ROLE + ".password");
  }

  public Path superuserPasswordFile() {
    return root.resolve(SUPERUSER + ".password");
  }

  /** {@code config} pointed at this server: flow_app for the daemon, flow_owner for migrations. */
  public DatabaseConfig applyTo(DatabaseConfig config) {
    return config.withConnection(
        jdbcUrl(), DatabaseBootstrap.APP_ROLE, appPasswordFile(), DatabaseBootstrap.OWNER_ROLE, ownerPasswordFile());
  }

  /**
   * A superuser connection source for database {@code database} of this server (dev tooling and
   * test fixtures only; it bypasses row level security).
   */
  public DataSource superuserDataSource(String database) {
    return new PasswordFileDataSource(driver(database), SUPERUSER, superuserPasswordFile());
  }

  /** A connection source for {@code user} with the password in {@code passwordFile}. */
  public DataSource dataSource(String user, Path passwordFile) {
    return dataSource(DATABASE, user, passwordFile);
  }

  /** A connection source for {@code user} of database {@code database} of this server. */
  public DataSource dataSource(String database, String user, Path passwordFile) {
    return new PasswordFileDataSource(driver(database), user, passwordFile);
  }

  /**
   * The password file of a further role kept beside the others under the root (dev mode's
   * collector roles), created with a random password (mode 0600) on first use.
   */
  public Path rolePasswordFile(String role) {
    if (!role.matches("[a-z_][a-z0-9_]{0,62}")) {
      throw new IllegalArgumentException("role names are lowercase identifiers");
    }
    try {
      return passwordFile(root, role);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private PGSimpleDataSource driver(String database) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"127.0.0.1"});
    ds.setPortNumbers(new int[] {port()});
    ds.setDatabaseName(database);
    ds.setApplicationName(Database.APPLICATION_NAME + "-embedded");
    ds.setAssumeMinServerVersion("12");
    ds.setLogServerErrorDetail(false);
    return ds;
  }

  /**
   * initdb trusts every local connection. On first start, set the superuser's password and switch
   * every connection to SCRAM over loopback before anything else can use the server.
   */
  private void harden() throws SQLException {
    Path hba = root.resolve("cluster").resolve("pg_hba.conf");
    try {
      if (Files.readString(hba).contains(HBA_MARKER)) {
        return;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (Connection c = superuserDataSource(MAINTENANCE_DATABASE).getConnection()) {
      char[] password = PasswordFileDataSource.readPassword(superuserPasswordFile()).toCharArray();
      c.unwrap(PGConnection.class).alterUserPassword(SUPERUSER, password, "scram-sha-256");
      java.util.Arrays.fill(password, '\0');
      write(hba, String.join("\n", List.of(
          HBA_MARKER,
          "local all all scram-sha-256",
          "host  all all 127.0.0.1/32 scram-sha-256",
          "host  all all ::1/128 scram-sha-256",
          "")));
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_catalog.pg_reload_conf()");
      }
    }
  }

  /** Stops a postgres still running on {@code cluster} after its JVM was killed. */
  private static void stopOrphan(Path cluster) throws IOException {
    Path pidFile = cluster.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    List<String> lines = Files.readAllLines(pidFile);
    Optional<ProcessHandle> orphan =
        lines.isEmpty() ? Optional.empty() : parsePid(lines.get(0)).flatMap(ProcessHandle::of);
    if (orphan.isPresent()
        && orphan.get().isAlive()
        && orphan.get().info().command().map(c -> c.endsWith("/postgres")).orElse(false)) {
      log.warn("stopping an embedded PostgreSQL left running by an earlier process (pid {})", orphan.get().pid());
      // SIGTERM: smart shutdown; its clients died with their JVM.
      orphan.get().destroy();
      try {
        orphan.get().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IOException("an earlier embedded PostgreSQL (pid " + orphan.get().pid() + ") did not stop", e);
      }
    }
  }

  private static Optional<Long> parsePid(String line) {
    try {
      return Optional.of(Long.parseLong(line.trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static void createPrivateDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir.getParent());
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
  }

  /** The password file of {@code role}, created with a random password (mode 0600) if missing. */
  private static Path passwordFile(Path dir, String role) throws IOException {
    Path file = dir.resolve(role + ".password");
    if (!Files.exists(file)) {
      byte[] random = new byte[24];
      new SecureRandom().nextBytes(random);
      write(file, Base64.getUrlEncoder().withoutPadding().encodeToString(random) + "\n");
    }
    return file;
  }

  private static void write(Path file, String text) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the server; the data stays. Idempotent. */
  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      log.warn("embedded PostgreSQL did not stop cleanly", e);
    }
  }

  @Override
  public String toString() {
    return "EmbeddedDatabase[" + jdbcUrl() + "]";
  }
}
