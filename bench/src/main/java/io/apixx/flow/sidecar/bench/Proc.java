package io.apixx.flow.sidecar.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A daemon process of the packaged distribution, its output in a log file, its /proc figures. */
final class Proc implements AutoCloseable {
  static final Pattern READY =
      Pattern.compile("SERVING on unix://(\\S+)(?: and (\\S+):(\\d+))?(?: \\(metrics (\\S+)\\))?");

  final String name;
  final Process process;
  final Path out;
  final Path err;
  final long startNanos;
  Matcher ready;
  double secondsToReady;

  private Proc(String name, Process process, Path out, Path err, long startNanos) {
    this.name = name;
    this.process = process;
    this.out = out;
    this.err = err;
    this.startNanos = startNanos;
  }

  static Proc launch(String name, Path dir, Path logs, Map<String, String> env, List<String> cmd) throws IOException {
    Path out = logs.resolve(name + ".out");
    Path err = logs.resolve(name + ".err");
    Files.deleteIfExists(out);
    Files.deleteIfExists(err);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    pb.environment().putAll(env);
    pb.redirectOutput(out.toFile());
    pb.redirectError(err.toFile());
    long start = System.nanoTime();
    return new Proc(name, pb.start(), out, err, start);
  }

  Proc awaitReady(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String text = Files.exists(out) ? Files.readString(out) : "";
      Matcher m = READY.matcher(text);
      if (m.find()) {
        secondsToReady = (System.nanoTime() - startNanos) / 1e9;
        ready = m;
        return this;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + " before SERVING; see " + err);
      }
      Thread.sleep(5);
    }
    throw new IllegalStateException(name + " not SERVING within " + timeout + "; see " + err);
  }

  Path socket() {
    return Path.of(ready.group(1));
  }

  String tcpHost() {
    return ready.group(2);
  }

  int tcpPort() {
    return Integer.parseInt(ready.group(3));
  }

  String metricsUrl() {
    return ready.group(4);
  }

  long pid() {
    return process.pid();
  }

  /** Resident set size in bytes (VmRSS). */
  long rssBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  /** User + system CPU seconds so far (clock ticks of 1/100 s). */
  double cpuSeconds() throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid() + "/stat"), StandardCharsets.US_ASCII);
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // After the command: state is f[0]; utime is field 14 of the line, f[11]; stime f[12].
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
  }

  /** Heap in use (bytes) from the daemon's Prometheus endpoint: jvm_memory_used_bytes{area="heap"}. */
  long heapUsedBytes() {
    if (metricsUrl() == null) {
      return -1;
    }
    try {
      java.net.http.HttpClient c = java.net.http.HttpClient.newHttpClient();
      String body = c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(metricsUrl())).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      for (String line : body.split("\n")) {
        if (line.startsWith("jvm_memory_used_bytes{area=\"heap\"")) {
          return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    } catch (Exception e) {
      return -1;
    }
    return -1;
  }

  /** SIGTERM, then wait. */
  int stop(Duration timeout) throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    stop(Duration.ofSeconds(15));
  }
}
