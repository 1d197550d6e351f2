package io.apixx.flow.sidecar.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * SECURITY.md promises that each claim names the test that proves it. This keeps the promise
 * honest: every {@code `Class`} or {@code `Class#method`} reference in it must name a test class
 * that exists in the repository and, when a method is given, a method of that class.
 */
class SecurityDocTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  // `path/ClassTest#method`, `ClassIT`, `helm/…/SidecarPodTest#x`, also inside longer code spans.
  private static final Pattern REF =
      Pattern.compile("(?<![\\w])([A-Z][A-Za-z0-9]*(?:Test|IT|Scan|FakeVaultServer))(?:#([a-z][A-Za-z0-9_]*))?");

  static Map<String, Path> testSources() throws IOException {
    Map<String, Path> byName = new HashMap<>();
    for (String module : List.of("daemon", "helm", "client-stubs", "bench")) {
      Path src = ROOT.resolve(module);
      if (!Files.isDirectory(src)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(src)) {
        files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/test/"))
            .forEach(p -> byName.put(p.getFileName().toString().replace(".java", ""), p));
      }
    }
    return byName;
  }

  static List<String> unresolved(String doc, Map<String, Path> sources) throws IOException {
    List<String> missing = new ArrayList<>();
    Matcher code = Pattern.compile("`([^`]+)`").matcher(doc);
    while (code.find()) {
      Matcher m = REF.matcher(code.group(1));
      while (m.find()) {
        Path file = sources.get(m.group(1));
        if (file == null) {
          missing.add(m.group(0) + " (no such test class)");
        } else if (m.group(2) != null
            && !Pattern.compile("void\\s+" + Pattern.quote(m.group(2)) + "\\s*\\(").matcher(Files.readString(file)).find()) {
          missing.add(m.group(0) + " (no such method)");
        }
      }
    }
    return missing;
  }

  @Test
  void securityMd_everyTestReference_existsInTheRepository() throws IOException {
    String doc = Files.readString(ROOT.resolve("SECURITY.md"));
    Map<String, Path> sources = testSources();
    assertThat(REF.matcher(doc).results().count()).as("test references in SECURITY.md").isGreaterThan(50);
    assertThat(unresolved(doc, sources)).isEmpty();
  }

  @Test
  void unresolved_misspelledMethodOrClass_reported() throws IOException {
    Map<String, Path> sources = testSources();
    assertThat(unresolved("`TotpTest#noSuchMethod` and `NoSuchTest`", sources))
        .containsExactly("TotpTest#noSuchMethod (no such method)", "NoSuchTest (no such test class)");
  }
}
