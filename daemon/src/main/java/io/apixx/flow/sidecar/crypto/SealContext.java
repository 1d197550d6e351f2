package io.apixx.flow.sidecar.crypto;

import io.apixx.flow.sidecar.error.ErrorKind;
import io.apixx.flow.sidecar.error.SidecarException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Where a sealed secret belongs. {@link EnvelopeAead} binds all five fields into the AES-GCM
 * associated data, so a ciphertext opens only with exactly the context it was sealed with: moved
 * to another tenant, connector, credential, version or purpose it fails with {@link
 * InvalidCiphertextException}. None of the fields is secret.
 *
 * <h2>Associated-data encoding (format 0x01)</h2>
 *
 * {@link #associatedData()} is canonical (one context, one byte string) and unambiguous (no two
 * contexts give the same bytes: every variable field carries its length):
 *
 * <pre>
 * byte  0                 0x01, the ciphertext format version ({@link EnvelopeAead#FORMAT_V1});
 *                         binding it means a ciphertext cannot be re-labelled as another format
 * bytes 1..2              length P of purpose, unsigned 16-bit big-endian
 * next P bytes            purpose, UTF-8
 * next 2 bytes            length T of tenantId, unsigned 16-bit big-endian
 * next T bytes            tenantId, UTF-8
 * next 2 bytes            length C of connectorId, unsigned 16-bit big-endian
 * next C bytes            connectorId, UTF-8
 * next 2 bytes            length R of credentialId, unsigned 16-bit big-endian
 * next R bytes            credentialId, UTF-8
 * last 8 bytes            version, signed 64-bit big-endian (never negative)
 * </pre>
 *
 * Example: purpose "totp-seed", tenant "t1", connector "c", credential "k", version 3 encodes as
 * {@code 01 0009 746f74702d73656564 0002 7431 0001 63 0001 6b 0000000000000003}.
 */
public final class SealContext {

  /** Purpose of a connector credential (OAuth token, API key, certificate). */
  public static final String PURPOSE_CONNECTOR_CREDENTIAL = "connector-credential";
  /** Purpose of a TOTP seed. */
  public static final String PURPOSE_TOTP_SEED = "totp-seed";
  /** Upper bound of each identifier, in UTF-8 bytes. */
  public static final int MAX_FIELD_BYTES = 1024;

  private static final Pattern PURPOSE = Pattern.compile("[a-z0-9][a-z0-9.-]{0,63}");

  private final String tenantId;
  private final String connectorId;
  private final String credentialId;
  private final long version;
  private final String purpose;
  // Encoded once: a context is immutable, and re-encoding it on every open would be a tenth of
  // the cost of decrypting a 1 KiB credential. Never handed out; associatedData() copies it.
  private final byte[] aad;

  /**
   * Validates the fields and encodes the associated data.
   *
   * @param tenantId the owning tenant; 1 to {@value #MAX_FIELD_BYTES} UTF-8 bytes
   * @param connectorId the connector the credential belongs to; 1 to {@value #MAX_FIELD_BYTES} bytes
   * @param credentialId the credential; 1 to {@value #MAX_FIELD_BYTES} bytes
   * @param version the credential version, {@code >= 0}; each version has its own data key
   * @param purpose a fixed name of what is sealed, such as {@value #PURPOSE_CONNECTOR_CREDENTIAL}:
   *     lower-case letters, digits, '.' and '-', at most 64 characters
   * @throws SidecarException ({@link ErrorKind#INVALID_ARGUMENT}) naming the offending field (never
   *     its value) if a field is missing, empty, too long, not well-formed Unicode, or negative
   */
  public SealContext(
      String tenantId, String connectorId, String credentialId, long version, String purpose) {
    byte[] t = checkId("tenantId", tenantId);
    byte[] c = checkId("connectorId", connectorId);
    byte[] r = checkId("credentialId", credentialId);
    if (version < 0) {
      throw invalid("version must not be negative");
    }
    if (purpose == null || !PURPOSE.matcher(purpose).matches()) {
      throw invalid("purpose must be 1-64 characters of a-z, 0-9, '.' and '-'");
    }
    this.tenantId = tenantId;
    this.connectorId = connectorId;
    this.credentialId = credentialId;
    this.version = version;
    this.purpose = purpose;
    byte[] p = purpose.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer out =
        ByteBuffer.allocate(1 + 2 + p.length + 2 + t.length + 2 + c.length + 2 + r.length + 8);
    out.put(EnvelopeAead.FORMAT_V1);
    putField(out, p);
    putField(out, t);
    putField(out, c);
    putField(out, r);
    out.putLong(version);
    this.aad = out.array();
  }

  /** The owning tenant. */
  public String tenantId() {
    return tenantId;
  }

  /** The connector the credential belongs to. */
  public String connectorId() {
    return connectorId;
  }

  /** The credential. */
  public String credentialId() {
    return credentialId;
  }

  /** The credential version. */
  public long version() {
    return version;
  }

  /** What is sealed, such as {@value #PURPOSE_CONNECTOR_CREDENTIAL}. */
  public String purpose() {
    return purpose;
  }

  /** The canonical associated data described in the class comment; a new array per call. */
  public byte[] associatedData() {
    return aad.clone();
  }

  /** The same bytes without the copy, for {@link EnvelopeAead}, which only reads them. */
  byte[] associatedDataShared() {
    return aad;
  }

  @Override
  public boolean equals(Object o) {
    // The encoding is injective, so equal bytes mean equal fields.
    return o instanceof SealContext other && Arrays.equals(aad, other.aad);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(aad);
  }

  @Override
  public String toString() {
    return "SealContext[tenantId=" + tenantId + ", connectorId=" + connectorId + ", credentialId="
        + credentialId + ", version=" + version + ", purpose=" + purpose + "]";
  }

  private static void putField(ByteBuffer out, byte[] field) {
    out.putShort((short) field.length);
    out.put(field);
  }

  /** Validates an identifier and returns its UTF-8 encoding. */
  private static byte[] checkId(String name, String value) {
    if (value == null || value.isEmpty()) {
      throw invalid(name + " is required");
    }
    byte[] bytes = strictUtf8(name, value);
    if (bytes.length > MAX_FIELD_BYTES) {
      throw invalid(name + " must be at most " + MAX_FIELD_BYTES + " UTF-8 bytes");
    }
    return bytes;
  }

  /**
   * Lone surrogates would all encode to '?', so two different ids could share one encoding;
   * rejecting them keeps the encoding injective.
   */
  private static byte[] strictUtf8(String name, String value) {
    CharsetEncoder encoder =
        StandardCharsets.UTF_8
            .newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      ByteBuffer encoded = encoder.encode(CharBuffer.wrap(value));
      return Arrays.copyOf(encoded.array(), encoded.limit());
    } catch (CharacterCodingException e) {
      throw invalid(name + " is not well-formed Unicode");
    }
  }

  private static SidecarException invalid(String problem) {
    return new SidecarException(
        ErrorKind.INVALID_ARGUMENT, "invalid_seal_context", "seal context: " + problem);
  }
}
