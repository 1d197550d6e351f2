package io.apixx.flow.sidecar.crypto.kms;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * The HTTP client every Vault call goes through: TLS 1.3 or 1.2 only, server certificates checked
 * against the configured CA file (else the JVM trust store) with host-name verification, a connect
 * timeout, HTTP/1.1. Built once and shared; {@link HttpClient} is thread-safe.
 */
final class VaultHttp {
  /** The only protocols offered to Vault; TLS 1.0 and 1.1 are never negotiated. */
  static final String[] TLS_PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private VaultHttp() {}

  /**
   * @param caFile PEM file with one or more CA certificates; empty for the JVM default trust store
   * @param executor runs the client's internal tasks (bounded, owned by the caller)
   * @throws KmsException {@code INTERNAL} if the CA file cannot be read or holds no certificate
   */
  static HttpClient create(Optional<Path> caFile, Duration connectTimeout, Executor executor) {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .sslContext(sslContext(caFile))
        .sslParameters(tlsParameters())
        .executor(executor)
        .build();
  }

  /** TLS 1.3/1.2 with HTTPS endpoint identification (host-name check). */
  static SSLParameters tlsParameters() {
    SSLParameters p = new SSLParameters();
    p.setProtocols(TLS_PROTOCOLS.clone());
    p.setEndpointIdentificationAlgorithm("HTTPS");
    return p;
  }

  private static SSLContext sslContext(Optional<Path> caFile) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      if (caFile.isEmpty()) {
        ctx.init(null, null, null);
        return ctx;
      }
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      Collection<? extends Certificate> certs;
      try (InputStream in = Files.newInputStream(caFile.get())) {
        certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      }
      if (certs.isEmpty()) {
        throw KmsException.internal(
            "kms_ca_file", "CA file " + caFile.get() + " holds no certificate", null);
      }
      int i = 0;
      for (Certificate c : certs) {
        trust.setCertificateEntry("vault-ca-" + i++, c);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw KmsException.internal(
          "kms_ca_file", "cannot load CA certificates from " + caFile.orElse(null), e);
    }
  }
}
