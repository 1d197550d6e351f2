package io.apixx.flow.sidecar.server;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The only way the daemon makes thread pools: fixed size, bounded queue, named threads. There is
 * no unbounded cached pool anywhere, so a flood of calls queues (then is refused) instead of
 * creating threads until memory runs out.
 */
public final class BoundedExecutors {
  private BoundedExecutors() {}

  /**
   * A fixed pool of {@code threads} with room for {@code queue} waiting tasks; beyond that
   * {@code execute} throws {@link java.util.concurrent.RejectedExecutionException}.
   */
  public static ThreadPoolExecutor fixed(String name, int threads, int queue) {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(queue),
            threadFactory(name),
            new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Daemon threads named {@code name-N}. */
  public static ThreadFactory threadFactory(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
