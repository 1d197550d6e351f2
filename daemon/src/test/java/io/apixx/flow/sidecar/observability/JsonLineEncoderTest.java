package io.apixx.flow.sidecar.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.event.KeyValuePair;

class JsonLineEncoderTest {
  private static final String SESSION = "fss_demo_CANARYabcdefghijklmnopqrstuvwxyz0123456789";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final LoggerContext context = new LoggerContext();
  private final JsonLineEncoder encoder = new JsonLineEncoder();

  @BeforeEach
  void start() {
    context.setMDCAdapter(new LogbackMDCAdapter());
    encoder.setContext(context);
    encoder.start();
  }

  @AfterEach
  void stop() {
    encoder.stop();
    context.stop();
  }

  @Test
  void encode_fieldsInOrder_tsIsTheEventsInstantInUtc() throws Exception {
    LoggingEvent event = event(Level.INFO, "hello {}", null, "world");
    event.setThreadName("worker-1");
    event.setInstant(Instant.parse("2026-12-07T05:38:14.936453136Z"));
    Map<String, String> mdc = new LinkedHashMap<>();
    mdc.put("request_id", "r-1");
    mdc.put("tenant", "acme");
    event.setMDCPropertyMap(mdc);
    event.addKeyValuePair(new KeyValuePair("attempt", 3));
    event.addKeyValuePair(new KeyValuePair("absent", null));

    JsonNode line = parse(encode(event));

    assertThat(fieldNames(line))
        .containsExactly("ts", "message", "logger_name", "thread_name", "level", "request_id", "tenant", "attempt");
    assertThat(line.get("ts").asText()).isEqualTo("2026-12-07T05:38:14.936453136Z");
    assertThat(line.get("message").asText()).isEqualTo("hello world");
    assertThat(line.get("logger_name").asText()).isEqualTo("io.apixx.test");
    assertThat(line.get("thread_name").asText()).isEqualTo("worker-1");
    assertThat(line.get("level").asText()).isEqualTo("INFO");
    assertThat(line.get("request_id").asText()).isEqualTo("r-1");
    assertThat(line.get("attempt").isTextual()).isTrue();
    assertThat(line.get("attempt").asText()).isEqualTo("3");
  }

  @Test
  void encode_nonUtcDefaultZone_tsStillUtc() throws Exception {
    TimeZone saved = TimeZone.getDefault();
    try {
      TimeZone.setDefault(TimeZone.getTimeZone("Asia/Kolkata"));
      LoggingEvent event = event(Level.WARN, "x", null);
      assertThat(parse(encode(event)).get("ts").asText()).isEqualTo(event.getInstant().toString()).endsWith("Z");
    } finally {
      TimeZone.setDefault(saved);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "quote \" backslash \\ slash / end",
        "newline \n carriage \r tab \t formfeed \f backspace \b",
        "control \u0001 \u0000 \u001f \u007f",
        "non-ASCII é ß 日本 😀",
        "separators \u2028 \u2029 \u0085",
        "{\"json\":\"inside\"}",
      })
  void encode_awkwardText_roundTripsExactly_oneLinePerEvent(String text) throws Exception {
    LoggingEvent event = event(Level.INFO, text, null);
    event.setMDCPropertyMap(Map.of("key \"" + text, text));
    event.addKeyValuePair(new KeyValuePair("kv", text));

    String encoded = encode(event);
    JsonNode line = parse(encoded);

    assertThat(line.get("message").asText()).isEqualTo(text);
    assertThat(line.get("key \"" + text).asText()).isEqualTo(text);
    assertThat(line.get("kv").asText()).isEqualTo(text);
  }

  @Test
  void encode_loneSurrogate_stillValidJson() throws Exception {
    // Not representable in UTF-8: the encoder's charset replaces it, the line stays parseable.
    JsonNode line = parse(encode(event(Level.INFO, "half \ud800 a pair", null)));
    assertThat(line.get("message").asText()).startsWith("half ").endsWith(" a pair");
  }

  @Test
  void encode_secretsInMessageMdcKeyValuesAndThreadName_redacted() throws Exception {
    LoggingEvent event = event(Level.INFO, "login with {} and Bearer abc.def-CANARY", null, SESSION);
    event.setThreadName("call " + SESSION);
    event.setMDCPropertyMap(Map.of("session", SESSION, "query", "a=1&password=hunter2CANARY"));
    event.addKeyValuePair(new KeyValuePair("token", SESSION));
    event.addKeyValuePair(new KeyValuePair("as_object", new StringBuilder(SESSION)));

    String encoded = encode(event);
    JsonNode line = parse(encoded);

    assertThat(encoded).doesNotContain("CANARY");
    assertThat(line.get("message").asText()).isEqualTo("login with " + LogRedactor.MASK + " and Bearer " + LogRedactor.MASK);
    assertThat(line.get("session").asText()).isEqualTo(LogRedactor.MASK);
    assertThat(line.get("query").asText()).isEqualTo("a=1&password=" + LogRedactor.MASK);
    assertThat(line.get("token").asText()).isEqualTo(LogRedactor.MASK);
    assertThat(line.get("as_object").asText()).isEqualTo(LogRedactor.MASK);
    assertThat(line.get("thread_name").asText()).isEqualTo("call " + LogRedactor.MASK);
  }

