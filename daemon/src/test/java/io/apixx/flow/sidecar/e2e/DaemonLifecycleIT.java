package io.apixx.flow.sidecar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Empty;
import io.apixx.flow.sidecar.client.FlowSidecarClient;
import io.apixx.flow.sidecar.testing.DaemonProcess;
import io.apixx.flow.sidecar.testing.TestConfigs;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.stub.ClientCalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged daemon as a separate process: start, serve, SIGTERM, exit. */
class DaemonLifecycleIT {
  @TempDir Path tmp;

  private static List<String> serveArgs(Path dir) {
    List<String> args = new ArrayList<>(List.of("serve"));
    for (String flag : TestConfigs.isolatedFlags(dir)) {
      args.add("--set");
      args.add(flag);
    }
    return args;
  }

  @Test
  void serve_isolatedConfig_healthServingOnBothTransports() throws Exception {
    try (DaemonProcess d = DaemonProcess.launch("lifecycle-serve", tmp, Map.of(), serveArgs(tmp)).awaitReady(Duration.ofSeconds(30));
        FlowSidecarClient unix = FlowSidecarClient.unixSocket(d.socket())) {
      String[] hp = d.tcpTarget().orElseThrow().split(":");
      try (FlowSidecarClient tcp = FlowSidecarClient.tcp(hp[0], Integer.parseInt(hp[1]))) {
        assertThat(unix.health("")).isEqualTo(ServingStatus.SERVING);
        assertThat(tcp.health("")).isEqualTo(ServingStatus.SERVING);
        assertThat(unix.health("liveness")).isEqualTo(ServingStatus.SERVING);
      }
      d.terminate();
      assertThat(d.awaitExit(Duration.ofSeconds(20))).isZero();
    }
  }

  @Test
  void dev_freshDirectory_servingWithin15SecondsOfJvmStart() throws Exception {
    List<String> args = List.of("dev", "--set", "server.tcp_address=127.0.0.1:0", "--set", "metrics.address=127.0.0.1:0");
    try (DaemonProcess d = DaemonProcess.launch("lifecycle-dev", tmp, Map.of(), args).awaitReady(Duration.ofSeconds(60))) {
      assertThat(d.timeToReady()).isLessThan(Duration.ofSeconds(15));
      assertThat(d.socket()).isEqualTo(tmp.resolve(".dev/sidecar.sock").toAbsolutePath());
      assertThat(d.tcpTarget()).isPresent();
      assertThat(d.stdout()).contains("flow-sidecar dev SERVING on unix://");
      try (FlowSidecarClient c = FlowSidecarClient.unixSocket(d.socket())) {
        assertThat(c.health("")).isEqualTo(ServingStatus.SERVING);
      }
      d.terminate();
      assertThat(d.awaitExit(Duration.ofSeconds(20))).isZero();
    }
  }

  @Test
  void sigterm_fiftySlowCallsInFlight_allCompleteOrCleanStatusAndExitZeroWithinGrace() throws Exception {
    List<String> args = new ArrayList<>(TestConfigs.isolatedFlags(tmp));
    args.replaceAll(a -> a.startsWith("server.shutdown_grace=") ? "server.shutdown_grace=10s" : a);
    try (DaemonProcess d =
            DaemonProcess.launchJava("lifecycle-sigterm", tmp, SlowServiceDaemon.class.getName(), args)
                .awaitReady(Duration.ofSeconds(30));
        FlowSidecarClient client = FlowSidecarClient.unixSocket(d.socket())) {
      ExecutorService callers = Executors.newFixedThreadPool(50);
      List<Future<Status>> calls = new ArrayList<>();
      CompletableFuture<Void> allStarted = new CompletableFuture<>();
      for (int i = 0; i < 50; i++) {
        calls.add(
            callers.submit(
                () -> {
                  try {
                    ClientCalls.blockingUnaryCall(
                        client.channel(),
                        SlowServiceDaemon.SLEEP,
                        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                        Empty.getDefaultInstance());
                    return Status.OK;
                  } catch (RuntimeException e) {
                    return Status.fromThrowable(e);
                  }
                }));
      }
      // Let every call reach the daemon (each sleeps 2 s), then ask it to stop.
      Thread.sleep(700);
      long sent = System.nanoTime();
      d.terminate();
      int exit = d.awaitExit(Duration.ofSeconds(15));
      Duration toExit = Duration.ofNanos(System.nanoTime() - sent);
      int ok = 0;
      for (Future<Status> f : calls) {
        Status s = f.get(30, TimeUnit.SECONDS);
        // Every call either completed, or got a clean, retryable status: never hung, never INTERNAL.
        assertThat(s.getCode()).isIn(Status.Code.OK, Status.Code.UNAVAILABLE, Status.Code.CANCELLED);
        if (s.isOk()) {
          ok++;
        }
      }
      callers.shutdownNow();
      assertThat(exit).isZero();
      assertThat(toExit).isLessThan(Duration.ofSeconds(12));
      // They were all in flight and the grace period (10 s) covers a 2 s call: all complete.
      assertThat(ok).isEqualTo(50);
      assertThat(d.stderr()).contains("draining in-flight calls");
    }
  }

