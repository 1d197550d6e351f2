package io.apixx.flow.sidecar.dev;

import io.apixx.flow.sidecar.credentials.CredentialMetadata;
import io.apixx.flow.sidecar.credentials.CredentialService;
import io.apixx.flow.sidecar.credentials.RequestMeta;
import io.apixx.flow.sidecar.credentials.SecretFields;
import io.apixx.flow.sidecar.persistence.DbActor;
import io.apixx.flow.sidecar.persistence.TenantScope;
import io.apixx.flow.sidecar.tenancy.TenantDirectory;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Dev mode's demo data, ensured on every {@code flow-sidecar dev} start (idempotent):
 *
 * <ul>
 *   <li>tenant {@value #TENANT}, plan enterprise, resident in the daemon's region (updated to it
 *       if the region changed since the last start);
 *   <li>connector {@value #GITHUB} ("Demo GitHub") with a sealed credential {@code {"api_token":
 *       <random>, "user": "demo"}};
 *   <li>connector {@value #OTHER} ("Demo Other") with another sealed credential, which a run token
 *       scoped to {@value #GITHUB} alone is refused.
 * </ul>
 *
 * Credentials are sealed through {@link CredentialService} as the daemon itself (SYSTEM actor,
 * audited like any seal) and only when the connector has none, so the random token is made once
 * per {@code .dev/} install (the database and keyring live there) and stays stable afterwards.
 * Not used outside dev mode.
 */
public final class DevSeed {
  /** The demo tenant. */
  public static final String TENANT = "demo";
  /** The connector dev run tokens are scoped to by default. */
  public static final String GITHUB = "demo-github";
  /** A second connector, outside the default scope. */
  public static final String OTHER = "demo-other";

  private static final SecureRandom RANDOM = new SecureRandom();

  private final TenantScope tenants;
  private final TenantDirectory directory;
  private final CredentialService credentials;
  private final String region;

  private DevSeed(TenantScope tenants, TenantDirectory directory, CredentialService credentials, String region) {
    this.tenants = tenants;
    this.directory = directory;
    this.credentials = credentials;
    this.region = region;
  }

  /**
   * @param region the daemon's region; the demo tenant is made resident there
   */
  public static DevSeed create(
      TenantScope tenants, TenantDirectory directory, CredentialService credentials, String region) {
    Objects.requireNonNull(tenants, "tenants");
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(credentials, "credentials");
    if (region == null || region.isBlank()) {
      throw new IllegalArgumentException("region is required");
    }
    return new DevSeed(tenants, directory, credentials, region);
  }

  /**
   * What one {@link #ensure} did.
   *
   * @param sealed the connectors whose credential was sealed by this call (empty when they all
   *     existed)
   */
  public record Result(List<String> sealed) {
    public Result {
      sealed = List.copyOf(sealed);
    }
  }

  /**
   * Makes sure the demo tenant, connectors and credentials exist.
   *
   * @throws io.apixx.flow.sidecar.error.SidecarException UNAVAILABLE when the database, KMS or
   *     audit trail is down
   */
  public Result ensure() {
    tenants.inTenantStatement(
        TENANT,
        DbActor.system(),
        tx ->
            tx.update(
                "INSERT INTO flow.tenants (id, name, plan, residency_region) VALUES (?, 'Demo', 'enterprise', ?)"
                    + " ON CONFLICT (id) DO UPDATE SET plan = EXCLUDED.plan, residency_region = EXCLUDED.residency_region"
                    + " WHERE flow.tenants.plan <> EXCLUDED.plan OR flow.tenants.residency_region <> EXCLUDED.residency_region",
                TENANT,
                region));
    directory.invalidate(TENANT);
    List<String> sealed = new ArrayList<>();
    sealIfAbsent(GITHUB, "Demo GitHub", "demo").ifPresent(m -> sealed.add(m.connectorId()));
    sealIfAbsent(OTHER, "Demo Other", "demo-other").ifPresent(m -> sealed.add(m.connectorId()));
    return new Result(sealed);
  }

  private Optional<CredentialMetadata> sealIfAbsent(String connectorId, String displayName, String user) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("api_token", randomToken());
    values.put("user", user);
    try (SecretFields fields = SecretFields.fromStrings(values)) {
      return credentials.sealIfAbsentAsSystem(TENANT, connectorId, displayName, fields, RequestMeta.internal("dev-seed"));
    }
  }

  /** 192 random bits, shaped like a personal access token so it is recognisable in dev output. */
  private static String randomToken() {
    byte[] b = new byte[24];
    RANDOM.nextBytes(b);
    return "demo_pat_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  @Override
  public String toString() {
    return "DevSeed[tenant=" + TENANT + ", region=" + region + "]";
  }
}
