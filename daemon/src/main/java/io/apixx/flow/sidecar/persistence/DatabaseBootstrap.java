package io.apixx.flow.sidecar.persistence;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/**
 * Runs {@code db/bootstrap.sql} (roles, schemas, database privileges) and sets the role
 * passwords, as a superuser. Operators of a real database run the script with psql instead (its
 * header says how); this class serves dev mode and the tests. Idempotent.
 */
public final class DatabaseBootstrap {
  /** The script, as a classpath resource. */
  public static final String SCRIPT = "/db/bootstrap.sql";
  /** The owner role the script creates. */
  public static final String OWNER_ROLE = "flow_owner";
  /** The application role the script creates. */
  public static final String APP_ROLE = "flow_app";
  /** The NOLOGIN role that owns the maintenance functions. */
  public static final String SERVICE_ROLE = "flow_service";

  private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private DatabaseBootstrap() {}

  /**
   * Creates database {@code name} (owned by the superuser) unless it exists.
   *
   * @param superuser a superuser connection source for any other database of the cluster
   */
  public static void createDatabaseIfMissing(DataSource superuser, String name) throws SQLException {
    if (!DATABASE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("database name must match " + DATABASE_NAME.pattern());
    }
    try (Connection c = superuser.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_catalog.pg_database WHERE datname = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return;
        }
      }
      try (Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE \"" + name + "\" ENCODING 'UTF8'");
      }
    }
  }

  /**
   * Runs the bootstrap script in the database {@code superuser} connects to, then sets the
   * passwords of {@value #OWNER_ROLE} and {@value #APP_ROLE} from their files (sent as SCRAM
   * verifiers computed here, so the plaintext never reaches the server or its logs).
   */
  public static void run(DataSource superuser, Path ownerPasswordFile, Path appPasswordFile)
      throws SQLException {
    Map<String, Path> passwords = new LinkedHashMap<>();
    passwords.put(OWNER_ROLE, ownerPasswordFile);
    passwords.put(APP_ROLE, appPasswordFile);
    run(superuser, SCRIPT, passwords);
  }

  /**
   * Runs the bootstrap script {@code scriptResource} (a classpath resource, e.g. the collector's
   * {@code /db/collector/bootstrap.sql}) in the database {@code superuser} connects to, then sets
   * the password of each role from its file, as SCRAM verifiers computed here.
   */
  public static void run(DataSource superuser, String scriptResource, Map<String, Path> passwordFiles)
      throws SQLException {
    try (Connection c = superuser.getConnection()) {
      try (Statement s = c.createStatement()) {
        s.execute(script(scriptResource));
      }
      PGConnection pg = c.unwrap(PGConnection.class);
      for (Map.Entry<String, Path> role : passwordFiles.entrySet()) {
        setPassword(pg, role.getKey(), role.getValue());
      }
    }
  }

  private static void setPassword(PGConnection pg, String role, Path file) throws SQLException {
    char[] password = PasswordFileDataSource.readPassword(file).toCharArray();
    try {
      pg.alterUserPassword(role, password, "scram-sha-256");
    } finally {
      java.util.Arrays.fill(password, '\0');
    }
  }

  /** The text of {@code db/bootstrap.sql}. */
  public static String script() {
    return script(SCRIPT);
  }

  /** The text of the classpath resource {@code resource}. */
  public static String script(String resource) {
    try (InputStream in = DatabaseBootstrap.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
