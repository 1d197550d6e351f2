package io.apixx.flow.sidecar.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BoundedExecutorsTest {

  @Test
  void fixedLowPriority_threadsHaveMinPriorityAndName() throws Exception {
    ThreadPoolExecutor pool = BoundedExecutors.fixedLowPriority("bcrypt", 1, 4);
    try {
      Future<String> seen = pool.submit(() -> Thread.currentThread().getName() + "/" + Thread.currentThread().getPriority());

      assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("bcrypt-1/" + Thread.MIN_PRIORITY);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void fixed_threadsHaveNormalPriority() throws Exception {
    ThreadPoolExecutor pool = BoundedExecutors.fixed("grpc-worker", 1, 4);
    try {
      assertThat(pool.submit(() -> Thread.currentThread().getPriority()).get(5, TimeUnit.SECONDS))
          .isEqualTo(Thread.NORM_PRIORITY);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void fixed_threadCreatedFromLowPriorityThread_normalPriority() throws Exception {
    // A continuation handed from a bcrypt thread to the workers makes the worker pool create
    // its thread there; it must not inherit the bcrypt thread's priority.
    ThreadPoolExecutor low = BoundedExecutors.fixedLowPriority("bcrypt", 1, 4);
    ThreadPoolExecutor workers = BoundedExecutors.fixed("grpc-worker", 1, 4);
    try {
      Future<Future<Integer>> nested = low.submit(() -> workers.submit(() -> Thread.currentThread().getPriority()));

      assertThat(nested.get(5, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS)).isEqualTo(Thread.NORM_PRIORITY);
    } finally {
      low.shutdownNow();
      workers.shutdownNow();
    }
  }

  @Test
  void fixedLowPriority_queueFull_rejects() throws Exception {
    ThreadPoolExecutor pool = BoundedExecutors.fixedLowPriority("bcrypt", 1, 1);
    CountDownLatch release = new CountDownLatch(1);
    try {
      pool.execute(() -> awaitQuietly(release)); // runs
      pool.execute(() -> awaitQuietly(release)); // queued

      assertThatThrownBy(() -> pool.execute(() -> {})).isInstanceOf(RejectedExecutionException.class);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
