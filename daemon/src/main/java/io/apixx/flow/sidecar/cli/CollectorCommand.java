package io.apixx.flow.sidecar.cli;

import io.apixx.flow.sidecar.CollectorMain;
import io.apixx.flow.sidecar.RunningCollector;
import io.apixx.flow.sidecar.config.ConfigLoader;
import io.apixx.flow.sidecar.config.SidecarConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code flow-sidecar collector --config FILE}: the audit collector. Prints {@code flow-sidecar
 * collector SERVING on <host:port> ...} when ready, runs until SIGTERM or SIGINT, shuts down
 * gracefully and exits 0 (see {@link Daemon} for why the signals are handled here). A
 * configuration without what a collector needs exits 2 naming the key.
 */
@Command(
    name = "collector",
    mixinStandardHelpOptions = true,
    description = "Run the audit collector: AuditIngestService over mutual TLS on collector.address, storing into PostgreSQL.")
final class CollectorCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(CollectorCommand.class);

  @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (section collector, plus server, metrics, logging).")
  Path config;

  @Mixin ConfigOptions options;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    SidecarConfig cfg = new ConfigLoader().load(options.sources(Optional.ofNullable(config)));
    cfg.collector().requireRunnable();
    CountDownLatch stop = new CountDownLatch(1);
    Signal.handle(new Signal("TERM"), s -> stop.countDown());
    Signal.handle(new Signal("INT"), s -> stop.countDown());
    RunningCollector collector = CollectorMain.start(cfg, CollectorMain.Options.process());
    String ready = collector.readyLine();
    log.info("{}", ready);
    PrintWriter out = spec.commandLine().getOut();
    out.println(ready);
    out.flush();
    stop.await();
    log.info("received termination signal");
    collector.shutdown();
    return 0;
  }
}
