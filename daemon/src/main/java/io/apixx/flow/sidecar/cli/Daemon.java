package io.apixx.flow.sidecar.cli;

import io.apixx.flow.sidecar.Main;
import io.apixx.flow.sidecar.RunningSidecar;
import io.apixx.flow.sidecar.config.SidecarConfig;
import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Runs a started daemon until SIGTERM or SIGINT, then shuts it down gracefully and returns 0.
 *
 * <p>Why {@link Signal}: with only a shutdown hook the JVM exits with 143 after SIGTERM, and hooks
 * run concurrently with no order. Handling the signal ourselves lets the main thread drain calls
 * and then exit 0, as Kubernetes and the issue expect.
 */
public final class Daemon {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  private Daemon() {}

  static int run(SidecarConfig config, String mode, PrintWriter out) throws Exception {
    return run(config, mode, out, Main.StartOptions.process());
  }

  /**
   * Starts the daemon, prints the ready line to {@code out}, blocks until SIGTERM/SIGINT, shuts
   * down gracefully and returns 0. Public so that test launchers can add services.
   */
  public static int run(SidecarConfig config, String mode, PrintWriter out, Main.StartOptions options)
      throws Exception {
    CountDownLatch stop = new CountDownLatch(1);
    Signal.handle(new Signal("TERM"), s -> stop.countDown());
    Signal.handle(new Signal("INT"), s -> stop.countDown());
    RunningSidecar sidecar = Main.start(config, options);
    String ready = sidecar.readyLine(mode);
    log.info("{}", ready);
    out.println(ready);
    out.flush();
    stop.await();
    log.info("received termination signal");
    sidecar.shutdown();
    return 0;
  }
}
