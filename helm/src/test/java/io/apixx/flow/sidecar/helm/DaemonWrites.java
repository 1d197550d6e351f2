package io.apixx.flow.sidecar.helm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.apixx.flow.sidecar.config.ConfigLoader;
import io.apixx.flow.sidecar.config.SidecarConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The paths the daemon writes in the sidecar container, and whether the container can write there.
 * The root filesystem is read-only, so each of them must lie under a volume mount that is writable.
 *
 * <p>The paths come from the configuration the daemon would really run with: the built-in
 * defaults, the rendered {@code sidecar.yaml}, and the container's literal {@code FLOW_SIDECAR_*}
 * environment ({@code sidecar.extraEnv}), merged by the daemon's own {@link ConfigLoader}. A key
 * the chart does not render falls back to the daemon's default, which is where an unmounted path
 * hides.
 */
final class DaemonWrites {
  /** Where the JVM writes temporary files (Netty extracts its native epoll library there). */
  static final Path JAVA_TMPDIR = Path.of("/tmp");

  /** A path the daemon writes, and the setting that makes it write there. */
  record Write(String setting, Path path) {
    @Override
    public String toString() {
      return setting + " -> " + path;
    }
  }

  private DaemonWrites() {}

  /**
   * Every path the daemon writes when started with this rendered configuration in this container:
   * the socket's directory (created if missing), the audit spool directory, a {@code file:}
   * keyring, the embedded database's directory when enabled, and the JVM's temporary directory.
   *
   * @param tmp a scratch directory: the configuration is loaded with the socket moved there,
   *     because the loader checks that the socket's directory is writable on this machine
   */
  static List<Write> of(String renderedConfig, Container sidecar, Path tmp) {
    Map<String, String> env = literalEnv(sidecar);
    String socketKey = ConfigLoader.ENV_PREFIX + "SERVER__SOCKET_PATH";
    String socketPath = env.containsKey(socketKey)
        ? env.get(socketKey)
        : Yaml.at(Yaml.tree(renderedConfig), "server.socket_path").asText();
    SidecarConfig config = load(renderedConfig, env, tmp);

    List<Write> out = new ArrayList<>();
    Path socketDir = Path.of(socketPath).getParent();
    out.add(new Write("server.socket_path (its directory)", socketDir == null ? Path.of("") : socketDir));
    out.add(new Write("audit.spool_dir", Path.of(config.audit().spoolDir())));
    config.kms().keyringPath().ifPresent(p -> out.add(new Write("kms.uri (file keyring)", p)));
    if (config.database().embedded().enabled()) {
      out.add(new Write("database.embedded.data_dir", Path.of(config.database().embedded().dataDir())));
    }
    out.add(new Write("java.io.tmpdir", JAVA_TMPDIR));
    return out;
  }

  /**
   * The writes the container cannot make, each with the reason; empty when all are possible. A
   * path is writable when the deepest volume mount that contains it is not {@code readOnly}, has no
   * {@code subPath}, and its volume is not one the kubelet always mounts read-only (configMap,
   * secret, projected, downwardAPI). A relative path resolves against the working directory, which
   * is in the image, so it is never writable.
   */
  static List<String> unwritable(List<Write> writes, Container container, List<Volume> volumes) {
    List<String> out = new ArrayList<>();
    for (Write w : writes) {
      if (!w.path().isAbsolute()) {
        out.add(w + ": relative to the working directory, on the read-only root filesystem");
        continue;
      }
      Path path = w.path().normalize();
      Optional<VolumeMount> deepest = mounts(container).stream()
          .filter(m -> path.startsWith(Path.of(m.getMountPath()).normalize()))
          .max(Comparator.comparingInt(m -> Path.of(m.getMountPath()).normalize().getNameCount()));
      if (deepest.isEmpty()) {
        out.add(w + ": under no volume mount, on the read-only root filesystem");
        continue;
      }
      VolumeMount m = deepest.get();
      Optional<Volume> volume = volumes.stream().filter(v -> v.getName().equals(m.getName())).findFirst();
      if (Boolean.TRUE.equals(m.getReadOnly())) {
        out.add(w + ": under volume mount " + m.getName() + " at " + m.getMountPath() + ", which is readOnly");
      } else if (m.getSubPath() != null && !m.getSubPath().isEmpty()) {
        out.add(w + ": under volume mount " + m.getName() + ", which mounts a subPath");
      } else if (volume.isEmpty()) {
        out.add(w + ": volume mount " + m.getName() + " names no volume of the pod");
      } else if (alwaysReadOnly(volume.get())) {
        out.add(w + ": under volume " + m.getName() + ", which the kubelet always mounts read-only");
      }
    }
    return out;
  }

  private static boolean alwaysReadOnly(Volume v) {
    return v.getConfigMap() != null || v.getSecret() != null || v.getProjected() != null || v.getDownwardAPI() != null;
  }

  private static List<VolumeMount> mounts(Container c) {
    return c.getVolumeMounts() == null ? List.of() : c.getVolumeMounts();
  }

  /** The container's environment variables with a literal value (valueFrom cannot be resolved here). */
  private static Map<String, String> literalEnv(Container c) {
    Map<String, String> env = new LinkedHashMap<>();
    if (c.getEnv() != null) {
      for (EnvVar e : c.getEnv()) {
        if (e.getValue() != null) {
          env.put(e.getName(), e.getValue());
        }
      }
    }
    return env;
  }

  private static SidecarConfig load(String renderedConfig, Map<String, String> env, Path tmp) {
    try {
      ObjectNode tree = (ObjectNode) Yaml.tree(renderedConfig);
      tree.withObject("/server").put("socket_path", tmp.resolve("sidecar.sock").toString());
      Path file = Files.writeString(tmp.resolve("effective-config.yaml"), Yaml.MAPPER.writeValueAsString(tree));
      Map<String, String> withoutSocket = new LinkedHashMap<>(env);
      withoutSocket.remove(ConfigLoader.ENV_PREFIX + "SERVER__SOCKET_PATH");
      return new ConfigLoader().load(ConfigLoader.Sources.of(Optional.of(file), withoutSocket, List.of()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
