package io.apixx.flow.sidecar.observability;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryPoolAllocationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The daemon's Prometheus metrics. One instance per process, created by {@code Main} and handed to
 * the components that record into it. Label values are bounded sets (method names, status codes,
 * dependency names, outcome codes): never a tenant, a user, a token or any request value.
 *
 * <p>Thread-safe.
 */
public final class Metrics {
  private final PrometheusRegistry registry;
  private final Counter grpcCalls;
  private final Histogram grpcLatency;
  private final Gauge dependencyUp;
  private final Counter auditSent;
  private final Counter auditReconnects;

  private Metrics(PrometheusRegistry registry, boolean jvm) {
    this.registry = registry;
    this.grpcCalls =
        Counter.builder()
            .name("flow_sidecar_grpc_calls_total")
            .help("gRPC calls completed, by full method name and status code")
            .labelNames("method", "code")
            .register(registry);
    this.grpcLatency =
        Histogram.builder()
            .name("flow_sidecar_grpc_call_duration_seconds")
            .help("gRPC call latency from first header to close, by full method name")
            .labelNames("method")
            .classicOnly()
            .classicUpperBounds(
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1, 2.5, 5, 10)
            .register(registry);
    this.dependencyUp =
        Gauge.builder()
            .name("flow_sidecar_dependency_up")
            .help("1 when the dependency is usable (health SERVING), else 0")
            .labelNames("dependency")
            .register(registry);
    this.auditSent =
        Counter.builder().name("flow_sidecar_audit_events_sent_total").help("Audit events streamed to the collector (resends included)").register(registry);
    this.auditReconnects =
        Counter.builder().name("flow_sidecar_audit_stream_restarts_total").help("Audit streams to the collector that ended and were reopened").register(registry);
    if (jvm) {
      // JvmMetrics minus JvmNativeMemoryMetrics: that one asks the DiagnosticCommand MBean, which
      // starts the platform MBean server and loads every diagnostic command (JFR's included),
      // about 300 classes and 0.1 s of start-up, for figures that exist only with
      // -XX:NativeMemoryTracking, which the launcher does not set.
      JvmThreadsMetrics.builder().register(registry);
      JvmBufferPoolMetrics.builder().register(registry);
      JvmClassLoadingMetrics.builder().register(registry);
      JvmCompilationMetrics.builder().register(registry);
      JvmGarbageCollectorMetrics.builder().register(registry);
      JvmMemoryPoolAllocationMetrics.builder().register(registry);
      JvmMemoryMetrics.builder().register(registry);
      JvmRuntimeInfoMetric.builder().register(registry);
      ProcessMetrics.builder().register(registry);
    }
  }

  /** The process registry with JVM metrics. Call once per process (JVM metrics are global). */
  public static Metrics create() {
    return new Metrics(new PrometheusRegistry(), true);
  }

  /** A registry without JVM metrics, for tests that build several daemons in one JVM. */
  public static Metrics forTesting() {
    return new Metrics(new PrometheusRegistry(), false);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public void recordCall(String method, String code, long nanos) {
    grpcCalls.labelValues(method, code).inc();
    grpcLatency.labelValues(method).observe(nanos / 1e9);
  }

  public void dependencyUp(String dependency, boolean up) {
    dependencyUp.labelValues(dependency).set(up ? 1 : 0);
  }

  public void auditSent(int events) {
    auditSent.inc(events);
  }

  public void auditReconnect() {
    auditReconnects.inc();
  }

  /** For tests: calls recorded for a method and code. */
  public double callCount(String method, String code) {
    return grpcCalls.labelValues(method, code).get();
  }
}
