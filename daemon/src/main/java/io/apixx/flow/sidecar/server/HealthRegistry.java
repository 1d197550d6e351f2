package io.apixx.flow.sidecar.server;

import io.apixx.flow.sidecar.observability.Metrics;
import io.grpc.BindableService;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's {@code grpc.health.v1} state. Each dependency (database "db", KMS "kms", audit
 * spool "audit") has its own service name, set by whoever monitors it. The overall service
 * ({@code ""}, what readiness probes ask) is SERVING only after start-up and while every registered
 * dependency is SERVING. {@value #LIVENESS} is SERVING from start until shutdown whatever the
 * dependencies do: liveness probes use it so that a database outage does not restart the pod.
 *
 * <p>Unknown service names answer NOT_FOUND (from {@link HealthStatusManager}). Thread-safe.
 */
public final class HealthRegistry {
  private static final Logger log = LoggerFactory.getLogger(HealthRegistry.class);

  /** The overall service name. */
  public static final String OVERALL = HealthStatusManager.SERVICE_NAME_ALL_SERVICES;
  /** The liveness service name. */
  public static final String LIVENESS = "liveness";

  private final HealthStatusManager manager = new HealthStatusManager();
  private final Metrics metrics;
  private final Map<String, Boolean> dependencies = new TreeMap<>();
  private boolean started;
  private boolean terminal;

  public HealthRegistry(Metrics metrics) {
    this.metrics = metrics;
    manager.setStatus(OVERALL, ServingStatus.NOT_SERVING);
    manager.setStatus(LIVENESS, ServingStatus.SERVING);
  }

  /** The {@code grpc.health.v1.Health} service to register. */
  public BindableService service() {
    return manager.getHealthService();
  }

  /** Adds a dependency, initially NOT_SERVING until its monitor reports otherwise. */
  public synchronized void register(String dependency) {
    if (dependencies.putIfAbsent(dependency, false) == null) {
      publish(dependency, false);
      recomputeOverall();
    }
  }

  /** Reports a dependency's state. Logs transitions. */
  public synchronized void set(String dependency, boolean serving) {
    Boolean previous = dependencies.put(dependency, serving);
    if (previous == null || previous != serving) {
      if (previous != null) {
        if (serving) {
          log.info("dependency {} is SERVING again", dependency);
        } else {
          log.warn("dependency {} is NOT_SERVING", dependency);
        }
      }
      publish(dependency, serving);
      recomputeOverall();
    }
  }

  public synchronized boolean isServing(String dependency) {
    return dependencies.getOrDefault(dependency, false);
  }

  /** Call once every listener is up. */
  public synchronized void markStarted() {
    started = true;
    recomputeOverall();
  }

  public synchronized boolean isOverallServing() {
    return started && !terminal && !dependencies.containsValue(false);
  }

  /**
   * Switches every service, liveness included, to NOT_SERVING for good. Called first thing on
   * SIGTERM so that load balancers and probes stop sending new work before the listeners close.
   */
  public synchronized void enterShutdown() {
    terminal = true;
    manager.enterTerminalState();
  }

  private void publish(String dependency, boolean serving) {
    metrics.dependencyUp(dependency, serving);
    if (!terminal) {
      manager.setStatus(dependency, serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }
  }

  private void recomputeOverall() {
    if (!terminal) {
      manager.setStatus(
          OVERALL, isOverallServing() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }
  }
}
