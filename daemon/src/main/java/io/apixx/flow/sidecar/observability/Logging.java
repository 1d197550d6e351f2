package io.apixx.flow.sidecar.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.apixx.flow.sidecar.config.LoggingConfig;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** Applies {@link LoggingConfig} to Logback and routes java.util.logging (used by gRPC) to SLF4J. */
public final class Logging {
  /** The logger of stored audit events (see {@link LoggingConfig#auditTrail()}). */
  public static final String AUDIT_TRAIL = "flow.audit.trail";

  private Logging() {}

  public static void configure(LoggingConfig config) {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
      Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      root.setLevel(Level.toLevel(config.level(), Level.INFO));
      ctx.getLogger(AUDIT_TRAIL).setLevel(config.auditTrail() ? Level.INFO : Level.OFF);
    }
  }
}
