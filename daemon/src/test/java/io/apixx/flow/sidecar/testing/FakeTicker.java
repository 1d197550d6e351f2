package io.apixx.flow.sidecar.testing;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A Caffeine ticker moved by the test (after Caffeine's own FakeTicker). */
public final class FakeTicker implements Ticker {
  private final AtomicLong nanos = new AtomicLong();

  public void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Override
  public long read() {
    return nanos.get();
  }
}
