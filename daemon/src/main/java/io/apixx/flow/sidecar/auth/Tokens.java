package io.apixx.flow.sidecar.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The daemon's opaque bearer tokens. Format: {@code <prefix>_<tenant>_<secret>} where the secret is
 * 256 random bits in unpadded base64url. The tenant is in the clear on purpose: every lookup then
 * knows its tenant before it touches the database, so Row Level Security applies to session
 * lookups too. Only the SHA-256 of a token is stored; comparisons of stored hashes use
 * {@link MessageDigest#isEqual}.
 *
 * <p>Prefixes: {@code fss} session, {@code fsm} MFA challenge, {@code fst} service token (no
 * tenant part). The log redaction layer masks all three.
 */
public final class Tokens {
  /** Session tokens. */
  public static final String SESSION = "fss";
  /** MFA challenge tokens. */
  public static final String MFA_CHALLENGE = "fsm";
  /** Service tokens. */
  public static final String SERVICE = "fst";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9_-]{43}");

  private Tokens() {}

  /** A new token for {@code tenantId}. */
  public static String newToken(String prefix, String tenantId) {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return prefix + "_" + tenantId + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  /** A new service token (no tenant part). */
  public static String newServiceToken() {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return SERVICE + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  /** The tenant of a well-formed {@code prefix} token; empty if the token is not one. */
  public static Optional<String> tenantOf(String prefix, String token) {
    if (token == null || !token.startsWith(prefix + "_")) {
      return Optional.empty();
    }
    // Tenant ids never contain '_', base64url secrets may: split at the first '_' after the prefix.
    int sep = token.indexOf('_', prefix.length() + 1);
    if (sep <= prefix.length() + 1) {
      return Optional.empty();
    }
    String tenant = token.substring(prefix.length() + 1, sep);
    String secret = token.substring(sep + 1);
    return TENANT.matcher(tenant).matches() && SECRET.matcher(secret).matches() ? Optional.of(tenant) : Optional.empty();
  }

  /** SHA-256 of the token's UTF-8 bytes. */
  public static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /** SHA-256 hex of the token: how tokens appear in audit events. */
  public static String hashHex(String token) {
    return HexFormat.of().formatHex(hash(token));
  }
}
