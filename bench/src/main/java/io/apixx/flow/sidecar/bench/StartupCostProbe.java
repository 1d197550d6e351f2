package io.apixx.flow.sidecar.bench;

import io.apixx.flow.sidecar.config.ConfigLoader;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the start-up libraries cost in resident memory, measured apart from the daemon: each mode
 * runs in its own child JVM with the launcher's memory flags, but with the whole heap committed and
 * touched up front ({@code -XX:+AlwaysPreTouch}), so that the differences between modes are classes,
 * compiled code and C heap, not how much of the heap a mode happened to touch. Modes:
 *
 * <ul>
 *   <li>{@code none}: a JVM that loads nothing of ours;
 *   <li>{@code yaml}: SnakeYAML parses the built-in configuration defaults (no binding);
 *   <li>{@code log}: one JSON log line through the daemon's Logback configuration (its own
 *       encoder; no Jackson);
 *   <li>{@code config}: the daemon's {@link ConfigLoader} (SnakeYAML and its record binder);
 *   <li>{@code log+config}: both, as every daemon start does;
 *   <li>{@code grpc}: a bare gRPC server as the daemon builds its Unix-socket listener (Netty's
 *       epoll transport, one accept and two I/O event loops, a worker pool) serving nothing but
 *       {@code grpc.health.v1}, after this process has made 2,000 health checks on it: what the
 *       chosen transport costs before any of the daemon's own work;
 *   <li>{@code log+config+grpc}: that server with the configuration loaded and a log line written.
 * </ul>
 *
 * <p>The heap is the same 32 MiB, pre-touched, in every mode; with {@code --launcher-heap} the
 * launcher's heap flags instead (committed as used, so a mode's whole resident memory as the
 * daemon would have it, and noisier).
 *
 * <p>Run: {@code java -cp bench/target/classes:$(cat bench/target/classpath.txt)
 * io.apixx.flow.sidecar.bench.StartupCostProbe [--launcher-heap]}. A tuning aid, not part of
 * {@code make bench}.
 */
public final class StartupCostProbe {
  private static final List<String> MODES = List.of("none", "yaml", "log", "config", "log+config", "grpc", "log+config+grpc");
  private static final int CHECKS = 2_000;

  private StartupCostProbe() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("--child")) {
      child(args[1]);
      return;
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // --launcher-heap: the launcher's heap flags instead of the fixed, pre-touched 32 MiB, to see a
    // mode's whole resident memory as the daemon would have it (heap included, so noisier).
    boolean launcherHeap = args.length == 1 && args[0].equals("--launcher-heap");
    String cp = System.getProperty("java.class.path");
    for (String mode : MODES) {
      List<String> heap = launcherHeap
          ? List.of("-Xms16m", "-Xmx96m", "-Xmn8m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20")
          : List.of("-Xms32m", "-Xmx32m", "-Xmn8m", "-XX:+AlwaysPreTouch");
      List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseSerialGC"));
      cmd.addAll(heap);
      cmd.addAll(List.of("-Xss512k", "-XX:TieredStopAtLevel=1", "-cp", cp, StartupCostProbe.class.getName(), "--child", mode));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().put("MALLOC_ARENA_MAX", "2");
      Process p = pb.start();
      String result = null;
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
          java.io.Writer w = new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8)) {
        for (String line; (line = r.readLine()) != null; ) {
          if (line.startsWith("probe ")) {
            result = line;
          } else if (line.startsWith("serving ")) {
            healthChecks(line.substring("serving ".length()));
            w.write("measure\n");
            w.flush();
          }
        }
      }
      if (p.waitFor() != 0 || result == null) {
        throw new IllegalStateException("mode " + mode + " failed (exit " + p.exitValue() + ")");
      }
      System.out.println(result);
    }
  }

  /** {@link #CHECKS} health checks, one at a time, on the child's socket. */
  private static void healthChecks(String socket) {
    io.grpc.ManagedChannel ch = io.grpc.Grpc.newChannelBuilder("unix://" + socket, io.grpc.InsecureChannelCredentials.create()).build();
    try {
      io.grpc.health.v1.HealthGrpc.HealthBlockingStub h = io.grpc.health.v1.HealthGrpc.newBlockingStub(ch);
      for (int i = 0; i < CHECKS; i++) {
        if (h.check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance()).getStatus()
            != io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING) {
          throw new IllegalStateException("probe server not SERVING");
        }
      }
    } finally {
      ch.shutdownNow();
    }
  }

  /** The daemon's Unix-socket listener, reduced to the health service; returns after it is used. */
  private static void serveHealth() throws Exception {
    Path dir = Files.createTempDirectory("startup-probe");
    Path socket = dir.resolve("probe.sock");
    // Deleted at exit, the socket first (deleteOnExit deletes in reverse order of registration).
    dir.toFile().deleteOnExit();
    socket.toFile().deleteOnExit();
    var boss = new io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup(1);
    var loops = new io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup(2);
    var workers = java.util.concurrent.Executors.newFixedThreadPool(4);
    io.grpc.Server server =
        io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(
                new io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress(socket.toString()))
            .channelType(io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(boss)
            .workerEventLoopGroup(loops)
            .executor(workers)
            .addService(new io.grpc.protobuf.services.HealthStatusManager().getHealthService())
            .build()
            .start();
    System.out.println("serving " + socket);
    System.out.flush();
    if (!"measure".equals(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine())) {
      throw new IllegalStateException("parent went away");
    }
    // The server stays up (its threads and buffers are what is measured); the JVM exits after.
  }

  private static void child(String mode) throws Exception {
    if (mode.contains("log")) {
      org.slf4j.LoggerFactory.getLogger(StartupCostProbe.class).info("probe");
    }
    if (mode.contains("config")) {
      new ConfigLoader().load(ConfigLoader.Sources.of(Optional.empty(), Map.of(), List.of()));
    }
    if (mode.equals("yaml")) {
      if (new org.yaml.snakeyaml.Yaml().load(ConfigLoader.class.getResourceAsStream("defaults.yaml")) == null) {
        throw new IllegalStateException("defaults.yaml parsed to nothing");
      }
    }
    if (mode.contains("grpc")) {
      serveHealth();
    }
    System.gc();
    Thread.sleep(1_500);
    // Read here rather than through Proc.rssBytes: the child of mode "none" loads nothing of ours.
    long rssKib = 0;
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmRSS:")) {
        rssKib = Long.parseLong(l.replaceAll("\\D", ""));
      }
    }
    System.out.printf("probe %-10s RSS %6.1f MiB, %5d classes loaded%n", mode, rssKib / 1024.0,
        ManagementFactory.getClassLoadingMXBean().getLoadedClassCount());
    System.out.flush();
    System.exit(0); // a grpc mode's server threads would keep the JVM up
  }
}
