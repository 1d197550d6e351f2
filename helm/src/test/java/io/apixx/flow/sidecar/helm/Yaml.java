package io.apixx.flow.sidecar.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Reads rendered configuration files (plain YAML, not Kubernetes objects) into trees. */
final class Yaml {
  static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory());

  private Yaml() {}

  static JsonNode tree(String yaml) {
    try {
      return MAPPER.readTree(yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The node at a dotted path, e.g. {@code server.socket_path}; a missing node when absent. */
  static JsonNode at(JsonNode root, String dottedPath) {
    return root.at("/" + dottedPath.replace('.', '/'));
  }
}
