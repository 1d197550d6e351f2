package io.apixx.flow.sidecar.config;

import java.time.Duration;

/** Small validation helpers that throw {@link ConfigException} naming the key. */
final class Check {
  private Check() {}

  static <T> T present(String key, T value) {
    if (value == null) {
      throw new ConfigException(key, "is required");
    }
    return value;
  }

  static String notBlank(String key, String value) {
    if (value == null || value.isBlank()) {
      throw new ConfigException(key, "is required and must not be empty");
    }
    return value;
  }

  static void range(String key, long value, long min, long max) {
    if (value < min || value > max) {
      throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + value);
    }
  }

  static Duration positive(String key, Duration value) {
    present(key, value);
    if (value.isNegative() || value.isZero()) {
      throw new ConfigException(key, "must be a positive duration");
    }
    return value;
  }
}
