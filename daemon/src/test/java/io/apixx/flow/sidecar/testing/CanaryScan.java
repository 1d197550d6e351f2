package io.apixx.flow.sidecar.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The suite-wide log-canary check, run by {@code make test} after every test has run. It reads
 * every registered secret ({@link Canaries}) and scans, for each of them (raw, base64, base64url,
 * hex) and for every token-shaped string, all of:
 *
 * <ul>
 *   <li>captured stdout/stderr of every test JVM ({@code *-output.txt} in surefire and failsafe
 *       reports), which includes every log line of the daemons started in process;
 *   <li>the surefire/failsafe XML reports (test failure messages);
 *   <li>{@code target/e2e-logs/*}: every daemon and collector process's stdout and stderr, the
 *       cross-language smoke programs' output, and the status descriptions tests recorded.
 * </ul>
 *
 * Exit status 1 with the places (never the value) when anything is found. Usage:
 * {@code CanaryScan ROOT...}.
 */
public final class CanaryScan {
  /** Shapes that are secret whatever their value. */
  static final List<Pattern> SHAPES =
      List.of(
          Pattern.compile("fs[smt]_[a-z0-9-]{0,63}_?[A-Za-z0-9_-]{43}"),
          Pattern.compile("eyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{20,}"),
          Pattern.compile("\\$2[abxy]\\$\\d{2}\\$[./A-Za-z0-9]{53}"),
          Pattern.compile("otpauth://totp/[^\\s\"']*secret="),
          Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----"));

  private CanaryScan() {}

  public static void main(String[] args) throws IOException {
    List<Path> roots = new ArrayList<>();
    for (String a : args) {
      roots.add(Path.of(a));
    }
    Set<String> needles = new LinkedHashSet<>();
    int registered = 0;
    List<Path> files = new ArrayList<>();
    for (Path root : roots) {
      try (Stream<Path> s = Files.walk(root)) {
        s.filter(Files::isRegularFile).forEach(p -> {
          String name = p.toString();
          if (name.contains("/target/canaries/")) {
            try {
              for (String line : Files.readAllLines(p, StandardCharsets.US_ASCII)) {
                if (!line.isBlank()) {
                  byte[] v = Base64.getDecoder().decode(line.trim());
                  needles.add(new String(v, StandardCharsets.UTF_8));
                  needles.add(Base64.getEncoder().encodeToString(v).replace("=", ""));
                  needles.add(Base64.getUrlEncoder().withoutPadding().encodeToString(v));
                  needles.add(HexFormat.of().formatHex(v));
                }
              }
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          } else if (isScanned(name)) {
            files.add(p);
          }
        });
      }
      try (Stream<Path> s = Files.walk(root)) {
        registered += (int) s.filter(p -> p.toString().contains("/target/canaries/")).count();
      }
    }
    needles.removeIf(n -> n.length() < 8);
    long bytes = 0;
    List<String> hits = new ArrayList<>();
    for (Path f : files) {
      String text = Files.readString(f, StandardCharsets.ISO_8859_1);
      bytes += text.length();
      for (String n : needles) {
        int at = text.indexOf(n);
        if (at >= 0) {
          hits.add(f + ":" + lineOf(text, at) + ": a registered secret (" + n.length() + " chars)");
        }
      }
      for (Pattern p : SHAPES) {
        Matcher m = p.matcher(text);
        if (m.find()) {
          hits.add(f + ":" + lineOf(text, m.start()) + ": a string shaped like a secret (" + p.pattern().substring(0, Math.min(12, p.pattern().length())) + "...)");
        }
      }
    }
    System.out.printf("log-canary scan: %d registered secrets (%d forms), %d shapes, %d files, %d bytes, %d hits%n",
        needles.size() / 4, needles.size(), SHAPES.size(), files.size(), bytes, hits.size());
    if (registered == 0) {
      System.out.println("log-canary scan: no canary registry found: did the tests run?");
      System.exit(1);
    }
    hits.stream().limit(50).forEach(h -> System.out.println("  " + h));
    System.exit(hits.isEmpty() ? 0 : 1);
  }

  private static boolean isScanned(String name) {
    if (!name.contains("/target/")) {
      return false;
    }
    return (name.contains("/surefire-reports/") || name.contains("/failsafe-reports/")) && (name.endsWith("-output.txt") || name.endsWith(".xml"))
        || name.contains("/target/e2e-logs/")
        || name.contains("/target/fuzz/") && name.endsWith(".log");
  }

  private static int lineOf(String text, int offset) {
    int line = 1;
    for (int i = 0; i < offset; i++) {
      if (text.charAt(i) == '\n') {
        line++;
      }
    }
    return line;
  }
}
