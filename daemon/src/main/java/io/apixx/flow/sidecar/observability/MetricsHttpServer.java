package io.apixx.flow.sidecar.observability;

import io.apixx.flow.sidecar.config.ListenAddress;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** Serves {@code /metrics} on its own HTTP port (loopback unless configured otherwise). */
public final class MetricsHttpServer implements AutoCloseable {
  private final HTTPServer server;
  private final InetSocketAddress address;

  private MetricsHttpServer(HTTPServer server, InetSocketAddress address) {
    this.server = server;
    this.address = address;
  }

  /** Binds and starts. One thread, a short queue: scrapes are rare and cheap. */
  public static MetricsHttpServer start(ListenAddress listen, Metrics metrics) throws IOException {
    InetSocketAddress bind = listen.toSocketAddress();
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(16),
            r -> {
              Thread t = new Thread(r, "metrics-http");
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.DiscardPolicy());
    HTTPServer server =
        HTTPServer.builder()
            .inetAddress(bind.getAddress())
            .port(bind.getPort())
            .registry(metrics.registry())
            .executorService(executor)
            .buildAndStart();
    return new MetricsHttpServer(
        server, new InetSocketAddress(bind.getAddress(), server.getPort()));
  }

  /** The bound address (with the real port when 0 was configured). */
  public InetSocketAddress address() {
    return address;
  }

  @Override
  public void close() {
    server.close();
  }
}
