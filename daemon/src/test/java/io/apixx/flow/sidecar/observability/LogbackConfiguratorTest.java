package io.apixx.flow.sidecar.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LogbackConfiguratorTest {

  @Test
  void processLogging_isTheConfiguratorsJsonAppender() {
    // The service file makes Logback use it (no logback.xml): the process context has its appender.
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    assertThat(ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("JSON")).isNotNull();
    assertThat(ctx.getLogger("io.zonky").getLevel()).isEqualTo(Level.WARN);
  }

  @Test
  void configure_logsOneJsonObjectPerLineOnStderr_secretShapesRedacted() throws Exception {
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    LoggerContext ctx = new LoggerContext();
    ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // SLF4J's provider sets it in a process
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      LogbackConfigurator configurator = new LogbackConfigurator();
      configurator.setContext(ctx);
      configurator.configure(ctx);

      ctx.getLogger("test").info("calling with authorization: Bearer abc.def-ghi_CANARY and {}", "fss_demo_CANARYabcdefghijklmnopqrstuvwxyz0123456789");
      ctx.getLogger("test").warn("failed", new IllegalStateException("password=hunter2CANARY"));
      ctx.getLogger("io.zonky.embedded").info("below the logger's level: not written");
    } finally {
      ctx.stop();
      System.setErr(saved);
    }
    List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(2);
    JsonNode first = new ObjectMapper().readTree(lines.get(0));
    assertThat(first.has("ts")).isTrue();
    assertThat(first.has("@timestamp") || first.has("@version") || first.has("level_value")).isFalse();
    assertThat(first.get("level").asText()).isEqualTo("INFO");
    assertThat(first.get("logger_name").asText()).isEqualTo("test");
    assertThat(first.get("message").asText()).contains("calling with authorization: Bearer " + LogRedactor.MASK);
    JsonNode second = new ObjectMapper().readTree(lines.get(1));
    assertThat(second.get("stack_trace").asText()).contains("IllegalStateException");
    assertThat(String.join("\n", lines)).doesNotContain("CANARY");
  }
}
