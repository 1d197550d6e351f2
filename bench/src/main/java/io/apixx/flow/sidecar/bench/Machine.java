package io.apixx.flow.sidecar.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The machine a run was made on: cores, CPU model, memory, JDK, kernel. */
final class Machine {
  private Machine() {}

  static Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("nproc", Runtime.getRuntime().availableProcessors());
    m.put("cpu_model", grep("/proc/cpuinfo", "model name"));
    m.put("mem_total", grep("/proc/meminfo", "MemTotal"));
    m.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"));
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    m.put("note", "shared 2-core VM; another engineer's test suite may run at the same time, so absolute figures are noisy; targets are ratios against floors measured in the same run");
    return m;
  }

  private static String grep(String file, String key) {
    try {
      for (String line : Files.readAllLines(Path.of(file))) {
        if (line.startsWith(key)) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (Exception e) {
      return "unknown";
    }
    return "unknown";
  }
}
