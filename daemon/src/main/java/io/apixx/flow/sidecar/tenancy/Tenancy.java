package io.apixx.flow.sidecar.tenancy;

import io.apixx.flow.sidecar.auth.AuthException;
import io.apixx.flow.sidecar.auth.Principal;
import io.apixx.flow.sidecar.auth.RunPrincipal;
import io.apixx.flow.sidecar.auth.ServicePrincipal;
import io.apixx.flow.sidecar.auth.UserPrincipal;
import java.util.Optional;
import java.util.regex.Pattern;

/** Which tenant a call acts on: always derived from the principal. */
public final class Tenancy {
  /** Tenant ids: lowercase slugs. */
  public static final Pattern TENANT_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private Tenancy() {}

  /** The tenant a run or user belongs to; empty for services. */
  public static Optional<String> homeTenant(Principal p) {
    return switch (p) {
      case RunPrincipal r -> Optional.of(r.tenantId());
      case UserPrincipal u -> Optional.of(u.tenantId());
      case ServicePrincipal s -> s.singleTenant() ? s.tenants().stream().findFirst() : Optional.empty();
    };
  }

  /**
   * The tenant of the call. {@code requested} is the request's optional {@code tenant_id}: for
   * runs and users it may only repeat their own tenant; a service acting on several tenants must
   * name one it may act on.
   *
   * @throws AuthException PERMISSION_DENIED for a tenant the principal may not act on,
   *     INVALID_ARGUMENT when a multi-tenant service names none
   */
  public static String effectiveTenant(Principal p, String requested) {
    String req = requested == null ? "" : requested;
    if (!req.isEmpty()) {
      if (!TENANT_ID.matcher(req).matches()) {
        throw AuthException.invalid("bad_tenant_id", "tenant_id: expected a lowercase slug of at most 63 characters");
      }
      if (!p.mayActOn(req)) {
        throw AuthException.denied("wrong_tenant", "tenant_id: the caller may not act on that tenant");
      }
      return req;
    }
    return homeTenant(p)
        .orElseThrow(() -> AuthException.invalid("tenant_required", "tenant_id: required for services that act on several tenants"));
  }
}
