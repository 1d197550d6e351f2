package io.apixx.flow.sidecar.bench;

import io.apixx.flow.sidecar.persistence.Database;
import io.apixx.flow.sidecar.persistence.DatabaseTestAccess;
import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.testing.Fixtures;
import io.apixx.flow.sidecar.testing.PostgresHarness;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Issue 3's acceptance figure: the cost of a tenant-scoped point read against a bare point read
 * of the same row, in the same run, against the embedded PostgreSQL of the test harness.
 *
 * <ul>
 *   <li>{@code bareRead}: plain JDBC, one prepared SELECT by primary key in autocommit, on a
 *       {@link Database} pool that connects as a role without row level security (the superuser;
 *       the owner cannot serve: the tables FORCE row level security);
 *   <li>{@code tenantRead}: the same SELECT through {@code TenantScope.inTenantStatement} on the
 *       daemon's pool as flow_app: tenant and actor set in the same round trip, row level
 *       security applied. The target is at most 1.5 times {@code bareRead};
 *   <li>{@code tenantReadTransaction}: the same through {@code TenantScope.inTenant} (BEGIN,
 *       settings and SELECT in one round trip, COMMIT in a second), for comparison.
 * </ul>
 *
 * Both pools are built by {@link Database#open} with the same settings (2 connections), so the
 * pool, driver and network path are identical. Run: {@code java -cp <bench classpath>
 * io.apixx.flow.sidecar.bench.TenantReadBenchmark} (prints the ratio), or through JMH's Main.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
public class TenantReadBenchmark {
  private static final String SQL = "SELECT display_name FROM flow.connectors WHERE tenant_id = ? AND id = ?";
  private static final DbActor ACTOR = DbActor.run("bench-run");

  private Database bare;
  private Database app;
  private String tenant;

  @Setup(Level.Trial)
  public void setUp() {
    PostgresHarness pg = PostgresHarness.shared();
    tenant = Fixtures.uniqueTenantId("bench");
    pg.fixtures().tenant(tenant);
    pg.fixtures().connector(tenant, "github");
    bare = Database.open(pg.superuserConfig());
    app = Database.open(pg.config());
    if (!"Connector github".equals(bareRead()) || !"Connector github".equals(tenantRead())) {
      throw new IllegalStateException("both reads must return the same row");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    bare.close();
    app.close();
  }

  @Benchmark
  public String bareRead() {
    return DatabaseTestAccess.withRawConnection(
        bare,
        c -> {
          try (PreparedStatement ps = c.prepareStatement(SQL)) {
            ps.setString(1, tenant);
            ps.setString(2, "github");
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? rs.getString(1) : null;
            }
          }
        });
  }

  @Benchmark
  public String tenantRead() {
    return app.tenants()
        .inTenantStatement(
            tenant, ACTOR, tx -> tx.queryOne(SQL, r -> r.getString("display_name"), tenant, "github").orElse(null));
  }

  @Benchmark
  public String tenantReadTransaction() {
    return app.tenants()
        .inTenant(tenant, ACTOR, tx -> tx.queryOne(SQL, r -> r.getString("display_name"), tenant, "github").orElse(null));
  }

  /**
   * Runs the three benchmarks and prints each one's ratio to {@code bareRead}. With the single
   * argument {@code paired}, instead interleaves the three reads one by one in one JVM and prints
   * the ratio of their median latencies: robust to load that changes while JMH runs the
   * benchmarks one after the other (a shared build machine). {@code make bench} runs the paired
   * form under {@code taskset -c 0} (see {@link Micro#tenantRead}).
   */
  public static void main(String[] args) throws RunnerException, CommandLineOptionException {
    if (args.length >= 1 && args[0].equals("paired")) {
      Map<String, Double> medians = paired(args.length > 1 ? Integer.parseInt(args[1]) : 50_000);
      medians.forEach((k, v) -> System.out.printf(java.util.Locale.ROOT, "median %s %.3f%n", k, v));
      System.exit(0); // the shared test PostgreSQL stops with the JVM
    }
    Collection<RunResult> results =
        new Runner(
                new OptionsBuilder()
                    .parent(new CommandLineOptions(args)) // JMH flags, e.g. -wi 5 -i 10 -f 2
                    .include(TenantReadBenchmark.class.getName() + "\\.")
                    .build())
            .run();
    Map<String, Double> score = new TreeMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark();
      score.put(name.substring(name.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
    }
    print(score);
  }

  private static void print(Map<String, Double> microsPerOp) {
    double base = microsPerOp.get("bareRead");
    microsPerOp.forEach((name, us) -> System.out.printf("%-22s %8.1f us/op  %.2fx bareRead%n", name, us, us / base));
  }

  /** Interleaved reads, {@code rounds} of each; returns the median microseconds per read kind. */
  static Map<String, Double> paired(int rounds) {
    TenantReadBenchmark b = new TenantReadBenchmark();
    b.setUp();
    try {
      Map<String, java.util.function.Supplier<String>> reads = new TreeMap<>();
      reads.put("bareRead", b::bareRead);
      reads.put("tenantRead", b::tenantRead);
      reads.put("tenantReadTransaction", b::tenantReadTransaction);
      Map<String, long[]> nanos = new TreeMap<>();
      reads.keySet().forEach(k -> nanos.put(k, new long[rounds]));
      for (int warm = 0; warm < 5_000; warm++) {
        reads.values().forEach(java.util.function.Supplier::get);
      }
      // One read of each kind per round: load that comes and goes hits all three alike. The
      // order is shuffled every round: on this VM a round trip costs 35 to 120 us depending on
      // whether the database backend's vCPU was idle (an IPI to wake it), and in a fixed order
      // each kind always follows the same other kind, which skewed the ratio either way
      // (measured: 2.05x with bareRead always first, 0.82x with the order shuffled).
      java.util.List<Map.Entry<String, java.util.function.Supplier<String>>> order =
          new java.util.ArrayList<>(reads.entrySet());
      java.util.Random shuffle = new java.util.Random(42);
      for (int r = 0; r < rounds; r++) {
        java.util.Collections.shuffle(order, shuffle);
        for (Map.Entry<String, java.util.function.Supplier<String>> e : order) {
          long t0 = System.nanoTime();
          e.getValue().get();
          nanos.get(e.getKey())[r] = System.nanoTime() - t0;
        }
      }
      Map<String, Double> medians = new TreeMap<>();
      nanos.forEach((k, v) -> {
        java.util.Arrays.sort(v);
        medians.put(k, v[v.length / 2] / 1_000.0);
      });
      System.out.println("paired: " + rounds + " interleaved rounds in shuffled order, median latency per read");
      print(medians);
      return medians;
    } finally {
      b.tearDown();
    }
  }
}
