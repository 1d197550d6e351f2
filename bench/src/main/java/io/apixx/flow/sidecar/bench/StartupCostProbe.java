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
 *   <li>{@code log+config}: both, as every daemon start does.
 * </ul>
 *
 * <p>Run: {@code java -cp bench/target/classes:$(cat bench/target/classpath.txt)
 * io.apixx.flow.sidecar.bench.StartupCostProbe}. A tuning aid, not part of {@code make bench}.
 */
public final class StartupCostProbe {
  private static final List<String> MODES = List.of("none", "yaml", "log", "config", "log+config");

  private StartupCostProbe() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("--child")) {
      child(args[1]);
      return;
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = System.getProperty("java.class.path");
    for (String mode : MODES) {
      List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-Xms32m", "-Xmx32m", "-Xmn8m", "-XX:+AlwaysPreTouch",
          "-Xss512k", "-XX:TieredStopAtLevel=1", "-cp", cp, StartupCostProbe.class.getName(), "--child", mode));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().put("MALLOC_ARENA_MAX", "2");
      Process p = pb.start();
      String result = null;
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          if (line.startsWith("probe ")) {
            result = line;
          }
        }
      }
      if (p.waitFor() != 0 || result == null) {
        throw new IllegalStateException("mode " + mode + " failed (exit " + p.exitValue() + ")");
      }
      System.out.println(result);
    }
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
  }
}
