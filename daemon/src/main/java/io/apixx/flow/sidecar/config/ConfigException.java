package io.apixx.flow.sidecar.config;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;

/**
 * A configuration value is unknown, of the wrong type, missing or not acceptable. The daemon exits
 * with status 2 and prints {@link #getMessage()}, which always starts with the offending key.
 */
public final class ConfigException extends SidecarException {
  private static final long serialVersionUID = 1L;

  private final String key;

  public ConfigException(String key, String problem) {
    this(key, problem, null);
  }

  public ConfigException(String key, String problem, Throwable cause) {
    super(ErrorKind.INVALID_ARGUMENT, "bad_config", key + ": " + problem, cause);
    this.key = key;
  }

  /** The dotted configuration key, e.g. {@code server.tcp_address}. */
  public String key() {
    return key;
  }
}
