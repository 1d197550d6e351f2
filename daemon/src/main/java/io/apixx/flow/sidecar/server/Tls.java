package io.apixx.flow.sidecar.server;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * TLS for the links that leave the pod (daemon to collector), through the BoringSSL provider
 * bundled in grpc-netty-shaded: TLS 1.3 and 1.2 only, and for 1.2 only ECDHE key exchange with
 * AEAD ciphers (AES-GCM, ChaCha20-Poly1305). TLS 1.0/1.1, RSA key exchange, CBC, RC4, 3DES and
 * export suites are never offered or accepted.
 */
public final class Tls {
  /** Protocol versions offered and accepted. */
  public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /** TLS 1.2 suites (1.3 suites are fixed by BoringSSL and all strong). */
  public static final List<String> CIPHERS =
      List.of(
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  private Tls() {}

  private static SslProvider provider() {
    if (!OpenSsl.isAvailable()) {
      throw new IllegalStateException("the bundled BoringSSL provider is unavailable: " + OpenSsl.unavailabilityCause());
    }
    return SslProvider.OPENSSL;
  }

  /**
   * A server context from PEM files. With {@code clientCa}, clients must present a certificate
   * signed by it (mutual TLS).
   */
  public static SslContext server(Path certChain, Path privateKey, Optional<Path> clientCa) throws SSLException {
    SslContextBuilder b = SslContextBuilder.forServer(certChain.toFile(), privateKey.toFile());
    clientCa.ifPresent(ca -> b.trustManager(ca.toFile()).clientAuth(ClientAuth.REQUIRE));
    return GrpcSslContexts.configure(b, provider()).protocols(PROTOCOLS).ciphers(CIPHERS).build();
  }

  /** A client context trusting {@code ca}, presenting a client certificate when given. */
  public static SslContext client(Path ca, Optional<Path> certChain, Optional<Path> privateKey) throws SSLException {
    SslContextBuilder b = SslContextBuilder.forClient().trustManager(ca.toFile());
    if (certChain.isPresent() && privateKey.isPresent()) {
      b.keyManager(certChain.get().toFile(), privateKey.get().toFile());
    }
    return GrpcSslContexts.configure(b, provider()).protocols(PROTOCOLS).ciphers(CIPHERS).build();
  }

  /** For logs: the names of the files, never their contents. */
  static String describe(File f) {
    return f.getName();
  }
}
