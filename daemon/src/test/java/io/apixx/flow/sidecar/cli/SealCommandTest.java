package io.apixx.flow.sidecar.cli;

import static io.apixx.flow.sidecar.testing.CredentialsHarness.meta;
import static org.assertj.core.api.Assertions.assertThat;

import io.apixx.flow.sidecar.api.CredentialGrpcService;
import io.apixx.flow.sidecar.auth.AuthException;
import io.apixx.flow.sidecar.auth.Authenticator;
import io.apixx.flow.sidecar.auth.Principal;
import io.apixx.flow.sidecar.auth.ServicePrincipal;
import io.apixx.flow.sidecar.auth.ServiceTokens;
import io.apixx.flow.sidecar.credentials.ReleasedCredential;
import io.apixx.flow.sidecar.dev.DevEnvironment;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.testing.CredentialsHarness;
import io.apixx.flow.sidecar.testing.CredentialsTestCase;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code flow-sidecar seal} against a real gRPC server on loopback TCP (the daemon's interceptor
 * chain and credential service), authenticated with a dev-mode service token.
 */
class SealCommandTest extends CredentialsTestCase {
  private static final String TOKEN_VALUE = "cli-secret-token-0123456789";

  private Server server;
  private Path devDir;
  private String out;
  private String err;

  @BeforeEach
  void setUp() throws Exception {
    devDir = dir.resolve(".dev");
    DevEnvironment.prepare(devDir);
    ServiceTokens tokens = ServiceTokens.load(Optional.of(devDir.resolve(DevEnvironment.SERVICE_TOKENS)), h.clock);
    Authenticator authenticator =
        new Authenticator() {
          @Override
          public Principal session(String token) {
            throw AuthException.unauthenticated("unknown_session", "unknown or expired session");
          }

          @Override
          public Optional<ServicePrincipal> service(String token) {
            return tokens.authenticate(token);
          }
        };
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0));
    b.addService(new CredentialGrpcService(h.service));
    CredentialsHarness.intercept(b, h.interceptors(authenticator));
    server = b.build().start();
  }

  @AfterEach
  void tearDown() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private int seal(String stdin, String... args) {
    SealCommand command = new SealCommand();
    command.stdin = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
    command.console = null;
    CommandLine cli = new CommandLine(command);
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    cli.setOut(new PrintWriter(o));
    cli.setErr(new PrintWriter(e));
    List<String> all = new ArrayList<>(List.of(
        "--address", "127.0.0.1:" + server.getPort(),
        "--token-file", devDir.resolve(DevEnvironment.SERVICE_TOKEN).toString(),
        "--tenant", tenant));
    all.addAll(List.of(args));
    int code = cli.execute(all.toArray(String[]::new));
    out = o.toString();
    err = e.toString();
    return code;
  }

  private Map<String, String> released(String connector) {
    try (ReleasedCredential r = h.service.release(h.run(tenant, connector), connector, meta())) {
      return r.fields().revealUtf8(SecretAccess.RELEASE);
    }
  }

  @Test
  void seal_valuesFromStdinAndFile_sealedAndReleasable() throws Exception {
    Path user = dir.resolve("user.txt");
    Files.writeString(user, "octo\n");

    int code = seal(TOKEN_VALUE + "\n", "--connector", "cli-github", "--display-name", "CLI GitHub",
        "--field", "api_token=-", "--field", "user=@" + user);

    assertThat(code).as(err).isZero();
    assertThat(out).startsWith("sealed connector cli-github in tenant " + tenant + ": version 1").contains("fields api_token, user");
    assertThat(out + err).doesNotContain(TOKEN_VALUE);
    assertThat(released("cli-github")).containsExactly(Map.entry("api_token", TOKEN_VALUE), Map.entry("user", "octo"));
  }

  @Test
  void seal_rotate_storesVersionTwo() {
    assertThat(seal("first-value-0123", "--connector", "cli-rot", "--field", "api_token")).as(err).isZero();

    int code = seal("second-value-0123\nignored second line", "--connector", "cli-rot", "--rotate", "--field", "api_token");

    assertThat(code).as(err).isZero();
    assertThat(out).startsWith("rotated connector cli-rot in tenant " + tenant + ": version 2");
    assertThat(released("cli-rot")).containsEntry("api_token", "second-value-0123");
  }

  @Test
  void seal_valueOnCommandLine_refusedWithoutEchoingIt() {
    int code = seal("", "--connector", "cli-x", "--field", "api_token=" + TOKEN_VALUE);

    assertThat(code).isEqualTo(2);
    assertThat(err).contains("not taken from the command line").doesNotContain(TOKEN_VALUE);
    assertThat(h.fixtures.count("SELECT count(*) FROM flow.connectors WHERE tenant_id = ?", tenant)).isZero();
  }

  @Test
  void seal_twoFieldsFromStdinOrEmptyValue_usageError() {
    assertThat(seal("v", "--connector", "cli-x", "--field", "a=-", "--field", "b")).isEqualTo(2);
    assertThat(err).contains("only one field");
    assertThat(seal("\n", "--connector", "cli-x", "--field", "a=-")).isEqualTo(2);
    assertThat(err).contains("empty");
  }

  @Test
  void seal_daemonRefuses_exitOneWithStatusCode() throws Exception {
    assertThat(seal("value-0123456789", "--connector", "Not_Valid", "--field", "k=-")).isEqualTo(1);
    assertThat(err).contains("INVALID_ARGUMENT: connector_id:");

    Path badToken = dir.resolve("bad-token");
    Files.writeString(badToken, "fst_not-a-known-token");
    SealCommand command = new SealCommand();
    command.stdin = new ByteArrayInputStream("v-0123456789".getBytes(StandardCharsets.UTF_8));
    CommandLine cli = new CommandLine(command);
    StringWriter e = new StringWriter();
    cli.setErr(new PrintWriter(e));
    int code = cli.execute("--address", "127.0.0.1:" + server.getPort(), "--token-file", badToken.toString(),
        "--tenant", tenant, "--connector", "cli-y", "--field", "k=-");
    assertThat(code).isEqualTo(1);
    assertThat(e.toString()).contains("UNAUTHENTICATED").doesNotContain("fst_not-a-known-token");
  }
}
