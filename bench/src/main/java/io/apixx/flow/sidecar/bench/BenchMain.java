package io.apixx.flow.sidecar.bench;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.ListeningExecutorService;
import com.google.common.util.concurrent.MoreExecutors;
import com.nimbusds.jose.jwk.JWK;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.apixx.flow.sidecar.audit.AuditSpool;
import io.apixx.flow.sidecar.auth.RunTokenMinter;
import io.apixx.flow.sidecar.crypto.kms.BenchUnwrap;
import io.apixx.flow.sidecar.testing.AuditChain;
import io.apixx.flow.sidecar.testing.FileTrees;
import io.apixx.flow.sidecar.v1.CredentialServiceGrpc;
import io.apixx.flow.sidecar.v1.ExchangeRunTokenRequest;
import io.apixx.flow.sidecar.v1.GetCredentialRequest;
import io.apixx.flow.sidecar.v1.IdentityServiceGrpc;
import io.apixx.flow.sidecar.v1.LoginRequest;
import io.apixx.flow.sidecar.v1.SealCredentialRequest;
import io.apixx.flow.sidecar.v1.ValidateSessionRequest;
import io.grpc.CallCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * {@code make bench}: one harness, one run, one machine. Starts the packaged daemon (dev mode for
 * the embedded PostgreSQL and the seeded demo tenant; the measured daemon is a separate {@code
 * serve} process on the same database, with production defaults), drives it with asynchronous
 * gRPC calls, interleaves every path with its floors, then runs the in-process and JMH parts and
 * writes {@code bench/results/report.{md,json,svg}}.
 *
 * <p>Run: {@code java -cp <bench classpath> io.apixx.flow.sidecar.bench.BenchMain REPO_DIR}.
 * {@code BENCH_QUICK=1}: short phases (a smoke run, figures not for quoting).
 */
public final class BenchMain {
  static final boolean QUICK = "1".equals(System.getenv("BENCH_QUICK"));
  static final double SCALE = QUICK ? 0.25 : 1.0;
  static final int NPROC = Runtime.getRuntime().availableProcessors();

  /** {@code BenchMain REPO footprint}: only the footprint phase (for tuning the launcher's flags). */
  static boolean footprintOnly;
  /** {@code BenchMain REPO storm}: only Login and the login storm. */
  static boolean stormOnly;
  static boolean pathsOnly;
  /** {@code BenchMain REPO startup}: only the start-to-SERVING times. */
  static boolean startupOnly;
  static Path repo;
  static Path dist;
  static Path work;
  static Path logs;
  static Path results;

  /** Every figure, by section; written as report.json. */
  static final Map<String, Object> figures = new LinkedHashMap<>();
  /** c1 latency histograms for the plot. */
  static final Map<String, Histogram> plotted = new LinkedHashMap<>();
  static final List<String> problems = new ArrayList<>();

  private BenchMain() {}

  static long ms(double seconds) {
    return TimeUnit.MILLISECONDS.toNanos((long) (seconds * 1000 * SCALE));
  }

