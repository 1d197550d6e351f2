package io.apixx.flow.sidecar.dev;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.apixx.flow.sidecar.auth.Tokens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.UUID;

/**
 * The files dev mode needs under {@code .dev/}, created on first start and kept afterwards:
 *
 * <ul>
 *   <li>{@code run-token-key.json}: the local "orchestrator" signing key (EC P-256, private JWK,
 *       mode 0600) that {@code flow-sidecar mint-run-token} signs with;
 *   <li>{@code run-token-jwks.json}: its public half, the daemon's {@code auth.run_tokens.jwks_file};
 *   <li>{@code service-token} (0600) and {@code service-tokens.yaml}: a control-plane service token
 *       for calling Login, Seal... as a service, and the daemon's list with its SHA-256.
 * </ul>
 *
 * Nothing here is used outside dev mode.
 */
public final class DevEnvironment {
  public static final String SIGNING_KEY = "run-token-key.json";
  public static final String JWKS = "run-token-jwks.json";
  public static final String SERVICE_TOKEN = "service-token";
  public static final String SERVICE_TOKENS = "service-tokens.yaml";

  private final Path dir;

  private DevEnvironment(Path dir) {
    this.dir = dir;
  }

  /** Creates whatever is missing in {@code dir} (mode 0700). */
  public static DevEnvironment prepare(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
    DevEnvironment env = new DevEnvironment(dir);
    if (!Files.exists(dir.resolve(SIGNING_KEY))) {
      try {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).keyID("dev-" + UUID.randomUUID().toString().substring(0, 8)).generate();
        writePrivate(dir.resolve(SIGNING_KEY), key.toJSONString());
        Files.writeString(dir.resolve(JWKS), new JWKSet(key.toPublicJWK()).toString(true));
      } catch (JOSEException e) {
        throw new IOException("cannot generate the dev signing key", e);
      }
    }
    if (!Files.exists(dir.resolve(SERVICE_TOKEN))) {
      String token = Tokens.newServiceToken();
      writePrivate(dir.resolve(SERVICE_TOKEN), token + "\n");
      Files.writeString(
          dir.resolve(SERVICE_TOKENS),
          "# Dev mode's control-plane service token (the token itself is in ./service-token).\n"
              + "- name: dev-control-plane\n  token_sha256: " + Tokens.hashHex(token) + "\n  tenants: [\"*\"]\n");
    }
    return env;
  }

  /** Opens an existing dev directory (for {@code mint-run-token}). */
  public static DevEnvironment existing(Path dir) throws IOException {
    if (!Files.exists(dir.resolve(SIGNING_KEY))) {
      throw new IOException("no dev signing key in " + dir.toAbsolutePath() + ": start `flow-sidecar dev` in this directory first");
    }
    return new DevEnvironment(dir);
  }

  public Path dir() {
    return dir;
  }

  /** The private signing key. */
  public JWK signingKey() throws IOException {
    try {
      return JWK.parse(Files.readString(dir.resolve(SIGNING_KEY)));
    } catch (ParseException e) {
      throw new IOException("the dev signing key in " + dir + " is not a JWK", e);
    }
  }

  private static void writePrivate(Path file, String content) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, content, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
  }
}
