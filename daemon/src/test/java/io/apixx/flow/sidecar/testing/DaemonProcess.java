package io.apixx.flow.sidecar.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged daemon ({@code daemon/target/flow-sidecar}) running as a separate OS process, for
 * end-to-end tests. Standard output and error go to {@code target/e2e-logs/<name>.{out,err}}, which
 * the log-canary check scans after the suite.
 */
public final class DaemonProcess implements AutoCloseable {
  private static final Pattern READY =
      Pattern.compile("SERVING on unix://(\\S+)(?: and (\\S+:\\d+))?(?: \\(metrics (\\S+)\\))?");

  private final Process process;
  private final Path out;
  private final Path err;
  private final long startNanos;
  private String readyLine;
  private Duration timeToReady;

  private DaemonProcess(Process process, Path out, Path err, long startNanos) {
    this.process = process;
    this.out = out;
    this.err = err;
    this.startNanos = startNanos;
  }

  /** The unpacked distribution: {@code bin/flow-sidecar} and {@code lib/}. */
  public static Path distDir() {
    String configured = System.getProperty("flow.dist.dir");
    Path dir = configured != null ? Path.of(configured) : Path.of("target/flow-sidecar");
    if (!Files.isExecutable(dir.resolve("bin/flow-sidecar"))) {
      throw new IllegalStateException("no packaged daemon at " + dir.toAbsolutePath() + "; run `mvn package` first");
    }
    return dir.toAbsolutePath();
  }

  /** Where process logs go. */
  public static Path logDir() throws IOException {
    return Files.createDirectories(Path.of("target/e2e-logs").toAbsolutePath());
  }

  /** Runs {@code bin/flow-sidecar args...} in {@code workDir}. Does not wait for anything. */
  public static DaemonProcess launch(String name, Path workDir, Map<String, String> env, List<String> args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(distDir().resolve("bin/flow-sidecar").toString());
    cmd.addAll(args);
    return launchCommand(name, workDir, env, cmd);
  }

  /**
   * Runs a test launcher class from the test classpath with the distribution's libraries, for
   * tests that need an extra service inside an otherwise real daemon process.
   */
  public static DaemonProcess launchJava(String name, Path workDir, String mainClass, List<String> args)
      throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    String cp = distDir().resolve("lib") + File.separator + "*" + File.pathSeparator + Path.of("target/test-classes").toAbsolutePath();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx128m", "-cp", cp, mainClass));
    cmd.addAll(args);
    return launchCommand(name, workDir, Map.of(), cmd);
  }

  private static DaemonProcess launchCommand(String name, Path workDir, Map<String, String> env, List<String> cmd)
      throws IOException {
    Path out = logDir().resolve(name + ".out");
    Path err = logDir().resolve(name + ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
    pb.environment().putAll(env);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()));
    pb.redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()));
    long size = Files.exists(out) ? Files.size(out) : 0;
    long errSize = Files.exists(err) ? Files.size(err) : 0;
    long start = System.nanoTime();
    DaemonProcess p = new DaemonProcess(pb.start(), out, err, start);
    p.outOffset = size;
    p.errOffset = errSize;
    return p;
  }

  // Log files are appended across runs; each process reads only what it wrote.
  private long outOffset;
  private long errOffset;

  /** Waits for the ready line on standard output; fails with the daemon's stderr if it exits. */
  public DaemonProcess awaitReady(Duration timeout) throws IOException, InterruptedException {
    awaitLine(READY, timeout);
    return this;
  }

  /**
   * Waits until standard output matches {@code pattern} (e.g. the collector's ready line, {@code
   * flow-sidecar collector SERVING on (\S+)}), records it as the ready line and returns the match;
   * fails with the process's stderr if it exits first.
   */
  public Matcher awaitLine(Pattern pattern, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher m = pattern.matcher(stdout());
      if (m.find()) {
        readyLine = m.group();
        timeToReady = Duration.ofNanos(System.nanoTime() - startNanos);
        return m;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("daemon exited with " + process.exitValue() + " before SERVING:\n" + stderr());
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("daemon not SERVING within " + timeout + ":\n" + stderr());
  }

  private Matcher ready() {
    if (readyLine == null) {
      throw new IllegalStateException("not ready yet");
    }
    Matcher m = READY.matcher(readyLine);
    m.find();
    return m;
  }

  /** The ready line as printed. */
  public String readyLine() {
    return readyLine;
  }

  /** From process start (JVM start included) to the ready line. */
  public Duration timeToReady() {
    return timeToReady;
  }

  public Path socket() {
    return Path.of(ready().group(1));
  }

  /** {@code host:port} of the TCP listener, when there is one. */
  public Optional<String> tcpTarget() {
    return Optional.ofNullable(ready().group(2));
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Sends SIGTERM. */
  public void terminate() {
    process.destroy();
  }

  /** Sends SIGKILL. */
  public void kill() {
    process.destroyForcibly();
  }

  /** Waits for exit and returns the status, or throws if it does not exit in time. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("daemon did not exit within " + timeout);
    }
    return process.exitValue();
  }

  public String stdout() throws IOException {
    return tail(out, outOffset);
  }

  public String stderr() throws IOException {
    return tail(err, errOffset);
  }

  private static String tail(Path file, long offset) throws IOException {
    if (!Files.exists(file)) {
      return "";
    }
    byte[] all = Files.readAllBytes(file);
    int from = (int) Math.min(all.length, offset);
    return new String(all, from, all.length - from, StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  /** Runs a short command of the distribution to completion and returns exit status and output. */
  public static Result run(String name, Path workDir, Map<String, String> env, List<String> args, Duration timeout)
      throws IOException, InterruptedException {
    DaemonProcess p = launch(name, workDir, env, args);
    int code = p.awaitExit(timeout);
    return new Result(code, p.stdout(), p.stderr());
  }

  /** Exit status and output of {@link #run}. */
  public record Result(int exitCode, String stdout, String stderr) {}
}