  public static void main(String[] args) throws Exception {
    long t0 = System.nanoTime();
    repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
    footprintOnly = args.length > 1 && args[1].equals("footprint");
    stormOnly = args.length > 1 && args[1].equals("storm");
    startupOnly = args.length > 1 && args[1].equals("startup");
    pathsOnly = args.length > 1 && args[1].equals("paths");
    dist = repo.resolve("daemon/target/flow-sidecar");
    work = Files.createDirectories(repo.resolve("bench/target/work"));
    // No collector acknowledges the measured daemons' audit records, so their spools only grow:
    // start every run with empty ones (runs before this one had filled the 256 MiB limit, and
    // releases were refused as they must be).
    try (var old = Files.newDirectoryStream(work, "audit-*")) {
      for (Path dir : old) {
        FileTrees.delete(dir);
      }
    }
    logs = Files.createDirectories(repo.resolve("bench/target/logs"));
    results = Files.createDirectories(repo.resolve("bench/results"));
    figures.put("machine", Machine.describe());
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("quick", QUICK);
    run.put("started", Instant.now().toString());
    figures.put("run", run);

    if (args.length > 1 && args[1].equals("micro")) {
      // Only the in-process parts (a quick look while tuning): AEAD, tenant read, in-process RPC.
      section("jmh", Micro::aead);
      section("tenant_read", Micro::tenantRead);
      section("in_process", Micro::inProcess);
      System.out.println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
          Map.of("aead", figures.get("aead"), "tenant_read", figures.get("tenant_read"), "in_process", figures.get("in_process"))));
      System.exit(0);
    }
    section("daemon", BenchMain::daemonPhases);
    if (footprintOnly || stormOnly || startupOnly || pathsOnly) {
      System.out.println(figures.get(footprintOnly ? "footprint" : startupOnly ? "startup" : "daemon"));
      System.exit(0);
    }
    section("spool", BenchMain::spoolPhase);
    section("unwrap", () -> {
      double ns = BenchUnwrap.medianNanos(Files.createTempDirectory(work, "unwrap-"), QUICK ? 2_000 : 20_000);
      put("unwrap", Map.of("local_keyring_unwrap_p50_us", ns / 1e3));
    });
    section("jmh", Micro::aead);
    section("tenant_read", Micro::tenantRead);
    section("in_process", Micro::inProcess);
    section("collector", Micro::collector);

    run.put("seconds", (System.nanoTime() - t0) / 1e9);
    run.put("problems", problems);
    Report.write(results, figures, plotted);
    System.exit(0);
  }

  interface Phase {
    void run() throws Exception;
  }

  static void section(String name, Phase p) {
    long t = System.nanoTime();
    System.out.printf("==> bench: %s%n", name);
    try {
      p.run();
    } catch (Throwable e) {
      String msg = name + ": " + e;
      problems.add(msg);
      System.out.println("    FAILED " + msg);
      e.printStackTrace(System.out);
    }
    System.out.printf("    %s took %.1f s%n", name, (System.nanoTime() - t) / 1e9);
  }

  @SuppressWarnings("unchecked")
  static void put(String path, Object value) {
    String[] parts = path.split("\\.");
    Map<String, Object> m = figures;
    for (int i = 0; i < parts.length - 1; i++) {
      m = (Map<String, Object>) m.computeIfAbsent(parts[i], k -> new LinkedHashMap<String, Object>());
    }
    m.put(parts[parts.length - 1], value);
  }

  static Map<String, Object> summary(Load.Result r, boolean latency) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (latency) {
      m.put("p50_us", r.pMicros(50));
      m.put("p99_us", r.pMicros(99));
      m.put("p999_us", r.pMicros(99.9));
    } else {
      m.put("throughput_per_s", r.throughput());
      m.put("p50_us", r.pMicros(50));
      m.put("p99_us", r.pMicros(99));
    }
    m.put("calls", r.calls);
    if (!Double.isNaN(r.daemonCpuSeconds)) {
      m.put("daemon_cpu_us_per_call", r.cpuMicrosPerCall());
    }
    m.put("errors", r.errors);
    if (!r.errorCodes.isEmpty()) {
      m.put("error_codes", new LinkedHashMap<>(r.errorCodes));
    }
    m.put("seconds", r.seconds);
    return m;
  }

  // ---------------------------------------------------------------------------------------------
  // The daemon process

  static final class Bearer extends CallCredentials {
    private final String token;

    Bearer(String token) {
      this.token = token;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, java.util.concurrent.Executor executor, MetadataApplier applier) {
      Metadata h = new Metadata();
      h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      applier.apply(h);
    }

    @Override
    public String toString() {
      return "Bearer[REDACTED]";
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static int pgPort;

  static List<String> serveCommand(String name, String... extra) {
    Path dev = work.resolve(".dev");
    List<String> cmd = new ArrayList<>(List.of(dist.resolve("bin/flow-sidecar").toString(), "serve"));
    List<String> sets = new ArrayList<>(List.of(
        "server.socket_path=" + work.resolve("run-" + name + "/sidecar.sock"),
        "server.tcp_address=127.0.0.1:0",
        "metrics.address=127.0.0.1:0",
        "server.shutdown_grace=2s",
        "audit.spool_dir=" + work.resolve("audit-" + name),
        "database.url=jdbc:postgresql://127.0.0.1:" + pgPort + "/flow",
        "database.user=flow_app",
        "database.password_file=" + dev.resolve("postgres/flow_app.password"),
        "kms.uri=file://" + dev.resolve("keyring.json"),
        "auth.run_tokens.jwks_file=" + dev.resolve("run-token-jwks.json"),
        "auth.service_tokens_file=" + dev.resolve("service-tokens.yaml")));
    sets.addAll(List.of(extra));
    String more = System.getenv("BENCH_SERVE_SET");
    if (more != null && !more.isBlank()) {
      sets.addAll(List.of(more.split(",")));
    }
    for (String s : sets) {
      cmd.add("--set");
      cmd.add(s);
    }
    return cmd;
  }

  static ManagedChannel unix(Proc p) {
    return Grpc.newChannelBuilder("unix://" + p.socket(), InsecureChannelCredentials.create()).build();
  }

  static ManagedChannel tcp(Proc p) {
    return Grpc.newChannelBuilderForAddress(p.tcpHost(), p.tcpPort(), InsecureChannelCredentials.create()).build();
  }

  static String secretFile(String name) throws IOException {
    return Files.readString(work.resolve(".dev").resolve(name)).strip();
  }

  /** Run sessions (tokens in memory only) for {@code connectors}, one per principal. */
  static List<String> runSessions(ManagedChannel ch, RunTokenMinter minter, int n, List<String> connectors) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String token = minter.mint("demo", "bench-run-" + System.nanoTime() + "-" + i, "wf-bench", connectors, Duration.ofHours(1));
      out.add(IdentityServiceGrpc.newBlockingStub(ch).withCallCredentials(new Bearer(token))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .exchangeRunToken(ExchangeRunTokenRequest.newBuilder().setClientLabel("bench").build())
          .getSession().getToken());
    }
    return out;
  }

  /**
   * A measured path: its operation, whether 64 in flight is meaningful for it, and whether the
   * daemon process serves it (then its CPU time is counted; not for the floors the bench serves).
   */
  record Path2(String name, Load.Op op, boolean concurrent, boolean daemon) {
    Path2(String name, Load.Op op, boolean concurrent) {
      this(name, op, concurrent, true);
    }
  }

  /** Rounds of (warm-up once) 1 in flight then 64 in flight, each path after the other in every round. */
  static Map<String, Load.Result[]> interleaved(List<Path2> paths, int rounds, double c1Seconds, double c64Seconds) throws InterruptedException {
    return interleaved(paths, rounds, c1Seconds, c64Seconds, null);
  }

  /**
   * As above; with {@code daemon}, also the daemon's CPU time (user + system, from /proc) while
   * each of its paths runs, reported per call: where a path's latency goes that is not waiting.
   */
  static Map<String, Load.Result[]> interleaved(List<Path2> paths, int rounds, double c1Seconds, double c64Seconds, Proc daemon) throws InterruptedException {
    Map<String, Load.Result[]> acc = new LinkedHashMap<>();
    for (Path2 p : paths) {
      acc.put(p.name(), new Load.Result[] {new Load.Result(), new Load.Result()});
    }
    for (int r = 0; r < rounds; r++) {
      for (Path2 p : paths) {
        if (r == 0) {
          Load.closed(p.op(), 1, ms(2));
          if (p.concurrent()) {
            Load.closed(p.op(), 64, ms(2));
          }
        }
        Proc cpu = p.daemon() ? daemon : null;
        acc.get(p.name())[0].add(withCpu(cpu, () -> Load.closed(p.op(), 1, ms(c1Seconds))));
        if (p.concurrent()) {
          acc.get(p.name())[1].add(withCpu(cpu, () -> Load.closed(p.op(), 64, ms(c64Seconds))));
        }
      }
      System.out.printf("    round %d/%d done%n", r + 1, rounds);
    }
    return acc;
  }

  interface LoadRun {
    Load.Result run() throws InterruptedException;
  }

  /** Runs {@code load}; with a daemon, notes the daemon CPU seconds it took in the result. */
  static Load.Result withCpu(Proc daemon, LoadRun load) throws InterruptedException {
    if (daemon == null) {
      return load.run();
    }
    try {
      double before = daemon.cpuSeconds();
      Load.Result r = load.run();
      r.daemonCpuSeconds = daemon.cpuSeconds() - before;
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void record(String section, Map<String, Load.Result[]> acc, List<Path2> paths) {
    for (Path2 p : paths) {
      Load.Result[] r = acc.get(p.name());
      put(section + "." + p.name() + ".c1", summary(r[0], true));
      plotted.put(p.name(), r[0].histogram);
      if (p.concurrent()) {
        put(section + "." + p.name() + ".c64", summary(r[1], false));
      }
      System.out.printf("    %-26s c1 p50 %8.1f us p99 %8.1f us p99.9 %8.1f us%s%s%n", p.name(), r[0].pMicros(50), r[0].pMicros(99), r[0].pMicros(99.9),
          p.concurrent() ? String.format(" | c64 %8.0f/s p99 %8.1f us", r[1].throughput(), r[1].pMicros(99)) : "",
          Double.isNaN(r[0].daemonCpuSeconds) ? "" : String.format(" | daemon CPU/call c1 %.0f us%s", r[0].cpuMicrosPerCall(),
              p.concurrent() ? String.format(", c64 %.0f us", r[1].cpuMicrosPerCall()) : ""));
      if (r[0].errors + r[1].errors > 0) {
        System.out.printf("      errors: c1 %s c64 %s%n", r[0].errorCodes, r[1].errorCodes);
      }
    }
  }

  static void daemonPhases() throws Exception {
    pgPort = freePort();
    // Dev mode: the embedded PostgreSQL (kept in bench/target/work/.dev), migrations and the seeded
    // demo tenant, users, keys. Its own listeners are not measured.
    Proc dev = Proc.launch("dev", work, logs, Map.of(), List.of(dist.resolve("bin/flow-sidecar").toString(), "dev",
        "--set", "server.socket_path=" + work.resolve("run-dev/sidecar.sock"),
        "--set", "server.tcp_address=", "--set", "metrics.address=",
        "--set", "database.embedded.port=" + pgPort, "--set", "logging.audit_trail=false"));
    try {
      dev.awaitReady(Duration.ofMinutes(3));
      System.out.printf("    dev (embedded PostgreSQL on %d, seeded) SERVING after %.1f s%n", pgPort, dev.secondsToReady);
      measuredDaemon(dev);
    } finally {
      dev.stop(Duration.ofSeconds(30));
    }
  }

  static void measuredDaemon(Proc dev) throws Exception {
    if (startupOnly) {
      section("startup", BenchMain::startTimes);
      return;
    }
    Proc serve = Proc.launch("serve", work, logs, Map.of(), serveCommand("serve")).awaitReady(Duration.ofMinutes(1));
    put("daemon.config", Map.of(
        "mode", "serve (production defaults) on dev mode's embedded PostgreSQL 17 and local keyring KMS; audit spool fsync on; RLS on; no collector configured (spool only)",
        "launcher_jvm_opts", launcherOpts(serve),
        "transport_of_daemon_paths", "Unix socket",
        "overrides", "server.tcp_address=127.0.0.1:0, metrics.address=127.0.0.1:0, server.shutdown_grace=2s"));
    ManagedChannel unix = unix(serve);
    ManagedChannel tcp = tcp(serve);
    HikariDataSource pool = null;
    ListeningExecutorService blocking = MoreExecutors.listeningDecorator(Executors.newFixedThreadPool(64));
    try {
      JWK key = JWK.parse(secretFile("run-token-key.json"));
      RunTokenMinter minter = new RunTokenMinter(key, "flow-orchestrator", "flow-sidecar", Clock.systemUTC());
      List<String> sessions = runSessions(unix, minter, 64, List.of("demo-github"));
      List<IdentityServiceGrpc.IdentityServiceFutureStub> idStubs = new ArrayList<>();
      List<CredentialServiceGrpc.CredentialServiceFutureStub> credStubs = new ArrayList<>();
      for (String s : sessions) {
        idStubs.add(IdentityServiceGrpc.newFutureStub(unix).withCallCredentials(new Bearer(s)));
        credStubs.add(CredentialServiceGrpc.newFutureStub(unix).withCallCredentials(new Bearer(s)));
      }
      HealthGrpc.HealthFutureStub hUnix = HealthGrpc.newFutureStub(unix);
      HealthGrpc.HealthFutureStub hTcp = HealthGrpc.newFutureStub(tcp);
      HealthCheckRequest hreq = HealthCheckRequest.getDefaultInstance();
      GetCredentialRequest greq = GetCredentialRequest.newBuilder().setConnectorId("demo-github").build();
      ValidateSessionRequest vreq = ValidateSessionRequest.getDefaultInstance();

      // Bare point read through a pool of the daemon's size (2) as the superuser (no RLS).
      HikariConfig hc = new HikariConfig();
      hc.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + pgPort + "/flow");
      hc.setUsername("postgres");
      hc.setPassword(secretFile("postgres/postgres.password"));
      hc.setMaximumPoolSize(2);
      pool = new HikariDataSource(hc);
      HikariDataSource ds = pool;
      Supplier<String> pointRead = () -> {
        try (Connection c = ds.getConnection();
            PreparedStatement ps = c.prepareStatement("SELECT display_name FROM flow.connectors WHERE tenant_id = ? AND id = ?")) {
          ps.setString(1, "demo");
          ps.setString(2, "demo-github");
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      };
      if (pointRead.get() == null) {
        throw new IllegalStateException("bare point read found no row");
      }

      // fdatasync of an audit-record-sized write on the spool's disk, written the way the spool
      // writes (into reserved space); a plain append beside it for comparison.
      int recordBytes = spoolRecordBytes();
      put("daemon.audit_record_bytes", recordBytes);
      Path probes = Files.createDirectories(work.resolve("fsync-probe"));
      SyncProbe reservedProbe = new SyncProbe(probes.resolve("reserved.log"), recordBytes, SyncProbe.Mode.RESERVED);
      SyncProbe appendProbe = new SyncProbe(probes.resolve("append.log"), recordBytes, SyncProbe.Mode.APPEND);
      Supplier<Object> fdatasync = () -> syncOnce(reservedProbe);
      Supplier<Object> fdatasyncAppend = () -> syncOnce(appendProbe);

      // Pre-minted run tokens for ExchangeRunToken (each is exchanged once).
      ConcurrentLinkedQueue<String> fresh = new ConcurrentLinkedQueue<>();
      int mint = (int) (QUICK ? 4_000 : 16_000);
      for (int i = 0; i < mint; i++) {
        fresh.add(minter.mint("demo", "bench-x-" + i + "-" + System.nanoTime(), "wf-bench", List.of("demo-github"), Duration.ofHours(1)));
      }
      ExchangeRunTokenRequest xreq = ExchangeRunTokenRequest.newBuilder().setClientLabel("bench").build();

      int n = sessions.size();
      List<Path2> paths = List.of(
          new Path2("noop_unix", c -> hUnix.check(hreq), true),
          new Path2("noop_tcp", c -> hTcp.check(hreq), true),
          new Path2("validate_session", c -> idStubs.get((int) (c % n)).validateSession(vreq), true),
          new Path2("get_credential_warm", c -> credStubs.get((int) (c % n)).getCredential(greq), true),
          new Path2("bare_point_read", c -> blocking.submit(pointRead::get), true, false),
          new Path2("fdatasync", c -> blocking.submit(fdatasync::get), false, false),
          new Path2("fdatasync_append", c -> blocking.submit(fdatasyncAppend::get), false, false),
          new Path2("exchange_run_token", c -> {
            String t = fresh.poll();
            if (t == null) {
              throw new IllegalStateException("out of pre-minted run tokens");
            }
            return IdentityServiceGrpc.newFutureStub(unix).withCallCredentials(new Bearer(t)).exchangeRunToken(xreq);
          }, true));
      if (footprintOnly) {
        footprint(serve, credStubs, greq);
        return;
      }
      if (stormOnly) {
        loginPhases(serve, unix, idStubs, vreq);
        return;
      }
      if (pathsOnly && System.getenv("BENCH_PATHS") != null) {
        // Tuning aid: only the named paths (comma-separated), e.g. BENCH_PATHS=noop_unix,get_credential_warm.
        List<String> only = List.of(System.getenv("BENCH_PATHS").split(","));
        boolean c1Only = "1".equals(System.getenv("BENCH_C1_ONLY"));
        paths = paths.stream().filter(p -> only.contains(p.name())).map(p -> c1Only ? new Path2(p.name(), p.op(), false, p.daemon()) : p).toList();
      }
      Map<String, Load.Result[]> acc = interleaved(paths, 3, 2, 2, serve);
      record("daemon", acc, paths);
      if (pathsOnly) {
        return;
      }

      coldPath(dev, minter);
      loginPhases(serve, unix, idStubs, vreq);
      footprint(serve, credStubs, greq);
      reservedProbe.close();
      appendProbe.close();
    } finally {
      blocking.shutdownNow();
      if (pool != null) {
        pool.close();
      }
      unix.shutdownNow();
      tcp.shutdownNow();
      serve.stop(Duration.ofSeconds(20));
    }
    if (!footprintOnly && !stormOnly && !pathsOnly) {
      section("startup", BenchMain::startTimes);
    }
  }

  /** The JVM options the launcher gave the running daemon (its command line up to the class path). */
  static String launcherOpts(Proc daemon) {
    try {
      String[] args = Files.readString(Path.of("/proc/" + daemon.pid() + "/cmdline"), StandardCharsets.UTF_8).split("\0");
      StringBuilder opts = new StringBuilder();
      for (int i = 1; i < args.length && !args[i].equals("-cp"); i++) {
        opts.append(opts.isEmpty() ? "" : " ").append(args[i]);
      }
      return opts.toString();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** Bytes one release event takes in the spool (measured: spool size / events). */
  static Object syncOnce(SyncProbe probe) {
    try {
      probe.sync();
      return null;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static int spoolRecordBytes() throws Exception {
    Path dir = Files.createTempDirectory(work, "spool-size-");
    try (AuditSpool spool = AuditSpool.open(new AuditSpool.Settings(dir.resolve("spool"), 256L << 20, 16L << 20, 65_536, 4096), "us-east-1", "bench", ok -> {})) {
      // The records' bytes as the spool counts them (its segment files are reserved ahead, so
      // their sizes say nothing about a record).
      spool.record(AuditChain.release("demo", "run-bench-00000000", "connector/demo-github/v1", Instant.now()));
      long before = spool.unacknowledgedBytes();
      for (int i = 0; i < 200; i++) {
        spool.record(AuditChain.release("demo", "run-bench-00000000", "connector/demo-github/v1", Instant.now()));
      }
      long after = spool.unacknowledgedBytes();
      return (int) Math.max(64, (after - before) / 200);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Cold GetCredential: DEK cache off (every call unwraps) and more credentials than the row cache
  // (250 ms) can keep warm at 1 in flight, on a second daemon on the same database.

  static void coldPath(Proc dev, RunTokenMinter minter) throws Exception {
    int k = 200;
    List<String> connectors = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      connectors.add(String.format("bc-%03d", i));
    }
    Proc cold = Proc.launch("serve-cold", work, logs, Map.of(), serveCommand("cold", "kms.dek_cache.max_entries=0")).awaitReady(Duration.ofMinutes(1));
    ManagedChannel ch = unix(cold);
    try {
      String service = secretFile("service-token");
      CredentialServiceGrpc.CredentialServiceBlockingStub admin = CredentialServiceGrpc.newBlockingStub(ch).withCallCredentials(new Bearer(service));
      SecureRandom random = new SecureRandom();
      int sealed = 0;
      for (String c : connectors) {
        byte[] v = new byte[24];
        random.nextBytes(v);
        try {
          admin.withDeadlineAfter(10, TimeUnit.SECONDS).sealCredential(SealCredentialRequest.newBuilder().setTenantId("demo").setConnectorId(c)
              .setDisplayName("Bench cold " + c).putSecretFields("api_token", Base64.getUrlEncoder().encodeToString(v)).build());
          sealed++;
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS && e.getStatus().getCode() != Status.Code.FAILED_PRECONDITION) {
            throw e;
          }
        }
      }
      System.out.printf("    cold: %d credentials sealed now (%d wanted; the rest exist from earlier runs)%n", sealed, k);
      List<String> sessions = runSessions(ch, minter, 64, connectors);
      List<CredentialServiceGrpc.CredentialServiceFutureStub> stubs = new ArrayList<>();
      for (String s : sessions) {
        stubs.add(CredentialServiceGrpc.newFutureStub(ch).withCallCredentials(new Bearer(s)));
      }
      List<GetCredentialRequest> reqs = new ArrayList<>();
      for (String c : connectors) {
        reqs.add(GetCredentialRequest.newBuilder().setConnectorId(c).build());
      }
      HealthGrpc.HealthFutureStub h = HealthGrpc.newFutureStub(ch);
      List<Path2> paths = List.of(
          new Path2("noop_unix_cold_daemon", c -> h.check(HealthCheckRequest.getDefaultInstance()), true),
          new Path2("get_credential_cold", c -> stubs.get((int) (c % 64)).getCredential(reqs.get((int) (c % k))), true));
      Map<String, Load.Result[]> acc = interleaved(paths, 3, 2, 2, cold);
      record("daemon", acc, paths);
      put("daemon.get_credential_cold.config",
          "second serve daemon with kms.dek_cache.max_entries=0 (every call unwraps with the local keyring KMS), round robin over " + k
              + " credentials so that at 1 in flight each row is re-read after the 250 ms row cache expired; at 64 in flight some reads are row-cache hits");
    } finally {
      ch.shutdownNow();
      cold.stop(Duration.ofSeconds(20));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Login (bcrypt 12) and the storm of 200 concurrent Logins against cached ValidateSession.

  static void loginPhases(Proc serve, ManagedChannel unix, List<IdentityServiceGrpc.IdentityServiceFutureStub> idStubs, ValidateSessionRequest vreq) throws Exception {
    String password = secretFile("dev-password");
    LoginRequest login = LoginRequest.newBuilder().setTenantId("demo").setEmail("dev@demo.example").setPassword(password).build();
    IdentityServiceGrpc.IdentityServiceFutureStub anon = IdentityServiceGrpc.newFutureStub(unix);
    Load.Op loginOp = c -> anon.login(login);
    Load.closed(loginOp, NPROC, ms(2));
    Load.Result c1 = Load.closed(loginOp, 1, ms(4));
    Load.Result cN = Load.closed(loginOp, 2 * NPROC, ms(6));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("c1", summary(c1, true));
    m.put("c" + (2 * NPROC), summary(cN, false));
    m.put("logins_per_s_per_core", cN.throughput() / NPROC);
    int hashThreads = Math.max(1, NPROC / 2);
    m.put("hash_threads", hashThreads);
    m.put("logins_per_s_per_hash_thread", cN.throughput() / hashThreads);
    m.put("note", "auth.passwords.hash_threads default (0 = half the CPUs, at least one); per core = per CPU of the machine");
    m.put("cores", NPROC);
    put("daemon.login", m);
    plotted.put("login", c1.histogram);
    System.out.printf("    login bcrypt-12: c1 p50 %.1f ms; %d in flight %.1f/s = %.2f/s per core%n", c1.pMicros(50) / 1e3, 2 * NPROC, cN.throughput(), cN.throughput() / NPROC);

    int n = idStubs.size();
    Load.Op validate = c -> idStubs.get((int) (c % n)).validateSession(vreq);
    // A short storm first, with ValidateSession calls beside it as in the measured storm, so
    // that the load generator's own code is compiled for that mix before either measurement: a
    // trace showed its C2 compiler busy during the slow calls of the measured storm, recompiling
    // code the two kinds of call share (response parsing, the transport) after the storm's calls
    // had changed its profile. Refused calls come back after 10 ms instead of the daemon's hint,
    // so the storm's code runs often enough to be compiled in seconds (polite clients make about
    // 200 calls/s). The storm from a JVM of its own was tried: a third JVM's threads, collector
    // and compiler on the same two CPUs made the tail longer, not shorter. Then warm-up, which
    // also lets Logins still queued finish (their bcrypt would otherwise run during the idle
    // measurement). Alone (storm mode) the load generator's own JIT is still busy for a while:
    // longer.
    Thread warmStorm = Thread.ofPlatform().name("login-storm-warm-up").start(() -> {
      try {
        Load.closedRetryingSooner(loginOp, 200, ms(3), 10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    Load.closed(validate, 1, ms(3));
    warmStorm.join();
    Load.closed(validate, 1, ms(stormOnly ? 30 : 5));
    Load.Result idle = Load.closed(validate, 1, ms(5));
    Load.Result[] storm = new Load.Result[1];
    Thread t = Thread.ofPlatform().name("login-storm").start(() -> {
      try {
        storm[0] = Load.closed(loginOp, 200, ms(7), true);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    Thread.sleep(ms(1) / 1_000_000);
    Load.Result during = Load.closedListingSlow(validate, 1, ms(5), repo.resolve("bench/target/storm-slow-calls.txt"));
    t.join();
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("validate_session_idle_c1", summary(idle, true));
    s.put("validate_session_during_storm_c1", summary(during, true));
    s.put("storm_logins_200_in_flight", summary(storm[0], false));
    s.put("storm_client", "200 Login calls in flight, closed loop; a refused Login waits its retry-after-ms (at most 1 s, 50 ms without one) before the next");
    put("daemon.login_storm", s);
    System.out.printf("    storm: ValidateSession p99 idle %.1f us, during 200 Logins %.1f us (logins ok %d, refused %d %s)%n",
        idle.pMicros(99), during.pMicros(99), storm[0].calls, storm[0].errors, storm[0].errorCodes);
  }

  // ---------------------------------------------------------------------------------------------
  // Footprint: RSS and heap idle and under a steady 2,000 calls/s, CPU per 1,000 calls.

  static void footprint(Proc serve, List<CredentialServiceGrpc.CredentialServiceFutureStub> credStubs, GetCredentialRequest greq) throws Exception {
    Thread.sleep(QUICK ? 2_000 : 5_000);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("idle_rss_mib", serve.rssBytes() / 1048576.0);
    m.put("idle_heap_used_mib", serve.heapUsedBytes() / 1048576.0);
    int n = credStubs.size();
    AtomicBoolean sampling = new AtomicBoolean(true);
    long[] maxRss = {0};
    long[] maxHeap = {0};
    Thread sampler = Thread.ofPlatform().start(() -> {
      while (sampling.get()) {
        try {
          maxRss[0] = Math.max(maxRss[0], serve.rssBytes());
          maxHeap[0] = Math.max(maxHeap[0], serve.heapUsedBytes());
          Thread.sleep(250);
        } catch (Exception e) {
          return;
        }
      }
    });
    Load.Op op = c -> credStubs.get((int) (c % n)).getCredential(greq);
    Load.open(op, 2000, ms(3)); // warm to the steady state
    double cpu0 = serve.cpuSeconds();
    Load.Result r = Load.open(op, 2000, ms(12));
    double cpu1 = serve.cpuSeconds();
    sampling.set(false);
    sampler.join();
    m.put("load", "GetCredential (warm) open loop at 2,000 calls/s over the Unix socket, 64 run sessions");
    m.put("steady_2000_rss_max_mib", maxRss[0] / 1048576.0);
    m.put("steady_2000_rss_end_mib", serve.rssBytes() / 1048576.0);
    m.put("steady_2000_heap_used_max_mib", maxHeap[0] / 1048576.0);
    m.put("steady_2000_achieved_per_s", r.throughput());
    m.put("steady_2000_latency", summary(r, true));
    m.put("cpu_seconds_per_1000_calls", (cpu1 - cpu0) / Math.max(1, r.calls) * 1000);
    put("footprint", m);
    System.out.printf("    footprint: idle RSS %.1f MiB, 2000/s RSS max %.1f MiB, CPU %.3f s per 1000 calls%n",
        m.get("idle_rss_mib"), m.get("steady_2000_rss_max_mib"), m.get("cpu_seconds_per_1000_calls"));
  }

  // ---------------------------------------------------------------------------------------------
  // Start to SERVING, with and without the JDK's AOT cache (JEP 483/514, JDK 25).

  static void startTimes() throws Exception {
    // PostgreSQL is the dev daemon's, still up.
    int runs = QUICK ? 2 : 3;
    List<Double> plain = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      plain.add(startOnce("start-" + i, Map.of()));
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("without_aot_s", plain);
    m.put("without_aot_median_s", median(plain));
    put("startup", m);
    Path aot = work.resolve("flow-sidecar.aot");
    Files.deleteIfExists(aot);
    // Training run: start, serve some calls, stop; the JVM writes the cache at exit.
    // Through the launcher's own switches, as `make run` and the chart use them.
    Proc train = Proc.launch("aot-train", work, logs, Map.of("FLOW_SIDECAR_AOT_CACHE", aot.toString(), "FLOW_SIDECAR_AOT_TRAIN", "1"), serveCommand("aot"))
        .awaitReady(Duration.ofMinutes(1));
    ManagedChannel ch = unix(train);
    HealthGrpc.HealthBlockingStub h = HealthGrpc.newBlockingStub(ch);
    for (int i = 0; i < 500; i++) {
      h.check(HealthCheckRequest.getDefaultInstance());
    }
    ch.shutdownNow();
    train.stop(Duration.ofSeconds(120));
    if (Files.exists(aot)) {
      List<Double> withAot = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        withAot.add(startOnce("start-aot-" + i, Map.of("FLOW_SIDECAR_AOT_CACHE", aot.toString())));
      }
      m.put("with_aot_s", withAot);
      m.put("with_aot_median_s", median(withAot));
      m.put("aot_cache_mib", Files.size(aot) / 1048576.0);
    } else {
      m.put("with_aot", "no cache written (JDK without JEP 514?); see bench/target/logs/aot-train.err");
    }
    m.put("measured", "launch of bin/flow-sidecar serve (launcher script included) to the SERVING line on stdout; PostgreSQL already up;"
        + " with the cache: FLOW_SIDECAR_AOT_CACHE set, recorded before by a run with FLOW_SIDECAR_AOT_TRAIN=1 serving 500 health checks");
    System.out.printf("    start to SERVING: %s s without AOT cache, %s with%n", plain, m.get("with_aot_s"));
  }

  static double startOnce(String name, Map<String, String> env) throws Exception {
    Proc p = Proc.launch(name, work, logs, env, serveCommand("start")).awaitReady(Duration.ofMinutes(1));
    double s = p.secondsToReady;
    p.stop(Duration.ofSeconds(20));
    return s;
  }

  static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    s.sort(Double::compare);
    return s.get(s.size() / 2);
  }

  // ---------------------------------------------------------------------------------------------
  // The audit spool in process: group-commit throughput, and what a release pays for durability
  // against a bare fdatasync of the same size, interleaved.

  static void spoolPhase() throws Exception {
    Path dir = Files.createTempDirectory(work, "spool-");
    int recordBytes = spoolRecordBytes();
    try (AuditSpool spool = AuditSpool.open(new AuditSpool.Settings(dir.resolve("spool"), 4L << 30, 64L << 20, 65_536, 4096), "us-east-1", "bench", ok -> {});
        SyncProbe probe = new SyncProbe(dir.resolve("probe.log"), recordBytes, SyncProbe.Mode.RESERVED)) {
      ExecutorService one = Executors.newSingleThreadExecutor();
      ListeningExecutorService l = MoreExecutors.listeningDecorator(one);
      Load.Op release = c -> l.submit(() -> spool.record(AuditChain.release("demo", "run-bench-00000000", "connector/demo-github/v1", Instant.now())));
      Load.Op sync = c -> l.submit(() -> {
        probe.sync();
        return null;
      });
      List<Path2> paths = List.of(new Path2("spool_release_c1", release, false), new Path2("fdatasync_same_size", sync, false));
      Map<String, Load.Result[]> acc = interleaved(paths, 3, 2, 0);
      one.shutdownNow();
      record("spool", acc, paths);

      // Throughput: 64 threads recording as fast as the group commit lets them.
      int threads = 64;
      long syncs0 = spool.syncCount();
      AtomicLong events = new AtomicLong();
      long end = System.nanoTime() + ms(5);
      long start = System.nanoTime();
      List<Thread> ts = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        ts.add(Thread.ofPlatform().start(() -> {
          while (System.nanoTime() < end) {
            spool.record(AuditChain.release("demo", "run-bench-00000000", "connector/demo-github/v1", Instant.now()));
            events.incrementAndGet();
          }
        }));
      }
      for (Thread t : ts) {
        t.join();
      }
      double secs = (System.nanoTime() - start) / 1e9;
      long syncs = spool.syncCount() - syncs0;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("writers", threads);
      m.put("events_per_s", events.get() / secs);
      m.put("group_commits", syncs);
      m.put("events_per_group_commit", events.get() / (double) Math.max(1, syncs));
      m.put("record_bytes", recordBytes);
      put("spool.throughput", m);
      System.out.printf("    spool: %,.0f events/s with %d writers, %.1f events per fdatasync%n", events.get() / secs, threads, events.get() / (double) Math.max(1, syncs));
    }
  }

  static void sleepNanos(long n) {
    LockSupport.parkNanos(n);
  }

  static ListenableFuture<?> none() {
    return com.google.common.util.concurrent.Futures.immediateFuture(null);
  }
}
