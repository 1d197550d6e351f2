package io.apixx.flow.sidecar.auth;

import io.apixx.flow.sidecar.audit.AuditEvent;

/**
 * An authenticated caller. Built only by the authentication layer from a verified credential;
 * carried in the gRPC Context; never built from request fields. {@code toString()} contains no
 * secret (session tokens appear only as their SHA-256).
 */
public sealed interface Principal permits RunPrincipal, UserPrincipal, ServicePrincipal {

  /** Stable id: run id, user id or service name. */
  String id();

  /** The principal as an audit actor. */
  AuditEvent.Actor actor();

  /**
   * Whether this principal may act on {@code tenantId}. Runs and users act on their own tenant
   * only; a service on the tenants its token lists.
   */
  boolean mayActOn(String tenantId);
}
