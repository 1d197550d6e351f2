package io.apixx.flow.sidecar.audit.collector;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Locale;

/**
 * The collector's Prometheus metrics, registered beside the process's gRPC and JVM metrics. Labels
 * are bounded sets (alarm kinds, delivery outcomes): never a tenant, a daemon instance or a URL.
 * Thread-safe.
 */
public final class CollectorMetrics implements AuditStore.Observer, WebhookDispatcher.Observer {
  private final Counter stored;
  private final Counter duplicates;
  private final Counter alarms;
  private final Counter deliveries;
  private final Counter maintenanceFailures;

  public CollectorMetrics(PrometheusRegistry registry) {
    this.stored =
        Counter.builder().name("flow_collector_events_stored_total").help("Audit events stored (first arrival)").register(registry);
    this.duplicates =
        Counter.builder()
            .name("flow_collector_events_duplicate_total")
            .help("Audit events received again and ignored (same event id already stored)")
            .register(registry);
    this.alarms =
        Counter.builder()
            .name("flow_collector_chain_alarms_total")
            .help("Hash-chain anomalies seen on arrival, by kind (gap, fork)")
            .labelNames("kind")
            .register(registry);
    this.deliveries =
        Counter.builder()
            .name("flow_collector_webhook_deliveries_total")
            .help("Audit webhook delivery attempts, by outcome (success, retry, dead)")
            .labelNames("outcome")
            .register(registry);
    this.maintenanceFailures =
        Counter.builder()
            .name("flow_collector_partition_maintenance_failures_total")
            .help("Partitions that could not be created ahead or dropped at retention")
            .register(registry);
    // Known label values start at 0, so alerts on increase() see the first event.
    alarms.labelValues("gap");
    alarms.labelValues("fork");
    for (WebhookDispatcher.Outcome o : WebhookDispatcher.Outcome.values()) {
      deliveries.labelValues(label(o));
    }
  }

  @Override
  public void stored(int storedCount, int duplicateCount) {
    stored.inc(storedCount);
    duplicates.inc(duplicateCount);
  }

  @Override
  public void alarm(String kind) {
    alarms.labelValues(kind).inc();
  }

  @Override
  public void attempted(WebhookDispatcher.Outcome outcome) {
    deliveries.labelValues(label(outcome)).inc();
  }

  /** Records the failed steps of one maintenance run. */
  public void maintenance(PartitionMaintenance.Result result) {
    maintenanceFailures.inc(result.failed().size());
  }

  public double storedCount() {
    return stored.get();
  }

  public double duplicateCount() {
    return duplicates.get();
  }

  public double alarmCount(String kind) {
    return alarms.labelValues(kind).get();
  }

  public double deliveryCount(WebhookDispatcher.Outcome outcome) {
    return deliveries.labelValues(label(outcome)).get();
  }

  private static String label(WebhookDispatcher.Outcome o) {
    return o.name().toLowerCase(Locale.ROOT);
  }
}
