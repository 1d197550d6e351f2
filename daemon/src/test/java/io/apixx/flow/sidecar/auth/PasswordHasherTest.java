package io.apixx.flow.sidecar.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.server.BoundedExecutors;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PasswordHasherTest {
  private static PasswordHasher hasher;

  @BeforeAll
  static void setUp() {
    hasher = new PasswordHasher(12, BoundedExecutors.fixed("bcrypt-test", 2, 64));
  }

  @AfterAll
  static void tearDown() {
    hasher.close();
  }

  record Kat(String source, String password, String hash) {}

  static List<Kat> knownAnswers() throws Exception {
    List<Kat> out = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(PasswordHasherTest.class.getResourceAsStream("/bcrypt/known-answers.tsv"), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        String[] f = line.split("\t", -1);
        out.add(new Kat(f[0], f[1], f[2]));
      }
    }
    return out;
  }

  @Test
  void verify_knownAnswersOfAllThreePrefixes_match() throws Exception {
    List<Kat> kats = knownAnswers();
    assertThat(kats.stream().map(k -> k.hash().substring(0, 4))).contains("$2a$", "$2b$", "$2y$");
    for (Kat k : kats) {
      assertThat(hasher.verify(k.password(), Optional.of(k.hash())).get().matches()).as("%s %s", k.source(), k.hash()).isTrue();
      assertThat(hasher.verify(k.password() + "x", Optional.of(k.hash())).get().matches()).as("wrong password for %s", k.hash()).isFalse();
    }
  }

  @Test
  void verify_freshHtpasswdHash_matches() throws Exception {
    Process p = new ProcessBuilder("htpasswd", "-nbB", "-C", "12", "carol", "made by apache just now").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("htpasswd (Debian apache2-utils) must be installed: %s", out).isZero();
    String hash = out.substring(out.indexOf(':') + 1);
    assertThat(hash).startsWith("$2y$12$");
    assertThat(hasher.verify("made by apache just now", Optional.of(hash)).get().matches()).isTrue();
    assertThat(hasher.verify("made by apache just no", Optional.of(hash)).get().matches()).isFalse();
  }

  @Test
  void hash_newPassword_is2bAtCost12AndVerifies() throws Exception {
    String hash = hasher.hash("a perfectly fine passphrase").get();
    assertThat(hash).startsWith("$2b$12$").hasSize(60);
    PasswordHasher.Verification v = hasher.verify("a perfectly fine passphrase", Optional.of(hash)).get();
    assertThat(v.matches()).isTrue();
    assertThat(v.needsRehash()).isFalse();
  }

  @Test
  void verify_lowerCostHash_needsRehash() throws Exception {
    Kat legacy = knownAnswers().stream().filter(k -> k.hash().startsWith("$2a$10$")).findFirst().orElseThrow();
    PasswordHasher.Verification v = hasher.verify(legacy.password(), Optional.of(legacy.hash())).get();
    assertThat(v.matches()).isTrue();
    assertThat(v.needsRehash()).isTrue();
  }

  @Test
  void checkLength_73Bytes_rejectedNotTruncated() throws Exception {
    String p72 = "a".repeat(72);
    String p73 = p72 + "b";
    String hashOf72 = hasher.hash(p72).get();
    assertThatThrownBy(() -> hasher.verify(p73, Optional.of(hashOf72)))
        .isInstanceOfSatisfying(
            SidecarException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
              assertThat(e.getMessage()).contains("72 bytes").contains("not truncated").doesNotContain(p73);
            });
    assertThatThrownBy(() -> hasher.hash(p73)).isInstanceOf(SidecarException.class);
  }

  @Test
  void checkLength_countsUtf8BytesNotCharacters() {
    String e36 = "é".repeat(36);
    assertThat(PasswordHasher.checkLength(e36)).hasSize(72);
    assertThatThrownBy(() -> PasswordHasher.checkLength(e36 + "é")).isInstanceOf(SidecarException.class);
  }

  @Test
  void checkNewPassword_lengthOnlyPolicy() {
    assertThatThrownBy(() -> PasswordHasher.checkNewPassword("seven77")).hasMessageContaining("at least 8");
    assertThat(PasswordHasher.checkNewPassword("eight888")).hasSize(8);
    assertThat(PasswordHasher.checkNewPassword("x".repeat(64))).hasSize(64);
    assertThat(PasswordHasher.checkNewPassword("alllowercaseandnothingelse")).isNotEmpty();
  }

  @Test
  void verify_unknownUserVersusWrongPassword_mediansWithinTenPercent() throws Exception {
    String stored = hasher.hash(io.apixx.flow.sidecar.testing.Canaries.register("the real password")).get();
    int n = 50;
    long[] unknown = new long[n];
    long[] wrong = new long[n];
    // Interleaved so that machine load affects both series alike.
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      assertThat(hasher.verify("guess " + i, Optional.empty()).get().matches()).isFalse();
      unknown[i] = System.nanoTime() - t0;
      long t1 = System.nanoTime();
      assertThat(hasher.verify("guess " + i, Optional.of(stored)).get().matches()).isFalse();
      wrong[i] = System.nanoTime() - t1;
    }
    Arrays.sort(unknown);
    Arrays.sort(wrong);
    double mu = unknown[n / 2];
    double mw = wrong[n / 2];
    double ratio = mu / mw;
    System.err.printf("bcrypt cost 12: median unknown-user %.1f ms, wrong-password %.1f ms, ratio %.3f%n", mu / 1e6, mw / 1e6, ratio);
    assertThat(ratio).isBetween(0.90, 1.10);
  }

  @Test
  void verify_queueFull_resourceExhaustedWithRetryHint() {
    PasswordHasher tiny = new PasswordHasher(12, BoundedExecutors.fixed("bcrypt-tiny", 1, 1));
    try {
      List<CompletableFuture<?>> running = new ArrayList<>();
      SidecarException refused = null;
      for (int i = 0; i < 5 && refused == null; i++) {
        try {
          running.add(tiny.verify("password " + i, Optional.empty()));
        } catch (SidecarException e) {
          refused = e;
        }
      }
      assertThat(refused).isNotNull();
      assertThat(refused.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
      assertThat(refused.retryAfter()).isPresent();
    } finally {
      tiny.close();
    }
  }

  @Test
  void checkCapacity_queueFull_refusesBeforeSubmitting_freeAgain_passes() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.ThreadPoolExecutor pool = BoundedExecutors.fixed("bcrypt-cap", 1, 1);
    PasswordHasher tiny = new PasswordHasher(12, pool);
    try {
      // The hasher's own first task (its dummy hash for unknown users) finishes first.
      waitUntil(() -> pool.getActiveCount() == 0 && pool.getQueue().isEmpty());
      tiny.checkCapacity(); // empty: passes
      pool.execute(() -> awaitQuietly(release)); // the thread
      // Only once the thread has taken it: a thread that has just finished a task but not yet
      // asked for the next leaves the task in the queue, and the second would be rejected.
      waitUntil(() -> pool.getActiveCount() == 1);
      pool.execute(() -> awaitQuietly(release)); // the one queue slot

      SidecarException refused = org.assertj.core.api.Assertions.catchThrowableOfType(SidecarException.class, tiny::checkCapacity);
      assertThat(refused).isNotNull();
      assertThat(refused.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
      assertThat(refused.reasonCode()).isEqualTo("login_queue_full");
      assertThat(refused.retryAfter()).isPresent();
      java.util.Set<Duration> hints = new java.util.HashSet<>();
      for (int i = 0; i < 50; i++) {
        Duration hint = org.assertj.core.api.Assertions.catchThrowableOfType(SidecarException.class, tiny::checkCapacity).retryAfter().orElseThrow();
        assertThat(hint).isBetween(Duration.ofMillis(750), Duration.ofMillis(1500));
        hints.add(hint);
      }
      assertThat(hints).as("retry hints are spread, not one fixed delay").hasSizeGreaterThan(10);

      release.countDown();
      waitUntil(() -> pool.getActiveCount() == 0 && pool.getQueue().isEmpty());
      tiny.checkCapacity();
    } finally {
      release.countDown();
      tiny.close();
    }
  }

  private static void awaitQuietly(java.util.concurrent.CountDownLatch latch) {
    try {
      latch.await(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not reached in 10 s");
      }
      Thread.sleep(5);
    }
  }
}
