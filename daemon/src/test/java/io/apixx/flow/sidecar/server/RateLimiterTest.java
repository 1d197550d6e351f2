package io.apixx.flow.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  final AtomicLong now = new AtomicLong();

  @Test
  void acquire_burstThenRefillAtTheRate() {
    RateLimiter l = new RateLimiter(10, 3, 100, now::get);
    assertThat(l.acquire("a")).isZero();
    assertThat(l.acquire("a")).isZero();
    assertThat(l.acquire("a")).isZero();
    Duration wait = l.acquire("a");
    assertThat(wait).isPositive().isLessThanOrEqualTo(Duration.ofMillis(100));
    now.addAndGet(Duration.ofMillis(100).toNanos());
    assertThat(l.acquire("a")).isZero();
    assertThat(l.acquire("a")).isPositive();
  }

  @Test
  void acquire_keysAreIndependent() {
    RateLimiter l = new RateLimiter(1, 1, 100, now::get);
    assertThat(l.acquire("a")).isZero();
    assertThat(l.acquire("a")).isPositive();
    assertThat(l.acquire("b")).isZero();
  }
}
