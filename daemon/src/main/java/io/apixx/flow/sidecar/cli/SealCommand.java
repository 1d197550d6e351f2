package io.apixx.flow.sidecar.cli;

import io.apixx.flow.sidecar.config.Durations;
import io.apixx.flow.sidecar.observability.LogRedactor;
import io.apixx.flow.sidecar.v1.CredentialMetadata;
import io.apixx.flow.sidecar.v1.CredentialServiceGrpc;
import io.apixx.flow.sidecar.v1.RotateCredentialRequest;
import io.apixx.flow.sidecar.v1.SealCredentialRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flow-sidecar seal}: seals (or, with {@code --rotate}, rotates) a connector credential
 * through a running daemon's {@code SealCredential} / {@code RotateCredential} RPC, authenticated
 * with a service token read from a file. A gRPC client only: it holds no keys and touches no
 * database, so it works against any daemon the token is valid for.
 *
 * <p>Secret values never come from the command line (where they would land in shell history and
 * be visible to other processes): each {@code --field} names its source.
 *
 * <pre>
 * --field NAME=@PATH   the contents of PATH (one trailing newline removed)
 * --field NAME=-       standard input, read to the end (one trailing newline removed); one field
 *                      at most
 * --field NAME         prompted for without echo on the terminal, or one line of standard input
 *                      when there is no terminal; one field at most
 * </pre>
 *
 * Example (dev mode, from the directory holding {@code .dev/}):
 *
 * <pre>
 * printf %s "$TOKEN" | flow-sidecar seal --tenant demo --connector github-main \
 *     --display-name "GitHub (main org)" --field api_token=- --field user=@user.txt
 * </pre>
 *
 * Exit status: 0 sealed, 1 the daemon refused or could not be reached (the line names the gRPC
 * status), 2 bad usage. Prints the resulting metadata (field names, never values).
 */
@Command(
    name = "seal",
    mixinStandardHelpOptions = true,
    description = "Seal (or --rotate) a connector credential through a running daemon, as a service. "
        + "Values come from files, standard input or a prompt, never from the command line.")
final class SealCommand implements Callable<Integer> {
  private static final Pattern FIELD = Pattern.compile("([A-Za-z0-9_.-]{1,64})(?:=(.*))?", Pattern.DOTALL);
  /** Far above the daemon's 16 KiB limit: a larger input is a mistake (a binary, a directory). */
  private static final int MAX_INPUT_BYTES = 1 << 20;

  @Option(names = "--socket", paramLabel = "PATH", defaultValue = ".dev/sidecar.sock", description = "Unix socket of the daemon (default .dev/sidecar.sock).")
  Path socket;

  @Option(names = "--address", paramLabel = "HOST:PORT", description = "Use loopback TCP instead of the socket.")
  String address;

  @Option(names = "--token-file", paramLabel = "PATH", defaultValue = ".dev/service-token", description = "File holding the service token (default .dev/service-token).")
  Path tokenFile;

  @Option(names = "--tenant", paramLabel = "ID", defaultValue = "", description = "Tenant to seal for; required when the service token allows several (the dev token allows all).")
  String tenant;

  @Option(names = "--connector", paramLabel = "ID", required = true, description = "Connector id: 1-64 characters of [a-z0-9._-].")
  String connector;

  @Option(names = "--display-name", paramLabel = "NAME", defaultValue = "", description = "Connector name shown in listings (seal only).")
  String displayName;

  @Option(names = "--field", paramLabel = "NAME[=@PATH|=-]", required = true, description = "A secret field and where its value comes from (repeatable); see the command's help.")
  List<String> fields = new ArrayList<>();

  @Option(names = "--rotate", description = "Rotate an existing credential to a new version instead of sealing version 1.")
  boolean rotate;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s", description = "Deadline of the call (default 10s).")
  String timeout;

  @Spec CommandSpec spec;

  /** Standard input; replaced in tests. */
  InputStream stdin = System.in;
  /** The terminal, or null; replaced in tests. */
  Console console = System.console();

