package io.apixx.flow.sidecar.crypto.kms;

import io.apixx.flow.sidecar.testing.FakeTicker;
import io.apixx.flow.sidecar.testing.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.apixx.flow.sidecar.config.DekCacheConfig;
import io.apixx.flow.sidecar.crypto.EnvelopeAead;
import io.apixx.flow.sidecar.crypto.InvalidCiphertextException;
import io.apixx.flow.sidecar.crypto.SealContext;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Log canaries: known secret values (a DEK, a credential, a Vault token, a service-account JWT, a
 * Vault response body) pass through the crypto and KMS code, including its failure paths; none may
 * appear in an exception message, a cause, a stack trace, a {@code toString()} or a log line.
 */
class SecretLeakTest {
  private static final String CANARY = "CANARY-b7e1c9f04a";
  private static final byte[] CANARY_DEK = "CANARY-b7e1c9f04a-32-byte-dek!!!".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final List<String> rendered = new ArrayList<>();

  @BeforeEach
  void captureLogs() {
    logs.start();
    root().addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    root().detachAppender(logs);
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  @Test
  void cryptoTypes_withCanaryKeyAndPlaintext_neverRenderThem() {
    assertThat(CANARY_DEK).hasSize(32);
    SecretBytes dek = SecretBytes.copyOf(CANARY_DEK);
    SealContext ctx = new SealContext("t", "c", "k", 1, SealContext.PURPOSE_CONNECTOR_CREDENTIAL);
    EnvelopeAead aead = EnvelopeAead.create();
    byte[] sealed = aead.seal(dek, (CANARY + "-credential").getBytes(StandardCharsets.UTF_8), ctx);
    SecretBytes opened = aead.open(dek, sealed, ctx);
    SealContext other = new SealContext("t", "c", "k", 2, SealContext.PURPOSE_CONNECTOR_CREDENTIAL);

    render(dek, opened, ctx, aead);
    renderThrown(() -> aead.open(dek, sealed, other));
    renderThrown(() -> aead.open(SecretBytes.copyOf(new byte[32]), sealed, ctx));
    renderThrown(() -> new SealContext(CANARY + "\uD800", "c", "k", 1, "p"));
    renderThrown(() -> EnvelopeAead.layout(CANARY.getBytes(StandardCharsets.US_ASCII)));

    LocalKeyringKms local = LocalKeyringKms.open(dir.resolve("k.json"), new MutableClock());
    WrappedKey wrapped = local.wrap("acme", dek);
    DataKey generated = local.generateDataKey("acme");
    DekCache cache = DekCache.wrap(local, new DekCacheConfig(Duration.ofMinutes(5), 10, 10), new FakeTicker());
    SecretBytes fromCache = cache.unwrap("acme", wrapped.bytes());
    render(local, wrapped, generated, cache, fromCache, cache.stats());
    renderThrown(() -> local.unwrap("globex", wrapped.bytes()));
    renderThrown(() -> local.unwrap(CANARY + "/..", wrapped.bytes()));
    renderThrown(() -> cache.unwrap("acme", CANARY.getBytes(StandardCharsets.US_ASCII)));

    assertNoCanary(List.of(CANARY, hex(CANARY_DEK), b64(CANARY_DEK), b64(generated.plaintext().reveal(SecretAccess.RELEASE))));
    cache.close();
  }

  @Test
  void vaultFailurePaths_withCanaryBodiesTokensAndJwt_neverLeak() throws Exception {
    try (VaultFixture vault = VaultFixture.http(dir)) {
      String jwt = vault.rotateServiceAccountToken(CANARY + "-sa");
      VaultTransitKms kms = vault.kms(vault.config(vault.kubernetesAuth(""), 2, Duration.ofSeconds(5)));
      vault.server.setErrorDetail(CANARY + "-response-body");

      DataKey key = kms.generateDataKey("acme");
      byte[] dek = key.plaintext().reveal(SecretAccess.RELEASE).clone();
      WrappedKey wrappedCanary = kms.wrap("acme", SecretBytes.copyOf(CANARY_DEK));
      render(kms, kms.authenticator(), key, wrappedCanary);

      vault.server.failNext(10, 500); // 5xx with a canary body, retries exhausted
      renderThrown(() -> kms.unwrap("acme", key.wrapped().bytes()));
      vault.server.failNext(0, 500);
      String tampered = new String(key.wrapped().bytes(), StandardCharsets.US_ASCII).replace("vault:v1:", "vault:v7:");
      renderThrown(() -> kms.unwrap("acme", tampered.getBytes(StandardCharsets.US_ASCII))); // 400 body
      vault.server.revokeAllTokens();
      vault.server.failLogins(5, 403); // login refused with a canary body
      renderThrown(() -> kms.unwrap("acme", key.wrapped().bytes()));
      vault.clock.advance(Duration.ofSeconds(10));
      vault.server.failLogins(0, 403);
      vault.server.denyTransit(true);
      renderThrown(() -> kms.unwrap("acme", key.wrapped().bytes())); // 403 after re-login
      vault.server.denyTransit(false);

      Path tokenFile = dir.resolve("token");
      String token = vault.server.issueToken(Duration.ofHours(1));
      Files.writeString(tokenFile, token);
      VaultTransitKms byToken = vault.kms(vault.config(vault.tokenAuth(tokenFile), 0, Duration.ofSeconds(5)));
      byToken.generateDataKey("acme").close();
      vault.server.revokeAllTokens();
      render(byToken, byToken.authenticator());
      renderThrown(() -> byToken.generateDataKey("acme"));

      vault.server.close();
      renderThrown(() -> kms.unwrap("acme", key.wrapped().bytes())); // transport error

      assertNoCanary(List.of(CANARY, jwt, token, hex(dek), b64(dek), hex(CANARY_DEK), b64(CANARY_DEK)));
    }
  }

  private void render(Object... objects) {
    for (Object o : objects) {
      rendered.add(String.valueOf(o));
    }
  }

  private void renderThrown(Runnable r) {
    Throwable t = null;
    try {
      r.run();
    } catch (RuntimeException e) {
      t = e;
    }
    assertThat(t).as("expected a failure").isNotNull();
    assertThat(t).isInstanceOfAny(InvalidCiphertextException.class, io.apixx.flow.sidecar.error.SidecarException.class);
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    rendered.add(t.toString());
    rendered.add(w.toString());
  }

  private void assertNoCanary(List<String> secrets) {
    List<String> lines = new ArrayList<>(rendered);
    for (ILoggingEvent e : logs.list) {
      lines.add(e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        lines.add(ThrowableProxyUtil.asString(e.getThrowableProxy()));
      }
    }
    assertThat(lines).isNotEmpty();
    for (String secret : secrets) {
      assertThat(lines).as("rendered text and log lines").noneMatch(line -> line.contains(secret));
    }
    System.out.printf("log canaries: %d strings and %d log events scanned, 0 hits%n", rendered.size(), logs.list.size());
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  @Test
  void renderThrown_guard_failsWhenNothingThrown() {
    assertThatThrownBy(() -> renderThrown(() -> {})).isInstanceOf(AssertionError.class);
  }
}
