package io.apixx.flow.sidecar.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every value is documented: a `## @param` comment, a README row, and a schema property. */
class ValuesDocumentationTest {
  private static final Pattern PARAM = Pattern.compile("(?m)^\\s*## @param (\\S+) \\S.*$");

  private static List<String> params;
  private static JsonNode values;
  private static JsonNode schema;
  private static String readme;

  @BeforeAll
  static void read() throws IOException {
    String text = Files.readString(Chart.DIR.resolve("values.yaml"));
    params = new ArrayList<>();
    Matcher m = PARAM.matcher(text);
    while (m.find()) {
      params.add(m.group(1));
    }
    values = Yaml.tree(text);
    schema = new ObjectMapper().readTree(Chart.DIR.resolve("values.schema.json").toFile());
    readme = Files.readString(Chart.DIR.resolve("README.md"));
  }

  @Test
  void params_valuesYaml_eachNamesAnExistingValue() {
    assertThat(params).hasSizeGreaterThan(100).doesNotHaveDuplicates();
    assertThat(params).allSatisfy(p -> assertThat(Yaml.at(values, p).isMissingNode()).as(p).isFalse());
  }

  @Test
  void values_everyLeaf_documentedByItsOwnOrAnEnclosingParam() {
    List<String> leaves = new ArrayList<>();
    collectLeaves(values, "", leaves);

    assertThat(leaves).isNotEmpty().allSatisfy(leaf -> assertThat(params)
        .as("no ## @param for %s", leaf)
        .anyMatch(p -> leaf.equals(p) || leaf.startsWith(p + ".")));
  }

  @Test
  void readme_everyParam_listedInTheParametersTable() {
    assertThat(params).allSatisfy(p -> assertThat(readme).contains("| `" + p + "` |"));
  }

  @Test
  void schema_everyParam_describedAsAProperty() {
    assertThat(params).allSatisfy(p -> assertThat(schemaNode(p)).as("schema property for %s", p).isNotNull());
  }

  private static void collectLeaves(JsonNode node, String path, List<String> out) {
    if (node.isObject() && !node.isEmpty()) {
      node.fields().forEachRemaining(e -> collectLeaves(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), out));
    } else {
      out.add(path);
    }
  }

  /** The schema of a dotted value path, following $ref into definitions; null when not described. */
  private static JsonNode schemaNode(String dotted) {
    JsonNode node = schema;
    for (String part : dotted.split("\\.")) {
      node = resolve(node);
      node = node.path("properties").get(part);
      if (node == null) {
        return null;
      }
    }
    return resolve(node);
  }

  private static JsonNode resolve(JsonNode node) {
    while (node.has("$ref")) {
      String ref = node.get("$ref").asText();
      node = schema.at(ref.substring(1));
    }
    return node;
  }
}
