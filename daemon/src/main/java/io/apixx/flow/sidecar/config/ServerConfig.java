package io.apixx.flow.sidecar.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Listeners, executors and shutdown of the gRPC server ({@code server.*}).
 *
 * @param socketPath the Unix domain socket; its directory is created if missing (mode 0770)
 * @param socketMode the socket file's mode as octal text, at most 0660
 * @param allowedPeerUids if non-empty, only processes with these user ids may use the Unix socket
 *     (checked with SO_PEERCRED on every call)
 * @param tcpAddress optional {@code host:port} for a loopback TCP listener; null when off
 * @param allowRemote allows {@code tcpAddress} (and {@code metrics.address}) to be non-loopback
 * @param reflection serve gRPC server reflection (it exposes only the public contract)
 * @param workerThreads size of the bounded executor that runs every call off the event loop
 * @param workerQueue how many calls may wait for a worker thread
 * @param shutdownGrace how long in-flight calls may run after SIGTERM before they are cancelled
 * @param limits transport limits
 * @param healthAddress optional {@code host:port} of a plaintext listener that serves nothing but
 *     {@code grpc.health.v1} (kubelet probes dial the pod IP, which the API never listens on)
 * @param healthAllowRemote allows {@code healthAddress} to be non-loopback
 */
public record ServerConfig(
    String socketPath,
    String socketMode,
    List<Integer> allowedPeerUids,
    ListenAddress tcpAddress,
    boolean allowRemote,
    boolean reflection,
    int workerThreads,
    int workerQueue,
    Duration shutdownGrace,
    LimitsConfig limits,
    ListenAddress healthAddress,
    boolean healthAllowRemote) {

  public ServerConfig {
    allowedPeerUids = allowedPeerUids == null ? List.of() : List.copyOf(allowedPeerUids);
  }

  public Path socket() {
    return Path.of(socketPath).toAbsolutePath().normalize();
  }

  public Optional<ListenAddress> tcp() {
    return Optional.ofNullable(tcpAddress);
  }

  public Optional<ListenAddress> health() {
    return Optional.ofNullable(healthAddress);
  }

  /** The socket's permission bits parsed from {@link #socketMode()}. */
  public Set<PosixFilePermission> socketPermissions() {
    int bits = Integer.parseInt(socketMode, 8);
    StringBuilder sb = new StringBuilder(9);
    String rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      sb.append((bits & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
    }
    return PosixFilePermissions.fromString(sb.toString());
  }

  void validate() {
    Check.notBlank("server.socket_path", socketPath);
    validateSocketDirectory();
    if (socketMode == null || !socketMode.matches("0?[0-7]{3}")) {
      throw new ConfigException("server.socket_mode", "expected an octal mode such as \"0660\"");
    }
    int bits = Integer.parseInt(socketMode, 8);
    if ((bits & 0007) != 0 || (bits & 0111) != 0) {
      throw new ConfigException(
          "server.socket_mode", "must not grant access to others or execute bits (at most 0660)");
    }
    for (int uid : allowedPeerUids) {
      if (uid < 0) {
        throw new ConfigException("server.allowed_peer_uids", "user ids must not be negative");
      }
    }
    if (tcpAddress != null && !allowRemote && !tcpAddress.isLoopback()) {
      throw new ConfigException(
          "server.tcp_address",
          tcpAddress.host()
              + " is not a loopback address; set server.allow_remote: true to listen on it");
    }
    if (healthAddress != null && !healthAllowRemote && !healthAddress.isLoopback()) {
      throw new ConfigException(
          "server.health_address",
          healthAddress.host() + " is not a loopback address; set server.health_allow_remote: true to listen on it");
    }
    Check.range("server.worker_threads", workerThreads, 1, 1024);
    Check.range("server.worker_queue", workerQueue, 1, 1_000_000);
    Check.positive("server.shutdown_grace", shutdownGrace);
    Check.present("server.limits", limits).validate();
  }

  /**
   * The socket directory must exist as a writable directory, or be creatable: its nearest existing
   * ancestor must be a writable directory. Nothing is created here (check-config has no effects).
   */
  private void validateSocketDirectory() {
    Path dir = socket().getParent();
    Path probe = dir;
    while (probe != null && !Files.exists(probe)) {
      probe = probe.getParent();
    }
    if (probe == null) {
      throw new ConfigException("server.socket_path", "no existing ancestor of " + dir);
    }
    if (!Files.isDirectory(probe)) {
      throw new ConfigException(
          "server.socket_path", probe + " is not a directory, so " + dir + " cannot be used");
    }
    if (!Files.isWritable(probe)) {
      throw new ConfigException("server.socket_path", "directory " + probe + " is not writable");
    }
  }
}
