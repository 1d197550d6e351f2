package io.apixx.flow.sidecar.tenancy;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * What the daemon needs to know about a tenant. Not secret.
 *
 * @param plan starter, growth, scale or enterprise
 * @param residencyRegion where the tenant's data may be processed (e.g. eu-west-1)
 * @param crossRegionOptIn whether the tenant allowed processing in other regions (each such
 *     release is audited as cross-region)
 * @param oidcIssuer the tenant's OpenID provider, when SSO is configured
 * @param oidcAudience the client id ID tokens must be issued to
 * @param oidcJwksUri where the provider's keys are (default: discovered from the issuer)
 * @param sessionIdleTimeout override of {@code auth.sessions.idle_timeout}
 * @param sessionAbsoluteTimeout override of {@code auth.sessions.absolute_timeout}
 */
public record TenantInfo(
    String id,
    String plan,
    String residencyRegion,
    boolean crossRegionOptIn,
    Optional<String> oidcIssuer,
    Optional<String> oidcAudience,
    Optional<String> oidcJwksUri,
    Optional<Duration> sessionIdleTimeout,
    Optional<Duration> sessionAbsoluteTimeout) {

  /** Plans that include single sign-on. */
  public static final Set<String> SSO_PLANS = Set.of("scale", "enterprise");

  /** Whether the plan includes SSO and an OIDC provider is configured. */
  public boolean ssoEnabled() {
    return SSO_PLANS.contains(plan) && oidcIssuer.isPresent() && oidcAudience.isPresent();
  }

  /** Whether a daemon in {@code region} may process this tenant's secrets. */
  public boolean releasableIn(String region) {
    return residencyRegion.equals(region) || crossRegionOptIn;
  }
}
