package io.apixx.flow.sidecar.observability;

import ch.qos.logback.classic.pattern.RootCauseFirstThrowableProxyConverter;
import ch.qos.logback.classic.pattern.ThrowableHandlingConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.slf4j.event.KeyValuePair;

/**
 * Encodes each logging event as one JSON object on one line, UTF-8, in this field order:
 *
 * <ol>
 *   <li>{@code ts}: the event's instant, ISO-8601 in UTC with full precision;
 *   <li>{@code message} (left out when the event has none), {@code logger_name}, {@code
 *       thread_name}, {@code level};
 *   <li>each MDC entry, then each SLF4J key-value pair (value as {@link String#valueOf}; pairs
 *       with a null value are left out), as top-level string fields;
 *   <li>{@code stack_trace} when the event has a throwable: root cause first, at most {@value
 *       #MAX_FRAMES} frames per throwable.
 * </ol>
 *
 * <p>Every value but {@code ts} and {@code level} passes through {@link LogRedactor#redact}. It
 * never throws: an event that cannot be encoded becomes a minimal line that says so.
 *
 * <p>Written here rather than taken from a library because the encoder used before brought Jackson
 * into every process that logs: several MiB of resident memory for a dozen fields.
 */
final class JsonLineEncoder extends EncoderBase<ILoggingEvent> {
  /** Stack frames written per throwable (cause), as the previous encoder was configured. */
  static final int MAX_FRAMES = 30;

  private static final byte[] NOTHING = new byte[0];
  private static final HexFormat HEX = HexFormat.of();

  private ThrowableHandlingConverter throwables;

  @Override
  public void start() {
    RootCauseFirstThrowableProxyConverter converter = new RootCauseFirstThrowableProxyConverter();
    converter.setContext(getContext());
    converter.setOptionList(List.of(String.valueOf(MAX_FRAMES)));
    converter.start();
    throwables = converter;
    super.start();
  }

  @Override
  public void stop() {
    if (throwables != null) {
      throwables.stop();
    }
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return NOTHING;
  }

  @Override
  public byte[] footerBytes() {
    return NOTHING;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    try {
      return line(event).getBytes(StandardCharsets.UTF_8);
    } catch (RuntimeException | StackOverflowError e) {
      // Logback would drop the event and file the error in a status list no one reads here; a line
      // saying an event was lost is better. Only the exception's class: its message could carry the value
      // that broke encoding.
      return ("{\"ts\":\"" + Instant.now() + "\",\"message\":\"log event not encoded: "
              + e.getClass().getName() + "\",\"level\":\"ERROR\"}\n")
          .getBytes(StandardCharsets.UTF_8);
    }
  }

  private String line(ILoggingEvent event) {
    Instant instant = event.getInstant();
    if (instant == null) { // an event built by hand, without an instant
      instant = Instant.ofEpochMilli(event.getTimeStamp());
    }
    StringBuilder out = new StringBuilder(256);
    out.append("{\"ts\":\"").append(DateTimeFormatter.ISO_INSTANT.format(instant)).append('"');
    field(out, "message", event.getFormattedMessage());
    field(out, "logger_name", event.getLoggerName());
    field(out, "thread_name", event.getThreadName());
    out.append(",\"level\":\"").append(event.getLevel()).append('"');
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null) {
      mdc.forEach((key, value) -> field(out, key, value));
    }
    List<KeyValuePair> pairs = event.getKeyValuePairs();
    if (pairs != null) {
      for (KeyValuePair pair : pairs) {
        field(out, pair.key, pair.value == null ? null : String.valueOf(pair.value));
      }
    }
    if (event.getThrowableProxy() != null) {
      field(out, "stack_trace", throwables.convert(event));
    }
    return out.append("}\n").toString();
  }

  /** Appends {@code ,"name":"value"} with the value redacted; nothing when either is null. */
  private static void field(StringBuilder out, String name, String value) {
    if (name == null || value == null) {
      return;
    }
    escape(out.append(",\""), name).append("\":\"");
    escape(out, LogRedactor.redact(value)).append('"');
  }

  /**
   * Appends {@code text} as the body of a JSON string: quote, backslash and every character below
   * U+0020 escaped, and U+0085, U+2028 and U+2029 too; everything else as it is.
   */
  static StringBuilder escape(StringBuilder out, String text) {
    // Not Logback's JsonEscapeUtil: it also escapes '/', so every path and URL in a line
    // (unix:///run/...) would read differently from what the previous encoder wrote, for anyone who
    // searches the raw lines; and it leaves the next three raw. They are legal raw in JSON, but some
    // line readers (Python's str.splitlines, JavaScript before ES2019) split there: one event must
    // stay one line for every reader.
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x85 || c == 0x2028 || c == 0x2029) {
            out.append("\\u").append(HEX.toHexDigits(c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out;
  }
}
