package io.apixx.flow.sidecar.persistence;

import io.apixx.flow.sidecar.audit.AuditEvent;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * Who a database transaction acts for. {@link TenantScope} puts it into the transaction as
 * {@code app.actor} ({@code <kind>:<id>}, e.g. {@code user:<uuid>}); the row level security
 * policies of admin-only tables read them (a {@link Kind#USER} must hold the admin role, a
 * {@link Kind#SERVICE} or {@link Kind#SYSTEM} may write). These are assertions by the daemon,
 * made from the authenticated principal, never from request data.
 *
 * @param kind the principal kind
 * @param id the user's UUID for {@link Kind#USER}, the run id, the service's name, or
 *     {@code "sidecar"} for {@link Kind#SYSTEM}
 */
public record DbActor(Kind kind, String id) {

  /** Principal kinds, as the policies see them (the part of {@code app.actor} before the colon). */
  public enum Kind {
    /** A person, through the services that call the daemon. */
    USER,
    /** Code running in the workflow sandbox. */
    RUN,
    /** The control plane. */
    SERVICE,
    /** The daemon itself: authentication before a principal exists, bootstrap, maintenance. */
    SYSTEM;

    String setting() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public DbActor {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(id, "id");
    if (id.isBlank() || id.length() > 200) {
      throw new IllegalArgumentException("actor id must be 1 to 200 characters");
    }
    if (kind == Kind.USER) {
      // Canonical form, so that the policies' ::uuid cast and has_role() see the same value.
      id = UUID.fromString(id).toString();
    }
  }

  public static DbActor user(UUID userId) {
    return new DbActor(Kind.USER, userId.toString());
  }

  public static DbActor run(String runId) {
    return new DbActor(Kind.RUN, runId);
  }

  public static DbActor service(String serviceName) {
    return new DbActor(Kind.SERVICE, serviceName);
  }

  public static DbActor system() {
    return new DbActor(Kind.SYSTEM, "sidecar");
  }

  /** The value of {@code app.actor}: {@code <kind>:<id>}. */
  String setting() {
    return kind.setting() + ":" + id;
  }

  /** The same actor as the audit trail names it. */
  public AuditEvent.Actor toAuditActor() {
    AuditEvent.Kind k =
        switch (kind) {
          case USER -> AuditEvent.Kind.USER;
          case RUN -> AuditEvent.Kind.RUN;
          case SERVICE -> AuditEvent.Kind.SERVICE;
          case SYSTEM -> AuditEvent.Kind.SYSTEM;
        };
    return new AuditEvent.Actor(k, id, "");
  }
}
