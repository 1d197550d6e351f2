package io.apixx.flow.sidecar.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size in bytes, written in configuration as a plain integer or with a binary unit suffix:
 * {@code 512}, {@code 64KiB}, {@code 4MiB}, {@code 1GiB}.
 */
public record DataSize(long bytes) {
  private static final Pattern FORMAT =
      Pattern.compile("(\\d+)\\s*(B|KIB|MIB|GIB|KB|MB|GB)?", Pattern.CASE_INSENSITIVE);

  public DataSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("size must not be negative");
    }
  }

  public static DataSize ofBytes(long bytes) {
    return new DataSize(bytes);
  }

  /** Parses {@code 64KiB} style text; throws {@link IllegalArgumentException} naming the format. */
  public static DataSize parse(String text) {
    Matcher m = FORMAT.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "expected a size such as 65536, 64KiB, 4MiB or 1GiB, got '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
    long factor =
        switch (unit) {
          case "KIB", "KB" -> 1024L;
          case "MIB", "MB" -> 1024L * 1024;
          case "GIB", "GB" -> 1024L * 1024 * 1024;
          default -> 1L;
        };
    return new DataSize(Math.multiplyExact(n, factor));
  }

  /** The size as an int, for APIs that take one; fails if it does not fit. */
  public int toIntBytes() {
    return Math.toIntExact(bytes);
  }

  @Override
  public String toString() {
    return bytes + "B";
  }
}