  @Override
  public Integer call() throws Exception {
    Duration deadline = Durations.parse(timeout);
    Map<String, String> values = readValues();
    String token = readToken();
    String target = address != null ? address : "unix://" + socket.toAbsolutePath();
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      CredentialServiceGrpc.CredentialServiceBlockingStub stub =
          CredentialServiceGrpc.newBlockingStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
              .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
      CredentialMetadata m =
          rotate
              ? stub.rotateCredential(
                      RotateCredentialRequest.newBuilder()
                          .setTenantId(tenant)
                          .setConnectorId(connector)
                          .putAllSecretFields(values)
                          .build())
                  .getMetadata()
              : stub.sealCredential(
                      SealCredentialRequest.newBuilder()
                          .setTenantId(tenant)
                          .setConnectorId(connector)
                          .setDisplayName(displayName)
                          .putAllSecretFields(values)
                          .build())
                  .getMetadata();
      out.printf(
          "%s connector %s in tenant %s: version %d, credential %s, fields %s%n",
          rotate ? "rotated" : "sealed",
          m.getConnectorId(),
          m.getTenantId(),
          m.getVersion(),
          m.getCredentialId(),
          String.join(", ", m.getFieldNamesList()));
      return 0;
    } catch (StatusRuntimeException e) {
      err.println("flow-sidecar seal: " + e.getStatus().getCode() + ": "
          + LogRedactor.redact(String.valueOf(e.getStatus().getDescription())));
      return FlowSidecarCommand.EXIT_FAILURE;
    } finally {
      out.flush();
      err.flush();
      values.clear();
      channel.shutdownNow().awaitTermination(1, TimeUnit.SECONDS);
    }
  }

  private String readToken() throws IOException {
    if (!Files.isReadable(tokenFile)) {
      throw usage("--token-file: cannot read " + tokenFile);
    }
    String token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
    if (token.isEmpty()) {
      throw usage("--token-file: " + tokenFile + " is empty");
    }
    return token;
  }

  /** The field values from their sources, in the order given. */
  Map<String, String> readValues() throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    boolean stdinUsed = false;
    for (String spec : fields) {
      var m = FIELD.matcher(spec);
      if (!m.matches()) {
        // The argument may be a value typed in the wrong place: do not repeat it.
        throw usage("--field: expected NAME, NAME=@PATH or NAME=- with NAME of 1-64 characters of [A-Za-z0-9_.-]");
      }
      String name = m.group(1);
      String source = m.group(2);
      if (values.containsKey(name)) {
        throw usage("--field: " + name + " is given twice");
      }
      String value;
      if (source == null || source.equals("-")) {
        if (stdinUsed) {
          throw usage("--field " + name + ": only one field can be read from standard input or a prompt");
        }
        stdinUsed = true;
        value = source == null ? prompt(name) : stripNewline(readAll(stdin));
      } else if (source.startsWith("@") && source.length() > 1) {
        Path file = Path.of(source.substring(1));
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
          throw usage("--field " + name + ": cannot read " + file);
        }
        try (InputStream in = Files.newInputStream(file)) {
          value = stripNewline(readAll(in));
        }
      } else {
        throw usage("--field " + name + ": values are not taken from the command line (shell history); use "
            + name + "=@PATH, " + name + "=- or " + name + " (prompt)");
      }
      if (value.isEmpty()) {
        throw usage("--field " + name + ": the value is empty");
      }
      values.put(name, value);
    }
    return values;
  }

  private String prompt(String name) throws IOException {
    if (console != null) {
      char[] typed = console.readPassword("%s: ", name);
      if (typed == null) {
        return "";
      }
      try {
        return new String(typed);
      } finally {
        Arrays.fill(typed, '\0');
      }
    }
    String all = readAll(stdin);
    int newline = all.indexOf('\n');
    return stripNewline(newline < 0 ? all : all.substring(0, newline + 1));
  }

  private String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    byte[] chunk = new byte[8192];
    for (int n; (n = in.read(chunk)) > 0; ) {
      buf.write(chunk, 0, n);
      if (buf.size() > MAX_INPUT_BYTES) {
        throw usage("a field value is larger than " + MAX_INPUT_BYTES + " bytes");
      }
    }
    byte[] bytes = buf.toByteArray();
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw usage("a field value is not UTF-8");
    } finally {
      Arrays.fill(bytes, (byte) 0);
      Arrays.fill(chunk, (byte) 0);
    }
  }

  private static String stripNewline(String s) {
    if (s.endsWith("\r\n")) {
      return s.substring(0, s.length() - 2);
    }
    return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  @Override
  public String toString() {
    return "SealCommand[connector=" + connector + "]";
  }
}
