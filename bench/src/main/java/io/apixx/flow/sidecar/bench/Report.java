package io.apixx.flow.sidecar.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** Targets (met / not met, with the figures), report.json, report.md, latency.svg, the summary table. */
final class Report {
  private Report() {}

  /** One target: its statement, the measured value, the limit it is held to, and the verdict. */
  record Target(String issue, String statement, Double value, Double limit, String unit, String figures) {
    String verdict() {
      if (value == null || limit == null || value.isNaN() || limit.isNaN()) {
        return "not measured";
      }
      return value <= limit ? "met" : "not met";
    }
  }

  @SuppressWarnings("unchecked")
  static Double get(Map<String, Object> figures, String path) {
    Object o = figures;
    for (String p : path.split("\\.")) {
      if (!(o instanceof Map<?, ?> m) || !m.containsKey(p)) {
        return null;
      }
      o = ((Map<String, Object>) m).get(p);
    }
    return o instanceof Number n ? n.doubleValue() : null;
  }

  static String f(Double v) {
    if (v == null || v.isNaN()) {
      return "n/a";
    }
    double a = Math.abs(v);
    return String.format(Locale.ROOT, a >= 1000 ? "%,.0f" : a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.2f", v);
  }

  static Double ratio(Double a, Double b) {
    return a == null || b == null || b == 0 ? null : a / b;
  }

  static Double sum(Double... v) {
    double s = 0;
    for (Double d : v) {
      if (d == null) {
        return null;
      }
      s += d;
    }
    return s;
  }

  static Double times(Double a, double k) {
    return a == null ? null : a * k;
  }

  static List<Target> targets(Map<String, Object> fig) {
    List<Target> t = new ArrayList<>();
    Double noop = get(fig, "daemon.noop_unix.c1.p50_us");
    Double noopTp = get(fig, "daemon.noop_unix.c64.throughput_per_s");
    Double fsync = get(fig, "daemon.fdatasync.c1.p50_us");
    Double warm = get(fig, "daemon.get_credential_warm.c1.p50_us");
    Double warmTp = get(fig, "daemon.get_credential_warm.c64.throughput_per_s");
    Double validate = get(fig, "daemon.validate_session.c1.p50_us");
    Double cold = get(fig, "daemon.get_credential_cold.c1.p50_us");
    Double read = get(fig, "daemon.bare_point_read.c1.p50_us");
    Double unwrap = get(fig, "unwrap.local_keyring_unwrap_p50_us");
    t.add(new Target("8", "warm GetCredential p50 <= no-op p50 + one fdatasync p50", warm, sum(noop, fsync), "us",
        "GetCredential " + f(warm) + " us; no-op " + f(noop) + " + fdatasync " + f(fsync) + " = " + f(sum(noop, fsync)) + " us; ratio " + f(ratio(warm, sum(noop, fsync)))
            + " (fdatasync of a record-sized write into reserved space, as the spool writes; a growing append: " + f(get(fig, "daemon.fdatasync_append.c1.p50_us")) + " us)"));
    Double tpRatio = ratio(warmTp, noopTp);
    t.add(new Target("8", "GetCredential throughput at 64 in flight >= 0.7x no-op's", tpRatio == null ? null : 0.7, tpRatio, "x",
        "GetCredential " + f(warmTp) + "/s; no-op " + f(noopTp) + "/s; ratio " + f(tpRatio) + " (target >= 0.70)"));
    t.add(new Target("8, 5", "cached ValidateSession p50 <= 1.3x no-op p50", ratio(validate, noop), 1.3, "x",
        "ValidateSession " + f(validate) + " us; no-op " + f(noop) + " us; ratio " + f(ratio(validate, noop))));
    Double coldLimit = sum(read, times(noop, 2), unwrap);
    t.add(new Target("8", "cold GetCredential p50 <= bare point read p50 + 2x no-op p50 + unwrap", cold, coldLimit, "us",
        "cold " + f(cold) + " us; read " + f(read) + " + 2x no-op " + f(times(noop, 2)) + " + unwrap " + f(unwrap) + " = " + f(coldLimit) + " us; ratio " + f(ratio(cold, coldLimit))));
    Double rssLoad = get(fig, "footprint.steady_2000_rss_max_mib");
    Double rssIdle = get(fig, "footprint.idle_rss_mib");
    t.add(new Target("8", "RSS <= 128 MiB under 2,000 calls/s", rssLoad, 128.0, "MiB", "max RSS " + f(rssLoad) + " MiB at " + f(get(fig, "footprint.steady_2000_achieved_per_s")) + " calls/s"));
    t.add(new Target("8", "RSS <= 96 MiB idle", rssIdle, 96.0, "MiB", "idle RSS " + f(rssIdle) + " MiB"));
    Double start = get(fig, "startup.without_aot_median_s");
    Double startAot = get(fig, "startup.with_aot_median_s");
    t.add(new Target("8", "start to SERVING <= 1.5 s", start, 1.5, "s", "median " + f(start) + " s"));
    t.add(new Target("8", "start to SERVING with the AOT cache <= 1.0 s", startAot, 1.0, "s", "median " + f(startAot) + " s"));
    Double tr = get(fig, "tenant_read.tenantRead_p50_us");
    Double br = get(fig, "tenant_read.bareRead_p50_us");
    t.add(new Target("3", "tenant-scoped point read <= 1.5x bare point read", ratio(tr, br), 1.5, "x",
        "tenantRead " + f(tr) + " us; bareRead " + f(br) + " us; ratio " + f(ratio(tr, br)) + " (client and database pinned to one CPU;"
            + " unpinned " + f(get(fig, "tenant_read.unpinned.tenantRead_p50_us")) + " vs " + f(get(fig, "tenant_read.unpinned.bareRead_p50_us"))
            + " us, ratio " + f(ratio(get(fig, "tenant_read.unpinned.tenantRead_p50_us"), get(fig, "tenant_read.unpinned.bareRead_p50_us"))) + ")"));
    Double env = get(fig, "aead.envelopeOpen.median_iteration_ns");
    Double raw = get(fig, "aead.rawJceDecrypt.median_iteration_ns");
    t.add(new Target("4", "AEAD decrypt of 1 KiB <= 1.1x raw JCE AES-GCM", ratio(env, raw), 1.1, "x",
        "envelope " + f(env) + " ns; raw JCE " + f(raw) + " ns (median 1 s iteration); ratio " + f(ratio(env, raw))));
    Double ipWarm = get(fig, "in_process.get_credential_warm_p50_us");
    Double ipNoop = get(fig, "in_process.noop_p50_us");
    t.add(new Target("4", "warm GetCredential in-process <= 1.5x in-process no-op RPC", ratio(ipWarm, ipNoop), 1.5, "x",
        "GetCredential " + f(ipWarm) + " us; no-op " + f(ipNoop) + " us; ratio " + f(ratio(ipWarm, ipNoop))
            + " (the release waits for its audit record's fdatasync, " + f(get(fig, "in_process.fdatasync_p50_us")) + " us bare on the same disk;"
            + " against no-op + fdatasync: " + f(ratio(ipWarm, sum(ipNoop, get(fig, "in_process.fdatasync_p50_us")))) + ")"));
    Double idleP99 = get(fig, "daemon.login_storm.validate_session_idle_c1.p99_us");
    Double stormP99 = get(fig, "daemon.login_storm.validate_session_during_storm_c1.p99_us");
    t.add(new Target("5", "ValidateSession p99 during 200 concurrent Logins <= 2x idle p99", ratio(stormP99, idleP99), 2.0, "x",
        "during " + f(stormP99) + " us; idle " + f(idleP99) + " us; ratio " + f(ratio(stormP99, idleP99))));
    Double spoolTp = get(fig, "spool.throughput.events_per_s");
    t.add(new Target("6", "audit spool throughput with group commit >= 50,000 events/s", spoolTp == null ? null : 50_000.0, spoolTp, "events/s",
        f(spoolTp) + " events/s (" + f(get(fig, "spool.throughput.events_per_group_commit")) + " events per fdatasync)"));
    Double rel = get(fig, "spool.spool_release_c1.c1.p50_us");
    Double bare = get(fig, "spool.fdatasync_same_size.c1.p50_us");
    t.add(new Target("6", "latency a release pays for durability <= 1.5x bare fdatasync of the same size", ratio(rel, bare), 1.5, "x",
        "release p50 " + f(rel) + " us; fdatasync p50 " + f(bare) + " us; ratio " + f(ratio(rel, bare))));
    return t;
  }

  static void write(Path dir, Map<String, Object> figures, Map<String, Histogram> plotted) throws IOException {
    List<Target> targets = targets(figures);
    List<Map<String, Object>> tj = new ArrayList<>();
    for (Target t : targets) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("issue", t.issue());
      m.put("target", t.statement());
      m.put("verdict", t.verdict());
      m.put("figures", t.figures());
      tj.add(m);
    }
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("targets", tj);
    all.putAll(figures);
    ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    Files.writeString(dir.resolve("report.json"), om.writeValueAsString(all) + "\n");
    Files.writeString(dir.resolve("latency.svg"), Svg.percentiles(plotted));

    StringBuilder md = new StringBuilder();
    @SuppressWarnings("unchecked")
    Map<String, Object> machine = (Map<String, Object>) figures.get("machine");
    @SuppressWarnings("unchecked")
    Map<String, Object> run = (Map<String, Object>) figures.get("run");
    md.append("# Flow Sidecar benchmark report\n\n");
    md.append("Run ").append(run.get("started")).append(", ").append(f(get(figures, "run.seconds"))).append(" s")
        .append(Boolean.TRUE.equals(run.get("quick")) ? " — **BENCH_QUICK=1 smoke run: figures not for quoting**" : "").append(".\n");
    md.append("Machine: ").append(machine.get("nproc")).append(" CPUs (").append(machine.get("cpu_model")).append("), ")
        .append(machine.get("mem_total")).append(", ").append(machine.get("jdk")).append(", ").append(machine.get("os")).append(".\n");
    md.append(machine.get("note")).append(".\n\n");
    md.append("## Targets\n\n| issue | target | verdict | figures |\n|---|---|---|---|\n");
    for (Target t : targets) {
      md.append("| ").append(t.issue()).append(" | ").append(t.statement()).append(" | **").append(t.verdict()).append("** | ").append(t.figures()).append(" |\n");
    }
    md.append("\n## Paths and floors (end to end, packaged daemon)\n\n");
    md.append("1 in flight: p50 / p99 / p99.9 in µs; 64 in flight: calls/s and p99 in µs. HdrHistogram; every path after a warm-up, "
        + "measured in 3 rounds interleaved with its floors (each round: every path once at 1, then at 64 in flight). "
        + "Daemon CPU/call: the daemon process's user + system CPU time (from /proc) while the path ran, divided by its calls, in µs; "
        + "n/a for the floors the bench process serves itself (point read, fdatasync).\n\n");
    md.append("| path | c1 p50 | c1 p99 | c1 p99.9 | c64 calls/s | c64 p99 | daemon CPU/call c1, c64 | errors |\n|---|---|---|---|---|---|---|---|\n");
    @SuppressWarnings("unchecked")
    Map<String, Object> daemon = (Map<String, Object>) figures.getOrDefault("daemon", Map.of());
    for (var e : daemon.entrySet()) {
      if (e.getValue() instanceof Map<?, ?> m && m.containsKey("c1") && !e.getKey().startsWith("login")) {
        String k = "daemon." + e.getKey();
        md.append("| ").append(e.getKey()).append(" | ").append(f(get(figures, k + ".c1.p50_us"))).append(" | ").append(f(get(figures, k + ".c1.p99_us")))
            .append(" | ").append(f(get(figures, k + ".c1.p999_us"))).append(" | ").append(f(get(figures, k + ".c64.throughput_per_s")))
            .append(" | ").append(f(get(figures, k + ".c64.p99_us"))).append(" | ")
            .append(f(get(figures, k + ".c1.daemon_cpu_us_per_call"))).append(", ").append(f(get(figures, k + ".c64.daemon_cpu_us_per_call"))).append(" | ")
            .append(f0(get(figures, k + ".c1.errors"))).append(" / ").append(f0(get(figures, k + ".c64.errors"))).append(" |\n");
      }
    }
    md.append("\nLogin (bcrypt 12): c1 p50 ").append(f(times(get(figures, "daemon.login.c1.p50_us"), 1e-3))).append(" ms; ")
        .append(f(get(figures, "daemon.login.logins_per_s_per_core"))).append(" logins/s per core (")
        .append(f(get(figures, "daemon.login.cores"))).append(" cores).\n\n");
    md.append("![latency percentiles](latency.svg)\n\n");
    md.append("## Every figure\n\nThe same as report.json, flattened.\n\n| figure | value |\n|---|---|\n");
    flatten("", figures, md);
    md.append("\n");
    Files.writeString(dir.resolve("report.md"), md.toString());

    // The summary table on standard output.
    System.out.println();
    System.out.println("================ flow-sidecar benchmark summary ================");
    System.out.printf("machine: %s CPUs, %s, %s%n", machine.get("nproc"), machine.get("cpu_model"), machine.get("jdk"));
    for (Target t : targets) {
      System.out.printf("[%-12s] issue %-5s %s%n               %s%n", t.verdict(), t.issue(), t.statement(), t.figures());
    }
    System.out.printf("footprint: idle RSS %s MiB, heap %s MiB; at 2,000/s RSS max %s MiB, heap max %s MiB; CPU %s s per 1,000 calls%n",
        f(get(figures, "footprint.idle_rss_mib")), f(get(figures, "footprint.idle_heap_used_mib")), f(get(figures, "footprint.steady_2000_rss_max_mib")),
        f(get(figures, "footprint.steady_2000_heap_used_max_mib")), f(get(figures, "footprint.cpu_seconds_per_1000_calls")));
    System.out.printf("collector: %s events/s per replica; release -> stored p50 %s ms, p99 %s ms%n",
        f(get(figures, "collector.ingest_events_per_s_per_replica")), f(get(figures, "collector.delivery_delay.p50_ms")), f(get(figures, "collector.delivery_delay.p99_ms")));
    System.out.printf("login: %s logins/s per core; c1 p50 %s ms%n", f(get(figures, "daemon.login.logins_per_s_per_core")), f(times(get(figures, "daemon.login.c1.p50_us"), 1e-3)));
    System.out.println("report: bench/results/report.md, report.json, latency.svg");
    if (run.get("problems") instanceof List<?> p && !p.isEmpty()) {
      System.out.println("PROBLEMS: " + p);
    }
  }

  static String f0(Double v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.0f", v);
  }

  @SuppressWarnings("unchecked")
  static void flatten(String prefix, Map<String, Object> m, StringBuilder md) {
    for (var e : m.entrySet()) {
      String k = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      if (e.getValue() instanceof Map<?, ?> sub) {
        flatten(k, (Map<String, Object>) sub, md);
      } else if (e.getValue() instanceof Number n) {
        md.append("| ").append(k).append(" | ").append(f(n.doubleValue())).append(" |\n");
      } else {
        md.append("| ").append(k).append(" | ").append(String.valueOf(e.getValue()).replace("|", "\\|")).append(" |\n");
      }
    }
  }
}