  @Test
  void encode_throwable_rootCauseFirst_redacted() throws Exception {
    Exception root = new IllegalArgumentException("password=hunter2CANARY");
    Exception outer = new IllegalStateException("wrapping " + SESSION, root);

    String encoded = encode(event(Level.ERROR, "failed", outer));
    JsonNode line = parse(encoded);

    assertThat(encoded).doesNotContain("CANARY").doesNotContain("hunter2");
    assertThat(fieldNames(line)).last().isEqualTo("stack_trace");
    String trace = line.get("stack_trace").asText();
    assertThat(trace).startsWith("java.lang.IllegalArgumentException: password=" + LogRedactor.MASK);
    assertThat(trace).contains("Wrapped by: java.lang.IllegalStateException: wrapping " + LogRedactor.MASK);
    assertThat(trace.indexOf("IllegalArgumentException")).isLessThan(trace.indexOf("IllegalStateException"));
    assertThat(trace).contains("\tat " + JsonLineEncoderTest.class.getName());
  }

  @Test
  void encode_deepStack_atMostThirtyFramesPerThrowable() throws Exception {
    Exception deep = deepException(80);
    assertThat(deep.getStackTrace().length).isGreaterThan(80);

    String trace = parse(encode(event(Level.ERROR, "deep", deep))).get("stack_trace").asText();

    long frames = trace.lines().filter(l -> l.startsWith("\tat ")).count();
    assertThat(frames).isEqualTo(JsonLineEncoder.MAX_FRAMES);
    assertThat(trace).contains("\tat " + JsonLineEncoderTest.class.getName() + ".deepException");
  }

  @Test
  void encode_nullMessage_omitsTheMessageField() throws Exception {
    JsonNode line = parse(encode(event(Level.INFO, null, null)));
    assertThat(fieldNames(line)).containsExactly("ts", "logger_name", "thread_name", "level");
  }

  @Test
  void encode_noThrowable_noStackTraceField() throws Exception {
    assertThat(parse(encode(event(Level.INFO, "plain", null))).has("stack_trace")).isFalse();
  }

  @Test
  void encode_eventThatFailsToFormat_writesAMinimalLineInstead() throws Exception {
    LoggingEvent broken =
        new LoggingEvent("fqcn", context.getLogger("io.apixx.test"), Level.INFO, "m", null, null) {
          @Override
          public String getFormattedMessage() {
            throw new IllegalStateException("password=hunter2CANARY");
          }
        };

    String encoded = encode(broken);
    JsonNode line = parse(encoded);

    assertThat(encoded).doesNotContain("CANARY");
    assertThat(line.get("level").asText()).isEqualTo("ERROR");
    assertThat(line.get("message").asText()).contains("not encoded").contains("IllegalStateException");
    assertThat(Instant.parse(line.get("ts").asText())).isNotNull();
  }

  @Test
  void escape_everyCharacter_roundTripsThroughAJsonParser_noControlOrLineBreakLeftRaw() throws Exception {
    StringBuilder all = new StringBuilder();
    for (int c = 0; c <= 0xFFFF; c++) {
      if (!Character.isSurrogate((char) c)) {
        all.append((char) c);
      }
    }
    all.append("😀 𝄞"); // surrogate pairs
    String text = all.toString();

    String escaped = JsonLineEncoder.escape(new StringBuilder(), text).toString();

    assertThat(JSON.readTree("\"" + escaped + "\"").asText()).isEqualTo(text);
    assertThat(escaped.chars().filter(c -> c < 0x20 || c == 0x85 || c == 0x2028 || c == 0x2029)).isEmpty();
  }

  @Test
  void escape_leavesSlashAndNonAsciiAsTheyAre() {
    String text = "unix:///run/flow/sidecar.sock é 日本";
    assertThat(JsonLineEncoder.escape(new StringBuilder(), text).toString()).isEqualTo(text);
    assertThat(JsonLineEncoder.escape(new StringBuilder(), "a\"b\\c\nd\u0001e\u2028").toString())
        .isEqualTo("a\\\"b\\\\c\\nd\\u0001e\\u2028");
  }

  private LoggingEvent event(Level level, String message, Throwable thrown, Object... args) {
    return new LoggingEvent("fqcn", context.getLogger("io.apixx.test"), level, message, thrown, args.length == 0 ? null : args);
  }

  /** The encoded event: exactly one line, ending in a newline. */
  private String encode(LoggingEvent event) {
    String encoded = new String(encoder.encode(event), StandardCharsets.UTF_8);
    assertThat(encoded).endsWith("\n");
    String body = encoded.substring(0, encoded.length() - 1);
    assertThat(body.chars().filter(c -> c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029)).isEmpty();
    return encoded;
  }

  private static JsonNode parse(String encoded) throws Exception {
    JsonNode node = JSON.readTree(encoded);
    assertThat(node.isObject()).isTrue();
    return node;
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static Exception deepException(int depth) {
    return depth == 0 ? new IllegalStateException("deep") : deepException(depth - 1);
  }
}
