package io.apixx.flow.sidecar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KmsConfigTest {
  @TempDir Path dir;

  private SidecarConfig load(String... flags) {
    return load(Optional.empty(), Map.of(), flags);
  }

  private SidecarConfig load(Optional<Path> file, Map<String, String> env, String... flags) {
    List<String> all = new ArrayList<>();
    all.add("server.socket_path=" + dir.resolve("s.sock"));
    all.addAll(Arrays.asList(flags));
    return new ConfigLoader().load(ConfigLoader.Sources.of(file, env, all));
  }

  @Test
  void load_defaults_noKmsAndDocumentedCacheBounds() {
    KmsConfig kms = load().kms();

    assertThat(kms.uri()).isEmpty();
    assertThat(kms.scheme()).isEmpty();
    assertThat(kms.dekCache().maxAge()).isEqualTo(Duration.ofMinutes(5));
    assertThat(kms.dekCache().maxUses()).isEqualTo(10_000);
    assertThat(kms.dekCache().maxEntries()).isEqualTo(10_000);
    assertThat(kms.requestTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(kms.vault().authMethod()).isEqualTo("kubernetes");
    assertThat(kms.vault().keyPrefix()).isEqualTo("flow-tenant-");
  }

  @Test
  void load_everyKmsKeyIsInTheDefaults() {
    assertThat(new ConfigLoader().knownKeys())
        .contains(
            "kms.uri",
            "kms.connect_timeout",
            "kms.request_timeout",
            "kms.max_retries",
            "kms.retry_backoff",
            "kms.retry_max_backoff",
            "kms.dek_cache.max_age",
            "kms.dek_cache.max_uses",
            "kms.dek_cache.max_entries",
            "kms.vault.auth_method",
            "kms.vault.role",
            "kms.vault.kubernetes_mount",
            "kms.vault.service_account_token_file",
            "kms.vault.token_file",
            "kms.vault.ca_file",
            "kms.vault.namespace",
            "kms.vault.key_prefix",
            "kms.vault.transit_mount");
  }

  @Test
  void load_devProfile_usesRelativeLocalKeyring() {
    SidecarConfig config =
        new ConfigLoader()
            .load(
                ConfigLoader.Sources.of(
                        Optional.empty(),
                        Map.of(),
                        List.of("server.socket_path=" + dir.resolve("s.sock")))
                    .withProfile("dev"));

    assertThat(config.kms().uri()).isEqualTo("file://.dev/keyring.json");
    assertThat(config.kms().keyringPath()).contains(Path.of(".dev/keyring.json"));
  }

  @Test
  void keyringPath_fileUriForms_parsedLiterally() {
    assertThat(load("kms.uri=file:rel/k.json").kms().keyringPath()).contains(Path.of("rel/k.json"));
    assertThat(load("kms.uri=file://rel/k.json").kms().keyringPath())
        .contains(Path.of("rel/k.json"));
    assertThat(load("kms.uri=file:///abs/k.json").kms().keyringPath())
        .contains(Path.of("/abs/k.json"));
    assertThat(load("kms.uri=file:/abs/k.json").kms().keyringPath())
        .contains(Path.of("/abs/k.json"));
  }

  @Test
  void load_fileUriWithQueryOrNoPath_rejected() {
    assertRejected("kms.uri", "kms.uri=file://");
    assertRejected("kms.uri", "kms.uri=file:k.json?x=1");
  }

  @Test
  void vaultEndpoint_goodUri_parsed() {
    KmsConfig kms =
        load("kms.uri=vault-transit://vault.example.com/team/transit", "kms.vault.role=r").kms();

    KmsConfig.VaultEndpoint endpoint = kms.vaultEndpoint().orElseThrow();
    assertThat(endpoint.address()).isEqualTo(URI.create("https://vault.example.com:8200"));
    assertThat(endpoint.transitMount()).isEqualTo("team/transit");
    assertThat(endpoint.tls()).isTrue();
  }

  @Test
  void vaultEndpoint_noMountInUri_usesConfiguredOrDefault() {
    assertThat(load("kms.uri=vault-transit://v:8201").kms().vaultEndpoint().orElseThrow())
        .isEqualTo(new KmsConfig.VaultEndpoint(URI.create("https://v:8201"), "transit"));
    assertThat(
            load("kms.uri=vault-transit://v:8201", "kms.vault.transit_mount=kv2")
                .kms()
                .vaultEndpoint()
                .orElseThrow()
                .transitMount())
        .isEqualTo("kv2");
  }

  @Test
  void vaultEndpoint_plainHttpOnLoopback_accepted() {
    KmsConfig.VaultEndpoint e =
        load("kms.uri=vault-transit://127.0.0.1:8200/transit?tls=false").kms().vaultEndpoint().get();

    assertThat(e.address()).isEqualTo(URI.create("http://127.0.0.1:8200"));
    assertThat(e.tls()).isFalse();
  }

  @Test
  void load_plainHttpToRemoteVault_rejected() {
    assertRejected("kms.uri", "kms.uri=vault-transit://10.1.2.3:8200/transit?tls=false");
  }

  @Test
  void load_badVaultUris_rejected() {
    assertRejected("kms.uri", "kms.uri=vault-transit:///transit");
    assertRejected("kms.uri", "kms.uri=vault-transit://v/transit?verify=false");
    assertRejected("kms.uri", "kms.uri=vault-transit://user@v/transit");
    assertRejected("kms.uri", "kms.uri=vault-transit://v/bad%20mount");
    assertRejected(
        "kms.vault.transit_mount", "kms.uri=vault-transit://v/a", "kms.vault.transit_mount=b");
  }

  @Test
  void load_unknownScheme_rejected() {
    assertRejected("kms.uri", "kms.uri=aws-kms://arn:aws:kms:us-east-1:1:key/x");
    assertRejected("kms.uri", "kms.uri=keyring.json");
  }

  @Test
  void load_unknownKmsKey_rejectedNamingIt() {
    assertRejected("kms.dek_cache.max_size", "kms.dek_cache.max_size=10");
    assertRejected("kms.vault.token", "kms.vault.token=s.abc");
  }

  @Test
  void load_unknownKeyInYamlFile_rejectedNamingIt() throws Exception {
    Path file = dir.resolve("c.yaml");
    Files.writeString(file, "kms:\n  uri: \"\"\n  dek_cache:\n    ttl: 5m\n");

    assertThatThrownBy(() -> load(Optional.of(file), Map.of()))
        .isInstanceOfSatisfying(
            ConfigException.class, e -> assertThat(e.key()).isEqualTo("kms.dek_cache.ttl"));
  }

  @Test
  void load_wrongTypes_rejectedNamingTheKey() throws Exception {
    Path file = dir.resolve("c.yaml");
    Files.writeString(file, "kms:\n  max_retries: \"3\"\n");
    assertThatThrownBy(() -> load(Optional.of(file), Map.of()))
        .isInstanceOfSatisfying(
            ConfigException.class, e -> assertThat(e.key()).isEqualTo("kms.max_retries"))
        .hasMessageContaining("expected an integer");

    Files.writeString(file, "kms:\n  uri: 42\n");
    assertThatThrownBy(() -> load(Optional.of(file), Map.of()))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("kms.uri"));

    assertRejected("kms.dek_cache.max_age", "kms.dek_cache.max_age=soon");
    assertRejected("kms.dek_cache.max_uses", "kms.dek_cache.max_uses=[1]");
  }

  @Test
  void load_outOfRangeValues_rejected() {
    assertRejected("kms.dek_cache.max_age", "kms.dek_cache.max_age=2h");
    assertRejected("kms.dek_cache.max_age", "kms.dek_cache.max_age=0s");
    assertRejected("kms.dek_cache.max_uses", "kms.dek_cache.max_uses=0");
    assertRejected("kms.dek_cache.max_entries", "kms.dek_cache.max_entries=-1");
    assertRejected("kms.max_retries", "kms.max_retries=11");
    assertRejected("kms.request_timeout", "kms.request_timeout=0s");
    assertRejected("kms.retry_max_backoff", "kms.retry_backoff=2s", "kms.retry_max_backoff=1s");
  }

  @Test
  void load_goodValuesFromEnvironmentAndFlags_bound() {
    SidecarConfig config =
        load(
            Optional.empty(),
            Map.of("FLOW_SIDECAR_KMS__DEK_CACHE__MAX_USES", "50"),
            "kms.uri=vault-transit://127.0.0.1:18200/transit?tls=false",
            "kms.dek_cache.max_age=90s",
            "kms.dek_cache.max_entries=0",
            "kms.vault.auth_method=token",
            "kms.vault.token_file=/run/vault/token",
            "kms.vault.namespace=team-a",
            "kms.max_retries=0");

    KmsConfig kms = config.kms();
    assertThat(kms.dekCache()).isEqualTo(new DekCacheConfig(Duration.ofSeconds(90), 50, 0));
    assertThat(kms.vault().authMethod()).isEqualTo(VaultKmsConfig.AUTH_TOKEN);
    assertThat(kms.vault().tokenFile()).isEqualTo("/run/vault/token");
    assertThat(kms.vault().namespace()).isEqualTo("team-a");
    assertThat(kms.maxRetries()).isZero();
  }

  @Test
  void load_vaultSettingsInvalid_rejectedOnlyWhenVaultSelected() {
    // Irrelevant while the local keyring is used...
    load("kms.uri=file:k.json", "kms.vault.auth_method=ldap");
    // ...checked once Vault is selected.
    assertRejected(
        "kms.vault.auth_method", "kms.uri=vault-transit://v/transit", "kms.vault.auth_method=ldap");
    assertRejected("kms.vault.role", "kms.uri=vault-transit://v/transit", "kms.vault.role=");
    assertRejected(
        "kms.vault.token_file",
        "kms.uri=vault-transit://v/transit",
        "kms.vault.auth_method=token");
    assertRejected(
        "kms.vault.ca_file",
        "kms.uri=vault-transit://v/transit",
        "kms.vault.ca_file=" + dir.resolve("missing.pem"));
    assertRejected(
        "kms.vault.key_prefix", "kms.uri=vault-transit://v/transit", "kms.vault.key_prefix=a/b");
  }

  private void assertRejected(String key, String... flags) {
    assertThatThrownBy(() -> load(flags))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo(key));
  }
}
