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
    return fixed(name, threads, queue, threadFactory(name));
  }

  /**
   * Like {@link #fixed(String, int, int)} with threads of the lowest Java priority, for CPU-bound
   * work that must yield to request handling (bcrypt). The JVM maps a Java priority onto the
   * thread's Linux nice value only with {@code -XX:ThreadPriorityPolicy=1}; the launcher passes
   * it with {@code -XX:JavaPriority1_To_OSPriority=19}, so these threads run at nice 19 (raising
   * one's own nice value needs no privilege). Without those flags the priority is ignored.
   */
  public static ThreadPoolExecutor fixedLowPriority(String name, int threads, int queue) {
    ThreadFactory normal = threadFactory(name);
    return fixed(name, threads, queue, r -> {
      Thread t = normal.newThread(r);
      t.setPriority(Thread.MIN_PRIORITY);
      return t;
    });
  }

  private static ThreadPoolExecutor fixed(String name, int threads, int queue, ThreadFactory factory) {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(queue),
            factory,
            new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Daemon threads named {@code name-N}, of normal priority. */
  public static ThreadFactory threadFactory(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      // A new thread inherits the priority of the thread that creates it, and pools create
      // threads lazily: a worker first needed by a bcrypt thread's continuation would otherwise
      // run at the bcrypt threads' lowest priority for good.
      t.setPriority(Thread.NORM_PRIORITY);
      return t;
    };
  }
}