  @Test
  void launcher_runningDaemon_noCoreDumpsNoJvmAttachNoHeapDumps() throws Exception {
    try (DaemonProcess d = DaemonProcess.launch("lifecycle-hardening", tmp, Map.of(), serveArgs(tmp)).awaitReady(Duration.ofSeconds(30))) {
      // The launcher execs the JVM, so the pid we started is the daemon itself.
      String limits = Files.readString(Path.of("/proc/" + d.pid() + "/limits"));
      assertThat(limits.lines().filter(l -> l.startsWith("Max core file size")).findFirst().orElseThrow())
          .matches("Max core file size\\s+0\\s+0\\s+bytes\\s*");
      String cmdline = Files.readString(Path.of("/proc/" + d.pid() + "/cmdline")).replace('\0', ' ');
      assertThat(cmdline).contains("-XX:+DisableAttachMechanism", "-XX:-HeapDumpOnOutOfMemoryError");
      // jcmd from the same user is what could dump the heap; the JVM must refuse to attach.
      Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
      Process p = new ProcessBuilder(jcmd.toString(), Long.toString(d.pid()), "VM.version").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(out).isNotZero();
      assertThat(out).doesNotContain("JDK ").containsIgnoringCase("attach");
      d.terminate();
      assertThat(d.awaitExit(Duration.ofSeconds(20))).isZero();
    }
  }

  @Test
  void launcher_loginHashes_bcryptThreadAtNice19_requestThreadsAtNice0() throws Exception {
    try (DaemonProcess d = DaemonProcess.launch("lifecycle-nice", tmp, Map.of(), serveArgs(tmp)).awaitReady(Duration.ofSeconds(30));
        FlowSidecarClient unix = FlowSidecarClient.unixSocket(d.socket())) {
      // An unknown account is hashed all the same (against a dummy hash), which starts the pool.
      Status.Code code = Status.fromThrowable(org.assertj.core.api.Assertions.catchThrowable(() ->
          unix.identity().login(io.apixx.flow.sidecar.v1.LoginRequest.newBuilder()
              .setTenantId("nice-tenant").setEmail("nobody@example.com").setPassword("not-the-password").build()))).getCode();
      assertThat(code).isIn(Status.Code.UNAUTHENTICATED, Status.Code.NOT_FOUND, Status.Code.PERMISSION_DENIED);

      Map<String, Integer> nice = threadNiceValues(d.pid());
      assertThat(nice).as("threads of the daemon and their nice values").containsEntry("bcrypt-1", 19);
      assertThat(nice.keySet()).anyMatch(name -> name.startsWith("grpc-worker"));
      // Every other thread, the JVM's own included (they ask for priorities 8 to 10), at nice 0.
      assertThat(nice.entrySet().stream().filter(e -> !e.getKey().startsWith("bcrypt-")).map(Map.Entry::getValue))
          .containsOnly(0);
      d.terminate();
      assertThat(d.awaitExit(Duration.ofSeconds(20))).isZero();
    }
  }

