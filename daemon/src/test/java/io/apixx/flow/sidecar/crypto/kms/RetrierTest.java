package io.apixx.flow.sidecar.crypto.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.error.ErrorKind;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetrierTest {
  private final List<Duration> sleeps = new ArrayList<>();
  private final Retrier retrier =
      new Retrier(3, Duration.ofMillis(100), Duration.ofSeconds(1), sleeps::add);

  @Test
  void call_transientTwiceThenSuccess_returnsAfterTwoWaits() {
    AtomicInteger attempts = new AtomicInteger();

    String result =
        retrier.call(
            "op",
            () -> {
              if (attempts.incrementAndGet() <= 2) {
                throw new Retrier.Transient("HTTP 503", null);
              }
              return "ok";
            });

    assertThat(result).isEqualTo("ok");
    assertThat(attempts).hasValue(3);
    assertThat(sleeps).hasSize(2);
  }

  @Test
  void call_alwaysTransient_failsUnavailableAfterMaxRetriesWithTransportCause() {
    IOException transport = new IOException("connection refused");

    assertThatThrownBy(
            () ->
                retrier.call(
                    "KMS decrypt",
                    () -> {
                      throw new Retrier.Transient("no response (ConnectException)", transport);
                    }))
        .isInstanceOfSatisfying(
            KmsException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
              assertThat(e.getMessage())
                  .isEqualTo("KMS decrypt failed: no response (ConnectException) (4 attempts)");
              assertThat(e.getCause()).isSameAs(transport);
            });
    assertThat(sleeps).hasSize(3);
  }

  @Test
  void call_nonTransientFailure_notRetried() {
    AtomicInteger attempts = new AtomicInteger();

    assertThatThrownBy(
            () ->
                retrier.call(
                    "op",
                    () -> {
                      attempts.incrementAndGet();
                      throw KmsException.internal("kms_bad_request", "rejected (HTTP 400)", null);
                    }))
        .isInstanceOf(KmsException.class);
    assertThat(attempts).hasValue(1);
    assertThat(sleeps).isEmpty();
  }

  @Test
  void delay_growsExponentiallyUpToMaxWithJitter() {
    assertThat(retrier.cap(0)).isEqualTo(Duration.ofMillis(100));
    assertThat(retrier.cap(1)).isEqualTo(Duration.ofMillis(200));
    assertThat(retrier.cap(3)).isEqualTo(Duration.ofMillis(800));
    assertThat(retrier.cap(4)).isEqualTo(Duration.ofSeconds(1));
    assertThat(retrier.cap(62)).isEqualTo(Duration.ofSeconds(1));
    for (int i = 0; i < 1000; i++) {
      assertThat(retrier.delay(i % 8)).isBetween(Duration.ofMillis(1), retrier.cap(i % 8));
    }
  }

  @Test
  void call_interruptedWhileWaiting_failsUnavailableAndKeepsInterruptFlag() {
    Retrier interrupted =
        new Retrier(
            3,
            Duration.ofMillis(100),
            Duration.ofSeconds(1),
            d -> {
              throw new InterruptedException();
            });

    assertThatThrownBy(
            () ->
                interrupted.call(
                    "op",
                    () -> {
                      throw new Retrier.Transient("HTTP 503", null);
                    }))
        .isInstanceOfSatisfying(
            KmsException.class, e -> assertThat(e.reasonCode()).isEqualTo("kms_interrupted"));
    assertThat(Thread.interrupted()).isTrue();
  }
}
