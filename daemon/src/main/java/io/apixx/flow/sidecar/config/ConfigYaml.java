package io.apixx.flow.sidecar.config;

import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * The YAML dialect of configuration files: SnakeYAML with safe construction only (maps, lists,
 * strings, numbers, booleans, null; never an arbitrary class), duplicate keys refused, and plain
 * scalars typed by the YAML 1.2 core schema instead of SnakeYAML's YAML 1.1 default. So
 * {@code yes}, {@code on}, {@code 0660}, {@code 1:30} and {@code 2026-01-01} stay strings, as an
 * operator reading the file expects; only {@code true}/{@code false}, decimal (and {@code 0x})
 * integers, decimals and {@code null}/{@code ~}/nothing are typed.
 *
 * <p>A {@link Yaml} instance is not thread-safe: {@link #create} makes one per use.
 */
public final class ConfigYaml {
  private ConfigYaml() {}

  /** A loader (and dumper, block style) for configuration text. */
  public static Yaml create() {
    return yaml(new CoreSchema());
  }

  /**
   * The same, but every plain scalar is text (only {@code ~}, {@code null} and nothing are null):
   * for files of identifiers and hashes, such as the service tokens file, where an implicit number
   * or boolean would change what a tenant id says.
   */
  public static Yaml textOnly() {
    return yaml(new TextScalars());
  }

  private static Yaml yaml(Resolver scalars) {
    LoaderOptions loading = new LoaderOptions();
    loading.setAllowDuplicateKeys(false);
    loading.setMaxAliasesForCollections(10);
    DumperOptions dumping = new DumperOptions();
    dumping.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    return new Yaml(new SafeConstructor(loading), new Representer(dumping), dumping, loading, scalars);
  }

  /** The YAML 1.2 core schema's implicit types (https://yaml.org/spec/1.2.2/#1032-tag-resolution). */
  private static final class CoreSchema extends Resolver {
    // Decimal without a leading zero, so that 0660 stays the string an octal mode looks like.
    private static final Pattern INT = Pattern.compile("^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$");
    // With a point or an exponent, so that 0660 is not the number 660.0 either.
    private static final Pattern FLOAT = Pattern.compile("^[-+]?(?:(?:\\.[0-9]+|[0-9]+\\.[0-9]*)(?:[eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+)$");
    private static final Pattern BOOL = Pattern.compile("^(?:true|True|TRUE|false|False|FALSE)$");

    @Override
    protected void addImplicitResolvers() {
      addImplicitResolver(Tag.BOOL, BOOL, "tTfF");
      addImplicitResolver(Tag.INT, INT, "-+0123456789");
      addImplicitResolver(Tag.FLOAT, FLOAT, "-+.0123456789");
      addImplicitResolver(Tag.NULL, Resolver.NULL, "~nN\0");
      addImplicitResolver(Tag.NULL, Resolver.EMPTY, null);
    }
  }

  /** Plain scalars as strings; {@code ~}, {@code null} and empty ones as null. */
  private static final class TextScalars extends Resolver {
    @Override
    protected void addImplicitResolvers() {
      addImplicitResolver(Tag.NULL, Resolver.NULL, "~nN\0");
      addImplicitResolver(Tag.NULL, Resolver.EMPTY, null);
    }
  }
}
