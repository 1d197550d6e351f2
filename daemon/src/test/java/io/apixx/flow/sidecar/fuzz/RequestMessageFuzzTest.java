package io.apixx.flow.sidecar.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.apixx.flow.sidecar.client.FlowSidecarClient;
import io.apixx.flow.sidecar.testing.InProcessSidecar;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.CredentialServiceGrpc;
import io.apixx.flow.sidecar.v1.IdentityServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Every unary RPC of the v1 contract, with a fuzzed request message and a fuzzed choice of
 * credential, against a live daemon (real interceptors, database, KMS, spool). Each call must end
 * with a status that names the problem (never INTERNAL or UNKNOWN) and a description that does not
 * echo request values.
 */
public class RequestMessageFuzzTest {
  private static final InProcessSidecar SIDECAR;
  private static final FlowSidecarClient CLIENT;
  private static final List<MethodDescriptor<Object, Object>> METHODS = new ArrayList<>();
  private static final String RUN_SESSION;
  private static final Set<Status.Code> NOT_ALLOWED = Set.of(Status.Code.INTERNAL, Status.Code.UNKNOWN, Status.Code.DATA_LOSS);

  static {
    try {
      Path dir = Files.createTempDirectory("fuzz-sidecar");
      SIDECAR = InProcessSidecar.start(dir);
      CLIENT = SIDECAR.unixClient();
      RUN_SESSION = CLIENT.exchangeRunToken(SIDECAR.runToken("github-main")).getToken();
      for (io.grpc.ServiceDescriptor sd : List.of(
          IdentityServiceGrpc.getServiceDescriptor(), CredentialServiceGrpc.getServiceDescriptor(), AuditIngestServiceGrpc.getServiceDescriptor())) {
        for (MethodDescriptor<?, ?> m : sd.getMethods()) {
          if (m.getType() == MethodDescriptor.MethodType.UNARY) {
            @SuppressWarnings("unchecked")
            MethodDescriptor<Object, Object> md = (MethodDescriptor<Object, Object>) m;
            METHODS.add(md);
          }
        }
      }
      METHODS.sort(Comparator.comparing(MethodDescriptor::getFullMethodName));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          CLIENT.close();
          SIDECAR.close();
        } catch (Exception ignored) {
          // exiting
        }
      }));
    } catch (Exception e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  public static void fuzzerTestOneInput(FuzzedDataProvider data) {
    MethodDescriptor<Object, Object> method = METHODS.get(data.consumeInt(0, METHODS.size() - 1));
    int credential = data.consumeInt(0, 3);
    byte[] body = data.consumeRemainingAsBytes();
    Object request;
    try {
      request = method.getRequestMarshaller().parse(new ByteArrayInputStream(body));
    } catch (RuntimeException notAMessage) {
      return;
    }
    Metadata headers = new Metadata();
    Metadata.Key<String> auth = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    switch (credential) {
      case 1 -> headers.put(auth, "Bearer " + SIDECAR.serviceToken);
      case 2 -> headers.put(auth, "Bearer " + RUN_SESSION);
      case 3 -> headers.put(auth, "Bearer " + new String(body, 0, Math.min(body.length, 64), java.nio.charset.StandardCharsets.ISO_8859_1).replaceAll("[^\\x21-\\x7e]", "x"));
      default -> { }
    }
    try {
      ClientCalls.blockingUnaryCall(
          CLIENT.channel().newCall(method, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS)
              .withCallCredentials(new io.grpc.CallCredentials() {
                @Override
                public void applyRequestMetadata(RequestInfo i, java.util.concurrent.Executor e, MetadataApplier a) {
                  a.apply(headers);
                }
              })),
          request);
    } catch (StatusRuntimeException e) {
      Status s = e.getStatus();
      Fuzz.check(!NOT_ALLOWED.contains(s.getCode()), method.getFullMethodName() + " answered " + s.getCode());
      for (String value : stringValues((Message) request)) {
        Fuzz.noEcho(s.getDescription(), value);
      }
    }
  }

  private static List<String> stringValues(Message m) {
    List<String> out = new ArrayList<>();
    for (var e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      if (f.getJavaType() == FieldDescriptor.JavaType.STRING) {
        if (f.isRepeated()) {
          for (Object o : (List<?>) e.getValue()) {
            out.add((String) o);
          }
        } else {
          out.add((String) e.getValue());
        }
      } else if (f.isMapField()) {
        for (Object entry : (List<?>) e.getValue()) {
          out.addAll(stringValues((Message) entry));
        }
      }
    }
    return out;
  }

  @FuzzTest(maxDuration = "30s")
  void call_anyRequestAnyCredential_cleanStatusNoEcho(FuzzedDataProvider data) {
    fuzzerTestOneInput(data);
  }
}
