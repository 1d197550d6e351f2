package io.apixx.flow.sidecar.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How the daemon talks to HashiCorp Vault Transit ({@code kms.vault.*}); used when {@code kms.uri}
 * starts with {@code vault-transit://}. No secret is configured here, only paths to files that
 * hold them, read at each login.
 *
 * @param authMethod {@code kubernetes} (log in with the pod's projected service-account token) or
 *     {@code token} (use the token in {@code tokenFile}, e.g. written by Vault Agent)
 * @param role the Vault role of the Kubernetes auth method
 * @param kubernetesMount where the Kubernetes auth method is mounted (path below {@code auth/})
 * @param serviceAccountTokenFile the projected service-account token; re-read at every login
 *     because the kubelet rotates it
 * @param tokenFile file holding a Vault token, for {@code authMethod: token}; re-read when Vault
 *     answers 403
 * @param caFile PEM file with the CA certificate(s) that sign Vault's TLS certificate; empty: the
 *     JVM's default trust store
 * @param namespace Vault Enterprise namespace ({@code X-Vault-Namespace}); empty: none
 * @param keyPrefix transit key name of a tenant = prefix + tenant id
 * @param transitMount mount path of the transit engine; empty: the path of {@code kms.uri}, else
 *     {@code transit}
 */
public record VaultKmsConfig(
    String authMethod,
    String role,
    String kubernetesMount,
    String serviceAccountTokenFile,
    String tokenFile,
    String caFile,
    String namespace,
    String keyPrefix,
    String transitMount) {

  /** Log in with the Kubernetes auth method. */
  public static final String AUTH_KUBERNETES = "kubernetes";
  /** Use a token read from a file. */
  public static final String AUTH_TOKEN = "token";

  static final Pattern MOUNT = Pattern.compile("[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*");
  private static final Pattern KEY_PREFIX = Pattern.compile("[A-Za-z0-9_.-]{0,64}");
  private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9_./-]{0,256}");

  public VaultKmsConfig {
    authMethod = authMethod == null ? "" : authMethod.toLowerCase(Locale.ROOT);
    role = nullToEmpty(role);
    kubernetesMount = nullToEmpty(kubernetesMount);
    serviceAccountTokenFile = nullToEmpty(serviceAccountTokenFile);
    tokenFile = nullToEmpty(tokenFile);
    caFile = nullToEmpty(caFile);
    namespace = nullToEmpty(namespace);
    keyPrefix = nullToEmpty(keyPrefix);
    transitMount = nullToEmpty(transitMount);
  }

  /** Checks the settings a Vault backend needs; called only when {@code kms.uri} selects Vault. */
  void validate() {
    switch (authMethod) {
      case AUTH_KUBERNETES -> {
        Check.notBlank("kms.vault.role", role);
        mount("kms.vault.kubernetes_mount", kubernetesMount);
        Check.notBlank("kms.vault.service_account_token_file", serviceAccountTokenFile);
      }
      case AUTH_TOKEN -> Check.notBlank("kms.vault.token_file", tokenFile);
      default ->
          throw new ConfigException("kms.vault.auth_method", "must be kubernetes or token");
    }
    if (!caFile.isEmpty() && !Files.isReadable(Path.of(caFile))) {
      throw new ConfigException("kms.vault.ca_file", "file " + caFile + " is not readable");
    }
    if (!NAMESPACE.matcher(namespace).matches()) {
      throw new ConfigException("kms.vault.namespace", "may contain A-Z a-z 0-9 _ . / - only");
    }
    if (!KEY_PREFIX.matcher(keyPrefix).matches()) {
      throw new ConfigException(
          "kms.vault.key_prefix", "must be at most 64 characters of A-Z a-z 0-9 _ . -");
    }
    if (!transitMount.isEmpty()) {
      mount("kms.vault.transit_mount", transitMount);
    }
  }

  static void mount(String key, String value) {
    if (value == null || !MOUNT.matcher(value).matches()) {
      throw new ConfigException(key, "must be a mount path such as transit or team/transit");
    }
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s.trim();
  }
}
