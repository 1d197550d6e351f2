package io.apixx.flow.sidecar.helm;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** The manifests of one {@code helm template} run, parsed into typed fabric8 objects. Immutable. */
final class Rendered {
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");

  private final String yaml;
  private final List<HasMetadata> objects;

  private Rendered(String yaml, List<HasMetadata> objects) {
    this.yaml = yaml;
    this.objects = List.copyOf(objects);
  }

  /** Parses multi-document YAML; documents holding only comments are skipped. */
  static Rendered parse(String yaml) {
    List<HasMetadata> out = new ArrayList<>();
    for (String doc : DOCUMENT_SEPARATOR.split(yaml)) {
      boolean empty = doc.lines().map(String::strip).allMatch(l -> l.isEmpty() || l.startsWith("#"));
      if (empty) {
        continue;
      }
      Object parsed = SERIALIZATION.unmarshal(doc);
      if (!(parsed instanceof HasMetadata object)) {
        throw new IllegalArgumentException("not a Kubernetes object: " + doc);
      }
      out.add(object);
    }
    return new Rendered(yaml, out);
  }

  /** The raw YAML Helm produced. */
  String yaml() {
    return yaml;
  }

  List<HasMetadata> all() {
    return objects;
  }

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
    return all(type).stream().filter(o -> name.equals(o.getMetadata().getName())).findFirst();
  }

  /** The object of that type and name; fails the test when it was not rendered. */
  <T extends HasMetadata> T one(Class<T> type, String name) {
    return find(type, name)
        .orElseThrow(
            () -> new AssertionError("no " + type.getSimpleName() + " named " + name + " in:\n" + names()));
  }

  /** The example executor Deployment (rendered when example.enabled). */
  Deployment executor() {
    return one(Deployment.class, Chart.FULLNAME + "-example-executor");
  }

  /** The collector Deployment (rendered when collector.enabled). */
  Deployment collector() {
    return one(Deployment.class, Chart.FULLNAME + "-collector");
  }

  /** The sidecar's daemon configuration file, as rendered into its ConfigMap. */
  String sidecarConfig() {
    return one(ConfigMap.class, Chart.FULLNAME + "-config").getData().get("sidecar.yaml");
  }

  /** The collector's daemon configuration file, as rendered into its ConfigMap. */
  String collectorConfig() {
    return one(ConfigMap.class, Chart.FULLNAME + "-collector-config").getData().get("collector.yaml");
  }

  List<String> names() {
    return objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList();
  }
}
