package io.apixx.flow.sidecar;

import java.util.Deque;
import org.slf4j.Logger;

/**
 * Closing what a composition root started, last started first. The collector's root uses it; the
 * daemon's ({@code Main.closeAll}, {@code RunningSidecar.shutdown}) holds the same loops and could.
 */
final class Closeables {
  private Closeables() {}

  /** After a failed start: closes every resource, adding their failures to {@code failure}. */
  static void closeAfterFailure(Deque<AutoCloseable> resources, Exception failure) {
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception suppressed) {
        failure.addSuppressed(suppressed);
      }
    }
  }

  /** At shutdown: closes every resource, logging the failures (shutdown goes on regardless). */
  static void closeLogging(Deque<AutoCloseable> resources, Logger log) {
    for (AutoCloseable r; (r = resources.poll()) != null; ) {
      try {
        r.close();
      } catch (Exception e) {
        log.warn("error while closing {}", r.getClass().getSimpleName(), e);
      }
    }
  }
}
