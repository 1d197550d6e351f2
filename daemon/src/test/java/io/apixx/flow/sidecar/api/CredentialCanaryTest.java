package io.apixx.flow.sidecar.api;

import static io.apixx.flow.sidecar.testing.CredentialsHarness.meta;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.apixx.flow.sidecar.audit.AuditSpool;
import io.apixx.flow.sidecar.credentials.CredentialLimits;
import io.apixx.flow.sidecar.credentials.CredentialService;
import io.apixx.flow.sidecar.credentials.ReleasedCredential;
import io.apixx.flow.sidecar.credentials.SecretFields;
import io.apixx.flow.sidecar.testing.CredentialsHarness;
import io.apixx.flow.sidecar.testing.CredentialsTestCase;
import io.apixx.flow.sidecar.v1.GetCredentialRequest;
import io.apixx.flow.sidecar.v1.ListCredentialsRequest;
import io.apixx.flow.sidecar.v1.RedactRequest;
import io.apixx.flow.sidecar.v1.RevokeCredentialRequest;
import io.apixx.flow.sidecar.v1.RotateCredentialRequest;
import io.apixx.flow.sidecar.v1.SealCredentialRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Log canaries for the credential capability: credentials whose values are unique canary strings
 * go through every success and failure path (over gRPC behind the real interceptor chain, and
 * directly); the canaries must appear in no log line (at DEBUG), status description, exception
 * message or stack trace, {@code toString()}, audit record or audit spool file. The only place
 * they may appear is the GetCredential response itself.
 */
class CredentialCanaryTest extends CredentialsTestCase {
  private static final String CANARY = "CANARY-" + UUID.randomUUID();
  private static final String CANARY_2 = "CANARY2-" + UUID.randomUUID();

  private CredentialServer server;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final List<String> rendered = new ArrayList<>();
  private Level rootLevel;

  @BeforeEach
  void setUp() {
    rootLevel = root().getLevel();
    root().setLevel(Level.DEBUG);
    logs.start();
    root().addAppender(logs);
    server = new CredentialServer(h, h.service);
    server.services.put("fst_service", CredentialsHarness.servicePrincipal(tenant));
    server.sessions.put("fss_run", h.run(tenant, "github"));
  }

  @AfterEach
  void tearDown() throws Exception {
    server.close();
    root().detachAppender(logs);
    root().setLevel(rootLevel);
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  /** Runs a call expected to fail and keeps everything it rendered about the failure. */
  private Status failing(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      keepThrown(e);
      return e.getStatus();
    } catch (RuntimeException e) {
      keepThrown(e);
      return Status.fromThrowable(e);
    }
    throw new AssertionError("expected a failure");
  }

  private void keepThrown(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    rendered.add(t.toString());
    rendered.add(String.valueOf(t.getMessage()));
    rendered.add(w.toString());
    if (t instanceof StatusRuntimeException s) {
      rendered.add(String.valueOf(s.getStatus().getDescription()));
      rendered.add(String.valueOf(s.getTrailers()));
    }
  }

  private void render(Object... objects) {
    for (Object o : objects) {
      rendered.add(String.valueOf(o));
    }
  }

  private void swapCiphertextAcrossVersions() {
    int updated =
        h.fixtures.executeBypassingTriggers(
            "UPDATE flow.connector_credentials t SET ciphertext = s.ciphertext, wrapped_key = s.wrapped_key"
                + " FROM flow.connector_credentials s WHERE t.tenant_id = ? AND s.tenant_id = t.tenant_id"
                + " AND t.connector_id = 'swapped' AND s.connector_id = 'swapped' AND t.version = 2 AND s.version = 1",
            tenant);
    assertThat(updated).isEqualTo(1);
  }

