package io.apixx.flow.sidecar.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway certificate authority for tests: a CA, server certificates for localhost/127.0.0.1
 * and client certificates, written as PEM files (keys as unencrypted PKCS#8).
 */
public final class TestPki {
  private final Path dir;
  private final KeyPair caKeys;
  private final X509Certificate caCert;

  /** Certificate and key files of one identity. */
  public record Identity(Path cert, Path key) {}

  private TestPki(Path dir, KeyPair caKeys, X509Certificate caCert) {
    this.dir = dir;
    this.caKeys = caKeys;
    this.caCert = caCert;
  }

  public static TestPki create(Path dir) throws Exception {
    Files.createDirectories(dir);
    KeyPair keys = ecKeys();
    X500Name name = new X500Name("CN=Flow Sidecar Test CA");
    X509v3CertificateBuilder b = builder(name, name, keys);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    X509Certificate ca = sign(b, keys);
    TestPki pki = new TestPki(dir, keys, ca);
    writePem(dir.resolve("ca.pem"), ca);
    return pki;
  }

  public Path caFile() {
    return dir.resolve("ca.pem");
  }

  public Identity server(String name) throws Exception {
    return issue(name, true);
  }

  public Identity client(String name) throws Exception {
    return issue(name, false);
  }

  private Identity issue(String cn, boolean server) throws Exception {
    KeyPair keys = ecKeys();
    X509v3CertificateBuilder b = builder(new X500Name("CN=Flow Sidecar Test CA"), new X500Name("CN=" + cn), keys);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth));
    if (server) {
      b.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
    }
    X509Certificate cert = sign(b, caKeys);
    Path certFile = dir.resolve(cn + ".pem");
    Path keyFile = dir.resolve(cn + ".key");
    writePem(certFile, cert);
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(new JcaPKCS8Generator(keys.getPrivate(), null));
    }
    Files.writeString(keyFile, sw.toString());
    return new Identity(certFile, keyFile);
  }

  private static KeyPair ecKeys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
    return g.generateKeyPair();
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer, BigInteger.valueOf(new SecureRandom().nextLong() & Long.MAX_VALUE),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subject, keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair issuerKeys) throws Exception {
    return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
  }

  private static void writePem(Path file, Object o) throws IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o);
    }
    Files.writeString(file, sw.toString());
  }
}
