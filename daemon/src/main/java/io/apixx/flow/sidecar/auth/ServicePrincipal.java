package io.apixx.flow.sidecar.auth;

import io.apixx.flow.sidecar.audit.AuditEvent;
import java.util.Objects;
import java.util.Set;

/**
 * The control plane, authenticated by a service token (whose SHA-256 is listed in the service
 * tokens file) or by an mTLS client certificate.
 *
 * @param name the service's configured name
 * @param tenants tenants it may act on; {@code "*"} means every tenant
 * @param method how it authenticated
 */
public record ServicePrincipal(String name, Set<String> tenants, Method method) implements Principal {

  /** How a service authenticated. */
  public enum Method {
    TOKEN,
    MTLS
  }

  public ServicePrincipal {
    Objects.requireNonNull(name, "name");
    tenants = Set.copyOf(tenants);
    Objects.requireNonNull(method, "method");
  }

  @Override
  public String id() {
    return name;
  }

  @Override
  public AuditEvent.Actor actor() {
    return new AuditEvent.Actor(AuditEvent.Kind.SERVICE, name, "");
  }

  @Override
  public boolean mayActOn(String tenantId) {
    return tenants.contains("*") || tenants.contains(tenantId);
  }

  /** True when the service may act on exactly one tenant, which then needs no request field. */
  public boolean singleTenant() {
    return tenants.size() == 1 && !tenants.contains("*");
  }
}
