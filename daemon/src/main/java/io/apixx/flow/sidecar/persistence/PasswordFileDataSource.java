package io.apixx.flow.sidecar.persistence;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A PostgreSQL {@link DataSource} that reads the password from a file at every new physical
 * connection, so a rotated secret (a Kubernetes secret volume is updated in place) takes effect
 * without a restart. The pool calls it rarely: a few connections per lifetime.
 *
 * <p>The password exists as a String only for the duration of a connect (the driver's API takes
 * one). It never appears in {@link #toString()}, logs or exception messages: a missing or
 * unreadable file is reported by path only. Thread-safe.
 */
final class PasswordFileDataSource implements DataSource {
  private final PGSimpleDataSource driver;
  private final String user;
  private final Path passwordFile;

  PasswordFileDataSource(PGSimpleDataSource driver, String user, Path passwordFile) {
    this.driver = driver;
    this.user = user;
    this.passwordFile = passwordFile;
  }

  /** Reads a password file: UTF-8, trailing line breaks removed, must not be empty. */
  static String readPassword(Path file) throws SQLException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      // 28P01 (invalid password): the pool and DatabaseException treat it as "cannot log in".
      throw new SQLException("cannot read the database password file " + file, "28P01", e);
    }
    String password = text.stripTrailing();
    if (password.isEmpty()) {
      throw new SQLException("the database password file " + file + " is empty", "28P01");
    }
    return password;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return driver.getConnection(user, readPassword(passwordFile));
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("credentials come from the configured password file");
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {}

  @Override
  public void setLoginTimeout(int seconds) {
    driver.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() {
    return driver.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    throw new SQLException("not a wrapper");
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return false;
  }

  @Override
  public String toString() {
    return "PasswordFileDataSource[user=" + user + ", passwordFile=" + passwordFile + "]";
  }
}
