package io.apixx.flow.sidecar.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses configuration durations: {@code 250ms}, {@code 10s}, {@code 5m}, {@code 12h}, {@code 30d}, or ISO-8601. */
public final class Durations {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  private Durations() {}

  public static Duration parse(String text) {
    String t = text.trim();
    Matcher m = SIMPLE.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    try {
      return Duration.parse(t);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "expected a duration such as 250ms, 10s, 5m, 12h or 30d, got '" + text + "'", e);
    }
  }

  /** The shortest of the simple forms that represents {@code d} exactly. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000L == 0 && ms != 0) {
      return ms / 86_400_000L + "d";
    } else if (ms % 3_600_000L == 0 && ms != 0) {
      return ms / 3_600_000L + "h";
    } else if (ms % 60_000L == 0 && ms != 0) {
      return ms / 60_000L + "m";
    } else if (ms % 1000L == 0) {
      return ms / 1000L + "s";
    }
    return ms + "ms";
  }
}