  /** Thread name (as the kernel keeps it, at most 15 bytes) to nice value, from /proc. */
  private static Map<String, Integer> threadNiceValues(long pid) throws java.io.IOException {
    Map<String, Integer> nice = new java.util.TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks.toList()) {
        String stat = Files.readString(task.resolve("stat"));
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        // After "pid (comm) ": state is field 3, nice is field 19 of stat(5).
        String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        nice.put(name, Integer.parseInt(rest[19 - 3]));
      }
    }
    return nice;
  }

  @Test
  void launcher_aotCache_recordedAtExit_thenUsed_staleOneIgnored() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() >= 25, "AOT caches need JDK 25 (JEP 514)");
    Path cache = tmp.resolve("aot/flow-sidecar.aot");
    Map<String, String> train = Map.of("FLOW_SIDECAR_AOT_CACHE", cache.toString(), "FLOW_SIDECAR_AOT_TRAIN", "1");

    try (DaemonProcess d = DaemonProcess.launch("lifecycle-aot-train", tmp, train, serveArgs(tmp)).awaitReady(Duration.ofSeconds(30))) {
      assertThat(cmdline(d)).contains("-XX:AOTCacheOutput=" + cache).doesNotContain("-XX:AOTCache=");
      d.terminate();
      assertThat(d.awaitExit(Duration.ofSeconds(90))).isZero();
    }
    assertThat(cache).exists();
    assertThat(Files.size(cache)).isGreaterThan(1 << 20);

    try (DaemonProcess d = DaemonProcess.launch("lifecycle-aot-use", tmp, train, serveArgs(tmp)).awaitReady(Duration.ofSeconds(30));
        FlowSidecarClient unix = FlowSidecarClient.unixSocket(d.socket())) {
      assertThat(cmdline(d)).contains("-XX:AOTCache=" + cache).doesNotContain("AOTCacheOutput");
      assertThat(unix.health("")).isEqualTo(ServingStatus.SERVING);
      d.terminate();
      assertThat(d.awaitExit(Duration.ofSeconds(20))).isZero();
    }

    // Older than the jars (a rebuilt daemon): not used, and without FLOW_SIDECAR_AOT_TRAIN not replaced.
    Files.setLastModifiedTime(cache, java.nio.file.attribute.FileTime.fromMillis(0));
    try (DaemonProcess d = DaemonProcess.launch("lifecycle-aot-stale", tmp, Map.of("FLOW_SIDECAR_AOT_CACHE", cache.toString()), serveArgs(tmp))
        .awaitReady(Duration.ofSeconds(30))) {
      assertThat(cmdline(d)).doesNotContain("AOTCache");
      d.terminate();
      assertThat(d.awaitExit(Duration.ofSeconds(20))).isZero();
    }
  }

  private static String cmdline(DaemonProcess d) throws java.io.IOException {
    return Files.readString(Path.of("/proc/" + d.pid() + "/cmdline")).replace('\0', ' ');
  }

  @Test
  void version_printsTheVersion() throws Exception {
    DaemonProcess.Result r = DaemonProcess.run("version", tmp, Map.of(), List.of("version"), Duration.ofSeconds(30));
    assertThat(r.exitCode()).isZero();
    assertThat(r.stdout()).startsWith("flow-sidecar ").doesNotContain("unknown");
  }

  @Test
  void healthCommand_againstRunningDaemon_exitZeroWhenServing() throws Exception {
    try (DaemonProcess d = DaemonProcess.launch("lifecycle-probe", tmp, Map.of(), serveArgs(tmp)).awaitReady(Duration.ofSeconds(30))) {
      DaemonProcess.Result ok =
          DaemonProcess.run("probe-ok", tmp, Map.of(), List.of("health", "--socket", d.socket().toString(), "--service", "liveness"), Duration.ofSeconds(30));
      assertThat(ok.exitCode()).isZero();
      assertThat(ok.stdout()).contains("SERVING");
      DaemonProcess.Result missing =
          DaemonProcess.run("probe-missing", tmp, Map.of(), List.of("health", "--socket", tmp.resolve("nope.sock").toString()), Duration.ofSeconds(30));
      assertThat(missing.exitCode()).isEqualTo(1);
      assertThat(Files.exists(d.socket())).isTrue();
    }
  }
}