  @Test
  void credentialPaths_canaryValues_neverLeaveGetCredentialResponse() throws Exception {
    var service = server.as("fst_service");
    var run = server.as("fss_run");
    GetCredentialRequest github = GetCredentialRequest.newBuilder().setConnectorId("github").build();

    // Success paths.
    render(service.sealCredential(SealCredentialRequest.newBuilder().setConnectorId("github")
        .putSecretFields("api_token", CANARY).putSecretFields("user", "u-" + CANARY).build()));
    assertThat(run.getCredential(github).getSecretFieldsMap()).containsEntry("api_token", CANARY);
    render(service.listCredentials(ListCredentialsRequest.getDefaultInstance()));
    render(run.listCredentials(ListCredentialsRequest.getDefaultInstance()));
    var redacted = run.redact(RedactRequest.newBuilder().setPayload("log: " + CANARY + " / " + b64(CANARY)).build());
    assertThat(redacted.getReplacements()).isEqualTo(2);
    render(redacted);
    try (ReleasedCredential r = h.service.release(h.run(tenant, "github"), "github", meta())) {
      render(r, r.fields(), r.metadata());
    }
    try (SecretFields f = SecretFields.fromStrings(Map.of("k", CANARY))) {
      render(f, h.service, h.kms, h.kms.stats());
    }

    // Failure paths over gRPC: each status, exception and log line is kept.
    List<Status> statuses = new ArrayList<>();
    statuses.add(failing(() -> run.getCredential(GetCredentialRequest.newBuilder().setConnectorId("slack").build())));
    statuses.add(failing(() -> service.sealCredential(SealCredentialRequest.newBuilder().setConnectorId("github")
        .putSecretFields("api_token", CANARY).build())));
    statuses.add(failing(() -> service.sealCredential(SealCredentialRequest.newBuilder().setConnectorId("bad")
        .putSecretFields(CANARY + " ", CANARY).build())));
    statuses.add(failing(() -> service.sealCredential(SealCredentialRequest.newBuilder().setConnectorId("big")
        .putSecretFields("k", CANARY.repeat(1000)).build())));
    statuses.add(failing(() -> service.sealCredential(SealCredentialRequest.newBuilder().setConnectorId(CANARY)
        .putSecretFields("k", CANARY).build())));
    statuses.add(failing(() -> run.redact(RedactRequest.newBuilder().setPayload((CANARY + " ").repeat(20_000))
        .setMask("M".repeat(64)).build())));

    h.kms.invalidateAll();
    h.switchable.down(true);
    statuses.add(failing(() -> run.getCredential(github)));
    statuses.add(failing(() -> service.rotateCredential(RotateCredentialRequest.newBuilder().setConnectorId("github")
        .putSecretFields("api_token", CANARY_2).build())));
    h.switchable.down(false);

    AuditSpool down = h.openSpool("closed", 64L << 20);
    down.close();
    CredentialService noAudit = h.newService(h.db, h.feed, h.kms, down, h.ticker, CredentialLimits.defaults());
    try (CredentialServer auditless = new CredentialServer(h, noAudit)) {
      auditless.sessions.put("fss_run", h.run(tenant, "github"));
      auditless.services.put("fst_service", CredentialsHarness.servicePrincipal(tenant));
      statuses.add(failing(() -> auditless.as("fss_run").getCredential(github)));
      statuses.add(failing(() -> auditless.as("fst_service").rotateCredential(RotateCredentialRequest.newBuilder()
          .setConnectorId("github").putSecretFields("api_token", CANARY_2).build())));
    }

    service.sealCredential(SealCredentialRequest.newBuilder().setConnectorId("swapped").putSecretFields("k", CANARY).build());
    service.rotateCredential(RotateCredentialRequest.newBuilder().setConnectorId("swapped").putSecretFields("k", CANARY_2).build());
    swapCiphertextAcrossVersions();
    h.ticker.advance(java.time.Duration.ofSeconds(1));
    server.sessions.put("fss_swapped", h.run(tenant, "swapped"));
    statuses.add(failing(() -> server.as("fss_swapped").getCredential(GetCredentialRequest.newBuilder().setConnectorId("swapped").build())));

    render(service.rotateCredential(RotateCredentialRequest.newBuilder().setConnectorId("github")
        .putSecretFields("api_token", CANARY_2).build()));
    render(service.revokeCredential(RevokeCredentialRequest.newBuilder().setConnectorId("github").setReason("canary test").build()));
    statuses.add(failing(() -> run.getCredential(github)));
    statuses.add(failing(() -> service.rotateCredential(RotateCredentialRequest.newBuilder().setConnectorId("github")
        .putSecretFields("api_token", CANARY).build())));

    assertThat(statuses)
        .extracting(Status::getCode)
        .containsExactly(
            Status.Code.PERMISSION_DENIED,
            Status.Code.ALREADY_EXISTS,
            Status.Code.INVALID_ARGUMENT,
            Status.Code.INVALID_ARGUMENT,
            Status.Code.INVALID_ARGUMENT,
            Status.Code.INVALID_ARGUMENT,
            Status.Code.UNAVAILABLE,
            Status.Code.UNAVAILABLE,
            Status.Code.UNAVAILABLE,
            Status.Code.UNAVAILABLE,
            Status.Code.INTERNAL,
            Status.Code.FAILED_PRECONDITION,
            Status.Code.FAILED_PRECONDITION);

    assertNoCanary();
  }

  private void assertNoCanary() throws IOException {
    List<String> lines = new ArrayList<>(rendered);
    for (ILoggingEvent e : logs.list) {
      lines.add(e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        lines.add(ThrowableProxyUtil.asString(e.getThrowableProxy()));
      }
    }
    int auditRecords = 0;
    for (var event : h.audit()) {
      lines.add(event.toString());
      auditRecords++;
    }
    List<String> spoolFiles = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(p -> p.toString().contains("audit") && Files.isRegularFile(p)).toList()) {
        spoolFiles.add(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
      }
    }
    lines.addAll(spoolFiles);
    List<String> canaries = List.of(CANARY, CANARY_2, b64(CANARY), b64(CANARY_2), hex(CANARY));
    long hits = lines.stream().filter(l -> canaries.stream().anyMatch(l::contains)).count();
    System.out.printf(
        "credential canaries: %d rendered strings, %d log events, %d audit records, %d spool files scanned: %d hits%n",
        rendered.size(), logs.list.size(), auditRecords, spoolFiles.size(), hits);
    assertThat(logs.list).as("the failure paths logged something to scan").isNotEmpty();
    assertThat(auditRecords).isGreaterThan(10);
    for (String canary : canaries) {
      assertThat(lines).as("rendered text, log lines, audit records").noneMatch(line -> line.contains(canary));
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String hex(String s) {
    return HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
  }
}
