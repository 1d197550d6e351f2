package io.apixx.flow.sidecar.crypto.kms;

import java.util.regex.Pattern;

/** The tenant-id syntax every backend accepts; ids become Vault key names and JSON keys. */
final class TenantIds {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private TenantIds() {}

  /**
   * @return {@code tenantId}
   * @throws KmsException {@code INVALID_ARGUMENT} (without echoing the value) if it does not match
   */
  static String check(String tenantId) {
    if (tenantId == null || !VALID.matcher(tenantId).matches()) {
      throw KmsException.invalidArgument(
          "invalid_tenant_id", "tenant id must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    }
    return tenantId;
  }
}
