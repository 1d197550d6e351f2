package io.apixx.flow.sidecar.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP proxy in front of one service, for fault injection between a daemon and its
 * collector. Modes: {@link Mode#PASS} forwards both ways; {@link Mode#DELAY} forwards each chunk
 * after {@link #setDelay}; {@link Mode#NO_REPLIES} keeps accepting connections and reading what
 * the client sends, but neither forwards it nor answers (a peer that accepts and never
 * acknowledges: a hung process whose kernel still takes the bytes).
 * {@link #cutConnections} closes every open connection (the client reconnects). Thread-safe.
 */
public final class FaultProxy implements AutoCloseable {
  /** What the proxy does with traffic. */
  public enum Mode { PASS, DELAY, NO_REPLIES }

  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile Mode mode = Mode.PASS;
  private volatile Duration delay = Duration.ZERO;

  private FaultProxy(ServerSocket listener, InetSocketAddress target) {
    this.listener = listener;
    this.target = target;
    Thread t = new Thread(this::accept, "fault-proxy-accept");
    t.setDaemon(true);
    t.start();
  }

  /** A proxy listening on loopback {@code port} (0: any) forwarding to {@code targetPort} on loopback. */
  public static FaultProxy start(int port, int targetPort) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
    return new FaultProxy(s, new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
  }

  public int port() {
    return listener.getLocalPort();
  }

  public void setMode(Mode mode) {
    this.mode = mode;
  }

  public void setDelay(Duration delay) {
    this.delay = delay;
  }

  /** Closes every proxied connection now. */
  public void cutConnections() {
    for (Socket s : open) {
      closeQuietly(s);
    }
    open.clear();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        try {
          server.connect(target, 2000);
        } catch (IOException e) {
          closeQuietly(client);
          continue;
        }
        open.add(client);
        open.add(server);
        java.util.concurrent.atomic.AtomicBoolean muted = new java.util.concurrent.atomic.AtomicBoolean();
        pump(client, server, muted);
        pump(server, client, muted);
      } catch (IOException e) {
        // listener closed
      }
    }
  }

  private void pump(Socket from, Socket to, java.util.concurrent.atomic.AtomicBoolean muted) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          Mode m = mode;
          if (m == Mode.DELAY) {
            Thread.sleep(delay.toMillis());
          }
          if (m == Mode.NO_REPLIES) {
            muted.set(true);
          }
          if (muted.get()) {
            continue;
          }
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        // connection closed
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "fault-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
    cutConnections();
  }
}
