package io.apixx.flow.sidecar.tenancy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.persistence.TenantScope;
import java.time.Duration;
import java.util.Optional;

/**
 * Tenant facts (plan, residency, SSO, session timeouts), read within the tenant's own scope (row
 * level security keys the tenants table on its id) and cached briefly. Thread-safe.
 */
public final class TenantDirectory {
  private final TenantScope tenants;
  private final Cache<String, Optional<TenantInfo>> cache;

  /**
   * @param ttl how long an answer (including "no such tenant") is served from memory
   */
  public TenantDirectory(TenantScope tenants, Duration ttl, Ticker ticker) {
    this.tenants = tenants;
    // Maintenance (expiry, eviction) on the calling thread: no hand-off to the common pool, whose
    // wake-ups cost more than the cache saves on this hot path.
    this.cache = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(10_000).ticker(ticker).executor(Runnable::run).build();
  }

  /**
   * The tenant, if it exists.
   *
   * @throws io.apixx.flow.sidecar.persistence.DatabaseException UNAVAILABLE when the database is down
   */
  public Optional<TenantInfo> find(String tenantId) {
    if (!Tenancy.TENANT_ID.matcher(tenantId).matches()) {
      return Optional.empty();
    }
    Optional<TenantInfo> cached = cache.getIfPresent(tenantId);
    if (cached != null) {
      return cached;
    }
    Optional<TenantInfo> loaded =
        tenants.inTenantStatement(
            tenantId,
            DbActor.system(),
            tx ->
                tx.queryOne(
                    "SELECT id, plan, residency_region, cross_region_opt_in, oidc_issuer, oidc_audience, oidc_jwks_uri,"
                        + " session_idle_timeout, session_absolute_timeout FROM flow.tenants WHERE id = ?",
                    r ->
                        new TenantInfo(
                            r.getString("id"),
                            r.getString("plan"),
                            r.getString("residency_region"),
                            r.getBoolean("cross_region_opt_in"),
                            Optional.ofNullable(r.getString("oidc_issuer")),
                            Optional.ofNullable(r.getString("oidc_audience")),
                            Optional.ofNullable(r.getString("oidc_jwks_uri")),
                            Optional.ofNullable(r.getDuration("session_idle_timeout")),
                            Optional.ofNullable(r.getDuration("session_absolute_timeout"))),
                    tenantId));
    cache.put(tenantId, loaded);
    return loaded;
  }

  /** Forgets a tenant (after an update). */
  public void invalidate(String tenantId) {
    cache.invalidate(tenantId);
  }
}
