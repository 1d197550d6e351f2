package io.apixx.flow.sidecar.server;

import io.apixx.flow.sidecar.config.DataSize;
import io.apixx.flow.sidecar.config.LimitsConfig;
import io.apixx.flow.sidecar.config.ListenAddress;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * TCP gRPC listeners beyond the daemon's own ({@link SidecarServer}): the audit collector's TLS
 * listener and its health-only listener. Every listener gets the same transport limits as the
 * daemon's ({@code server.limits}), runs calls on the given bounded executor, and shares this
 * object's two event loop groups (they only move bytes). Epoll where available, else NIO.
 *
 * <p>{@link #close()} releases the event loops; shut the servers down first.
 */
public final class TcpServers implements AutoCloseable {
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Class<? extends ServerChannel> channelType;

  private TcpServers(EventLoopGroup boss, EventLoopGroup workers, Class<? extends ServerChannel> channelType) {
    this.boss = boss;
    this.workers = workers;
    this.channelType = channelType;
  }

  public static TcpServers create() {
    int loops = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
    if (Epoll.isAvailable()) {
      return new TcpServers(
          new EpollEventLoopGroup(1, BoundedExecutors.threadFactory("grpc-accept")),
          new EpollEventLoopGroup(loops, BoundedExecutors.threadFactory("grpc-io")),
          EpollServerSocketChannel.class);
    }
    return new TcpServers(
        new NioEventLoopGroup(1, BoundedExecutors.threadFactory("grpc-accept")),
        new NioEventLoopGroup(loops, BoundedExecutors.threadFactory("grpc-io")),
        NioServerSocketChannel.class);
  }

  /**
   * Binds {@code address} and starts serving.
   *
   * @param key the configuration key named when the address cannot be bound
   * @param tls the TLS context (mutual TLS when it requires client certificates); empty: plaintext
   * @param maxMessageSize overrides {@code limits.max_inbound_message_size} for this listener
   * @param interceptors in execution order: the first one sees a call first
   * @throws io.apixx.flow.sidecar.config.ConfigException when the address cannot be bound
   */
  public Server start(
      String key,
      ListenAddress address,
      Optional<SslContext> tls,
      LimitsConfig limits,
      DataSize maxMessageSize,
      List<ServerServiceDefinition> services,
      List<ServerInterceptor> interceptors,
      Executor executor)
      throws IOException {
    NettyServerBuilder b = NettyServerBuilder.forAddress(address.toSocketAddress());
    // A restarted collector must get its port back while old connections sit in TIME_WAIT.
    b.withOption(ChannelOption.SO_REUSEADDR, true);
    tls.ifPresent(b::sslContext);
    SidecarServer.configure(b, channelType, boss, workers, limits, services, interceptors, CallExecutors.allOn(executor))
        .maxInboundMessageSize(maxMessageSize.toIntBytes());
    Server server = b.build();
    SidecarServer.bind(server, key, address.toString());
    return server;
  }

  @Override
  public void close() throws InterruptedException {
    for (EventLoopGroup g : List.of(boss, workers)) {
      g.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }
  }
}
