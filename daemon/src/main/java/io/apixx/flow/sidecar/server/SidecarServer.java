package io.apixx.flow.sidecar.server;

import io.apixx.flow.sidecar.config.ConfigException;
import io.apixx.flow.sidecar.config.LimitsConfig;
import io.apixx.flow.sidecar.config.ListenAddress;
import io.apixx.flow.sidecar.config.ServerConfig;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's gRPC listeners: always a Unix domain socket, optionally loopback TCP. Both serve the
 * same services through the same interceptors. Calls run on the bounded worker pool, except those
 * {@link CallExecutors} keeps on the Netty event loop that read them (memory-only calls, such as a
 * cached {@code ValidateSession}); otherwise the event loops only do I/O.
 *
 * <p>Lifecycle: {@link #start}, then {@link #shutdown} (stop accepting, let calls finish),
 * {@link #awaitTermination}, and {@link #shutdownNow} for what is left.
 */
public final class SidecarServer {
  private static final Logger log = LoggerFactory.getLogger(SidecarServer.class);

  private final List<Server> servers;
  private final List<EventLoopGroup> groups;
  private final Path socket;
  private final InetSocketAddress tcp;
  private final InetSocketAddress healthListener;

  private SidecarServer(
      List<Server> servers, List<EventLoopGroup> groups, Path socket, InetSocketAddress tcp, InetSocketAddress healthListener) {
    this.servers = servers;
    this.groups = groups;
    this.socket = socket;
    this.tcp = tcp;
    this.healthListener = healthListener;
  }

  /**
   * Binds every listener and starts serving.
   *
   * @param interceptors in execution order: the first one sees a call first
   * @param healthService the {@code grpc.health.v1} service, served alone on
   *     {@code server.health_address} when that is set
   * @throws ConfigException when a listener cannot be bound (the key names which)
   */
  public static SidecarServer start(
      ServerConfig config,
      List<ServerServiceDefinition> services,
      List<ServerInterceptor> interceptors,
      CallExecutors executors,
      ServerServiceDefinition healthService)
      throws IOException {
    if (!Epoll.isAvailable()) {
      throw new ConfigException(
          "server.socket_path",
          "Unix domain sockets need Netty's native epoll transport, which is unavailable here: "
              + Epoll.unavailabilityCause());
    }
    // Few event loops: they move bytes and run memory-only calls; the rest run on the workers.
    int loops = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
    EventLoopGroup boss = new EpollEventLoopGroup(1, BoundedExecutors.threadFactory("grpc-accept"));
    EventLoopGroup workers =
        new EpollEventLoopGroup(loops, BoundedExecutors.threadFactory("grpc-io"));
    List<EventLoopGroup> groups = List.of(boss, workers);
    List<Server> started = new ArrayList<>();
    try {
      Path socket = prepareSocket(config.socket());
      Server unix =
          configure(
                  NettyServerBuilder.forAddress(
                      new DomainSocketAddress(socket.toString()),
                      InternalNettyServerCredentials.create(new PeerCredentialsNegotiator())),
                  EpollServerDomainSocketChannel.class,
                  boss,
                  workers,
                  config.limits(),
                  services,
                  interceptors,
                  executors)
              .build();
      bind(unix, "server.socket_path", socket.toString());
      started.add(unix);
      Files.setPosixFilePermissions(socket, config.socketPermissions());

      InetSocketAddress tcpBound = null;
      Optional<ListenAddress> tcp = config.tcp();
      if (tcp.isPresent()) {
        Server tcpServer =
            configure(
                    NettyServerBuilder.forAddress(tcp.get().toSocketAddress()),
                    EpollServerSocketChannel.class,
                    boss,
                    workers,
                    config.limits(),
                    services,
                    interceptors,
                    executors)
                .build();
        bind(tcpServer, "server.tcp_address", tcp.get().toString());
        started.add(tcpServer);
        tcpBound = (InetSocketAddress) tcpServer.getListenSockets().get(0);
      }
      InetSocketAddress healthBound = null;
      if (config.health().isPresent()) {
        Server healthServer =
            configure(
                    NettyServerBuilder.forAddress(config.health().get().toSocketAddress()),
                    EpollServerSocketChannel.class,
                    boss,
                    workers,
                    config.limits(),
                    List.of(healthService),
                    interceptors,
                    executors)
                .build();
        bind(healthServer, "server.health_address", config.health().get().toString());
        started.add(healthServer);
        healthBound = (InetSocketAddress) healthServer.getListenSockets().get(0);
      }
      return new SidecarServer(List.copyOf(started), groups, socket, tcpBound, healthBound);
    } catch (IOException | RuntimeException e) {
      for (Server s : started) {
        s.shutdownNow();
      }
      groups.forEach(EventLoopGroup::shutdownGracefully);
      throw e;
    }
  }

  static NettyServerBuilder configure(
      NettyServerBuilder b,
      Class<? extends ServerChannel> channelType,
      EventLoopGroup boss,
      EventLoopGroup workers,
      LimitsConfig limits,
      List<ServerServiceDefinition> services,
      List<ServerInterceptor> interceptors,
      CallExecutors executors) {
    b.channelType(channelType)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers)
        // gRPC looks the method up on the default executor, then asks callExecutor where the call
        // runs: the default is the event loop, so that lookup costs no hand-off.
        .executor(CallExecutors.TRANSPORT)
        .callExecutor(executors)
        .maxInboundMessageSize(limits.maxInboundMessageSize().toIntBytes())
        .maxInboundMetadataSize(limits.maxInboundMetadataSize().toIntBytes())
        .maxConcurrentCallsPerConnection(limits.maxConcurrentCallsPerConnection())
        .maxRstFramesPerWindow(
            limits.maxRstFramesPerWindow(), (int) Math.max(1, limits.rstWindow().toSeconds()))
        .keepAliveTime(limits.keepaliveTime().toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveTimeout(limits.keepaliveTimeout().toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveTime(limits.permitKeepaliveTime().toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(false)
        .maxConnectionIdle(limits.maxConnectionIdle().toNanos(), TimeUnit.NANOSECONDS)
        .maxConnectionAge(limits.maxConnectionAge().toNanos(), TimeUnit.NANOSECONDS)
        .maxConnectionAgeGrace(limits.maxConnectionAgeGrace().toNanos(), TimeUnit.NANOSECONDS);
    services.forEach(b::addService);
    // ServerBuilder runs the interceptor added last first; ours are listed in execution order.
    for (int i = interceptors.size() - 1; i >= 0; i--) {
      b.intercept(interceptors.get(i));
    }
    return b;
  }

  static void bind(Server server, String key, String address) throws IOException {
    try {
      server.start();
    } catch (IOException e) {
      throw new ConfigException(key, "cannot listen on " + address + ": " + rootMessage(e), e);
    }
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null) {
      c = c.getCause();
    }
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }

  /**
   * Creates the socket directory (0770) if missing and removes a stale socket file. Refuses to
   * take over a socket another live process is listening on.
   */
  private static Path prepareSocket(Path socket) throws IOException {
    Path dir = socket.getParent();
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
        // Explicitly, because the umask applies to createDirectories' attribute. The directory's
        // mode is what protects the socket between bind() and the chmod that follows it.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwx---"));
      }
    } catch (FileAlreadyExistsException e) {
      throw new ConfigException("server.socket_path", dir + " exists and is not a directory", e);
    } catch (IOException e) {
      throw new ConfigException(
          "server.socket_path", "cannot create directory " + dir + ": " + rootMessage(e), e);
    }
    if (!Files.isWritable(dir)) {
      throw new ConfigException("server.socket_path", "directory " + dir + " is not writable");
    }
    if (Files.exists(socket)) {
      if (isListening(socket)) {
        throw new ConfigException(
            "server.socket_path", "another process is already listening on " + socket);
      }
      log.info("removing stale socket {}", socket);
      Files.delete(socket);
    }
    return socket;
  }

  private static boolean isListening(Path socket) {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      return ch.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      return false;
    }
  }

  public Path socketPath() {
    return socket;
  }

  /** The bound TCP address (with the real port when 0 was configured), if TCP is on. */
  public Optional<InetSocketAddress> tcpAddress() {
    return Optional.ofNullable(tcp);
  }

  /** The bound health-only listener, if configured. */
  public Optional<InetSocketAddress> healthAddress() {
    return Optional.ofNullable(healthListener);
  }

  /** Stops accepting connections and new calls; in-flight calls continue. */
  public void shutdown() {
    servers.forEach(Server::shutdown);
  }

  /** Waits until every in-flight call has finished or {@code timeout} passed. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Server s : servers) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !s.awaitTermination(left, TimeUnit.NANOSECONDS)) {
        return false;
      }
    }
    return true;
  }

  /** Cancels whatever is still running and releases the event loops and the socket file. */
  public void shutdownNow() throws InterruptedException {
    servers.forEach(Server::shutdownNow);
    for (Server s : servers) {
      s.awaitTermination(5, TimeUnit.SECONDS);
    }
    for (EventLoopGroup g : groups) {
      g.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      log.warn("cannot remove socket {}", socket, e);
    }
  }
}
