package io.apixx.flow.sidecar.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import java.util.Map;

/**
 * The daemon's logging set-up, in code rather than {@code logback.xml}: JSON, one event per line,
 * on standard error, every value through {@link LogRedactor} (see {@link JsonLineEncoder}). Found
 * by Logback through {@code META-INF/services/ch.qos.logback.classic.spi.Configurator}. (In code
 * because reading an XML file at start loads the JDK's XML parser and Logback's Joran, some 300
 * classes and a tenth of the daemon's start-up.) {@link Logging#configure} then applies the
 * configured levels.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogbackConfigurator extends ContextAwareBase implements Configurator {
  /** Loggers quieter than the root, and why. */
  static final Map<String, Level> LEVELS =
      Map.of(
          "io.grpc.netty.shaded", Level.WARN,
          // grpc-netty sets SO_KEEPALIVE on every channel; a Unix socket has no such option and
          // Netty warns once per connection. Harmless, and it would drown real warnings.
          "io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap", Level.ERROR,
          "io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap", Level.ERROR,
          "org.flywaydb", Level.WARN,
          "com.zaxxer.hikari", Level.WARN,
          "io.zonky", Level.WARN);

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    context.getStatusManager().add(new NopStatusListener());

    // Level changes reach java.util.logging (gRPC, Netty) too.
    LevelChangePropagator propagator = new LevelChangePropagator();
    propagator.setContext(context);
    propagator.setResetJUL(true);
    context.addListener(propagator);
    propagator.start();

    JsonLineEncoder encoder = new JsonLineEncoder();
    encoder.setContext(context);
    encoder.start();

    ConsoleAppender<ILoggingEvent> json = new ConsoleAppender<>();
    json.setContext(context);
    json.setName("JSON");
    json.setTarget("System.err");
    json.setEncoder(encoder);
    json.start();

    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(json);
    LEVELS.forEach((name, level) -> context.getLogger(name).setLevel(level));
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
