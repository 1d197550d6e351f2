package io.apixx.flow.sidecar.testing;

import io.apixx.flow.sidecar.config.DatabaseConfig;
import io.apixx.flow.sidecar.persistence.DatabaseBootstrap;
import io.apixx.flow.sidecar.persistence.EmbeddedDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A real PgBouncer (Debian's {@code pgbouncer} package, {@value #BINARY}) in transaction pooling
 * mode on a free loopback port, in front of a {@link PostgresHarness}, for flow_app. Its server
 * pool ({@value #SERVER_POOL} connections) is deliberately smaller than the clients' pools, so
 * transactions of different clients share server connections: state leaking out of a transaction
 * would be seen by another client.
 *
 * <p>PgBouncer refuses to run as root; as root it is started with {@code -u postgres} and its
 * files are given to that user. {@link #close()} stops it.
 */
public final class PgBouncer implements AutoCloseable {
  static final String BINARY = "/usr/sbin/pgbouncer";
  static final int SERVER_POOL = 2;

  private final Process process;
  private final Path dir;
  private final int port;
  private final String url;

  private PgBouncer(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
    this.url = "jdbc:postgresql://127.0.0.1:" + port + "/" + EmbeddedDatabase.DATABASE;
  }

  static PgBouncer start(PostgresHarness pg, Path appPasswordFile) {
    if (!Files.isExecutable(Path.of(BINARY))) {
      throw new IllegalStateException(
          BINARY + " is missing: install Debian's pgbouncer package (apt-get install pgbouncer)");
    }
    try {
      Path dir = Files.createTempDirectory("flow-pgbouncer-");
      int port = freePort();
      String password = Files.readString(appPasswordFile, StandardCharsets.UTF_8).strip();
      Path ini = dir.resolve("pgbouncer.ini");
      Path users = dir.resolve("userlist.txt");
      Path log = dir.resolve("pgbouncer.log");
      Files.writeString(users, "\"" + DatabaseBootstrap.APP_ROLE + "\" \"" + password + "\"\n");
      Files.writeString(
          ini,
          String.join(
              "\n",
              "[databases]",
              EmbeddedDatabase.DATABASE + " = host=127.0.0.1 port=" + pg.port() + " dbname=" + EmbeddedDatabase.DATABASE,
              "[pgbouncer]",
              "listen_addr = 127.0.0.1",
              "listen_port = " + port,
              "unix_socket_dir =",
              "auth_type = scram-sha-256",
              "auth_file = " + users,
              "pool_mode = transaction",
              "default_pool_size = " + SERVER_POOL,
              "max_client_conn = 500",
              // pgjdbc sends extra_float_digits as a startup parameter (not as a SET).
              "ignore_startup_parameters = extra_float_digits",
              "logfile = " + log,
              "pidfile = " + dir.resolve("pgbouncer.pid"),
              ""));
      List<String> command = new ArrayList<>(List.of(BINARY));
      if ("root".equals(System.getProperty("user.name"))) {
        UserPrincipal postgres =
            dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
        for (Path p : List.of(dir, ini, users)) {
          Files.setOwner(p, postgres);
        }
        command.addAll(List.of("-u", "postgres"));
      }
      command.add(ini.toString());
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("stdout.log").toFile())
              .start();
      PgBouncer bouncer = new PgBouncer(process, dir, port);
      bouncer.awaitListening();
      return bouncer;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start pgbouncer", e);
    }
  }

  private void awaitListening() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("pgbouncer exited with " + process.exitValue() + "; see " + dir);
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
    }
    close();
    throw new IOException("pgbouncer did not listen on port " + port + " within 15 s; see " + dir);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  public int port() {
    return port;
  }

  /** {@code base} pointed at this PgBouncer, with {@code pgbouncer: true}. */
  public DatabaseConfig config(DatabaseConfig base) {
    return new DatabaseConfig(
        url,
        base.user(),
        base.passwordFile(),
        base.ownerUrl(),
        base.ownerUser(),
        base.ownerPasswordFile(),
        false,
        true,
        base.poolMaxSize(),
        base.poolMinIdle(),
        base.connectTimeout(),
        base.queryTimeout(),
        base.idleTimeout(),
        base.maxLifetime(),
        base.healthInterval(),
        base.healthTimeout(),
        base.embedded(), "");
  }

  /** Stops PgBouncer and deletes its files (the auth file holds a password). */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    FileTrees.deleteQuietly(dir);
  }
}
