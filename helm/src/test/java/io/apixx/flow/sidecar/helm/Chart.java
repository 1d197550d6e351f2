package io.apixx.flow.sidecar.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The chart under test ({@code helm/flow-sidecar}), linted and rendered by real Helm (helm-java:
 * Helm 3.16 compiled as a native library). Rendering is client-only, as {@code helm template}: no
 * cluster, Kubernetes version v1.20.0 as far as {@code .Capabilities} is concerned.
 *
 * <p>Not thread-safe: JUnit runs these tests one at a time.
 */
final class Chart {
  /** Release name used for every render; resource names start with {@code demo-flow-sidecar}. */
  static final String RELEASE = "demo";
  /** Namespace used for every render. */
  static final String NAMESPACE = "flow";
  /** {@code <release>-<chart>}. */
  static final String FULLNAME = RELEASE + "-flow-sidecar";

  /** The chart directory: the surefire property, or {@code flow-sidecar} under the module. */
  static final Path DIR =
      Path.of(System.getProperty("flow.chart.dir", "flow-sidecar")).toAbsolutePath().normalize();

  /** Where the notes start in {@code helm install} output. */
  private static final String NOTES_HEADING = "\nNOTES:\n";

  private Chart() {}

  /** {@code helm lint --strict}. */
  static LintResult lintStrict() {
    return new Helm(DIR).lint().strict().call();
  }

  /** Every CI scenario, {@code ci/*-values.yaml}, sorted by file name. */
  static List<Path> scenarioFiles() {
    try (Stream<Path> files = Files.list(DIR.resolve("ci"))) {
      return files.filter(f -> f.getFileName().toString().endsWith("-values.yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The scenario name of a CI file: {@code vault} for {@code ci/vault-values.yaml}. */
  static String scenarioName(Path file) {
    return file.getFileName().toString().replace("-values.yaml", "");
  }

  /** Renders one CI scenario by name, e.g. {@code "vault"}. */
  static Rendered renderScenario(String name) {
    return render(List.of(DIR.resolve("ci").resolve(name + "-values.yaml")), Map.of());
  }

  /** Renders with the given values files (in order) and {@code --set} overrides. */
  static Rendered render(List<Path> valuesFiles, Map<String, String> sets) {
    return Rendered.parse(template(valuesFiles, sets));
  }

  /**
   * The rendered NOTES.txt, as {@code helm install --dry-run} prints it (client-only, no cluster;
   * {@code helm template} leaves NOTES.txt out).
   */
  static String notes(List<Path> valuesFiles, Map<String, String> sets) {
    InstallCommand cmd =
        new Helm(DIR).install().withName(RELEASE).withNamespace(NAMESPACE).clientOnly().dryRun();
    for (Path f : valuesFiles) {
      cmd = cmd.withValuesFile(f);
    }
    for (Map.Entry<String, String> e : sets.entrySet()) {
      cmd = cmd.set(e.getKey(), e.getValue());
    }
    String output = cmd.call().getOutput();
    int start = output.indexOf(NOTES_HEADING);
    if (start < 0) {
      throw new IllegalStateException("no NOTES in helm install --dry-run output:\n" + output);
    }
    return output.substring(start + NOTES_HEADING.length());
  }

  /** The raw {@code helm template} output. Throws {@link IllegalStateException} with Helm's message on failure. */
  static String template(List<Path> valuesFiles, Map<String, String> sets) {
    TemplateCommand cmd = new Helm(DIR).template().withName(RELEASE).withNamespace(NAMESPACE);
    for (Path f : valuesFiles) {
      cmd = cmd.withValuesFile(f);
    }
    for (Map.Entry<String, String> e : sets.entrySet()) {
      cmd = cmd.set(e.getKey(), e.getValue());
    }
    return cmd.call();
  }
}
