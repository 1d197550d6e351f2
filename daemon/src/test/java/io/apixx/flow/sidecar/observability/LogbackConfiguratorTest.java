package io.apixx.flow.sidecar.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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

  /**
   * The reason the daemon has its own encoder: logging through the process configuration (the
   * service file, as in the daemon) loads no Jackson and no logstash class, though Jackson is on the
   * class path. Run in a fresh JVM, which the class-loading log of this one could not show.
   */
  @Test
  void processLogging_inAFreshJvm_loadsNoJacksonNorLogstashClass(@TempDir Path dir) throws Exception {
    String classPath =
        Stream.of(LogbackConfigurator.class, Child.class, LoggerFactory.class, LoggerContext.class,
                ch.qos.logback.core.Context.class, ObjectMapper.class, com.fasterxml.jackson.core.JsonFactory.class,
                com.fasterxml.jackson.annotation.JsonProperty.class)
            .map(LogbackConfiguratorTest::location)
            .distinct()
            .collect(Collectors.joining(File.pathSeparator));
    Path loaded = dir.resolve("class-load.log");
    Path stderr = dir.resolve("stderr");
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:off", // every class in the log, none hidden in the shared archive
                "-Xlog:class+load=info:file=" + loaded,
                "-cp", classPath, Child.class.getName())
            .redirectOutput(dir.resolve("stdout").toFile())
            .redirectError(stderr.toFile())
            .start();
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    List<String> lines = Files.readAllLines(stderr, StandardCharsets.UTF_8);
    assertThat(child.exitValue()).as(String.join("\n", lines)).isZero();

    assertThat(lines).hasSize(1);
    JsonNode line = new ObjectMapper().readTree(lines.get(0));
    assertThat(line.get("message").asText()).isEqualTo("from the child " + LogRedactor.MASK);
    assertThat(line.get("stack_trace").asText()).startsWith("java.lang.IllegalStateException: root");
    List<String> classes = Files.readAllLines(loaded, StandardCharsets.UTF_8);
    assertThat(classes).anyMatch(l -> l.contains(" " + JsonLineEncoder.class.getName() + " "));
    assertThat(classes).noneMatch(l -> l.contains("com.fasterxml.jackson") || l.contains("net.logstash"));
  }

  /** Logs one event through SLF4J and the process configuration, as the daemon does. */
  static final class Child {
    public static void main(String[] args) {
      LoggerFactory.getLogger(Child.class)
          .warn("from the child {}", "fss_demo_CANARYabcdefghijklmnopqrstuvwxyz0123456789",
              new RuntimeException("outer", new IllegalStateException("root")));
    }
  }

  private static String location(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
