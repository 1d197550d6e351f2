package io.apixx.flow.sidecar.credentials;

import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The plaintext that {@code EnvelopeAead} seals for a connector credential: the {@link
 * SecretFields} of one version in a small, versioned, canonical binary encoding.
 *
 * <h2>Format 0x01</h2>
 *
 * <pre>
 * byte  0           format version, 0x01
 * byte  1           N, the number of fields, 1..64
 * then N fields, each:
 *   1 byte          L, the length of the name, 1..64
 *   L bytes         the name, ASCII, each byte one of [A-Za-z0-9_.-]
 *   2 bytes         V, the length of the value, unsigned 16-bit big-endian
 *   V bytes         the value, well-formed UTF-8 (RFC 3629); V may be 0
 * </pre>
 *
 * Rules a decoder enforces, so that one set of fields has exactly one encoding: names strictly
 * ascending in unsigned byte order (hence no duplicates), the sum of all V at most {@value
 * SecretFields#MAX_TOTAL_VALUE_BYTES}, and nothing after the last field. The longest valid
 * encoding is therefore 2 + 64 × (1 + 64 + 2) + 16384 = 20674 bytes.
 *
 * <p>Example: {@code {"token": "ab"}} encodes as {@code 01 01 05 746f6b656e 0002 6162}.
 *
 * <p>A later format gets a new version byte; {@link #decode} rejects versions it does not know.
 * The encoding travels only inside the AES-GCM ciphertext, so a malformed plaintext means the
 * writer had a bug, not that someone tampered with it (tampering fails authentication first);
 * {@link #decode} is nevertheless a total function, safe for any input (it is fuzzed).
 */
final class SecretPayload {
  static final byte FORMAT_V1 = 0x01;

  private SecretPayload() {}

  /** Encodes {@code fields}; the result holds secrets: the caller wipes it. */
  static byte[] encode(SecretFields fields) {
    Map<String, SecretBytes> entries = fields.entries();
    int size = 2;
    for (Map.Entry<String, SecretBytes> e : entries.entrySet()) {
      size += 1 + e.getKey().length() + 2 + e.getValue().length();
    }
    byte[] out = new byte[size];
    out[0] = FORMAT_V1;
    out[1] = (byte) entries.size();
    int at = 2;
    for (Map.Entry<String, SecretBytes> e : entries.entrySet()) {
      byte[] name = e.getKey().getBytes(StandardCharsets.US_ASCII);
      byte[] value = e.getValue().reveal(SecretAccess.RELEASE);
      out[at++] = (byte) name.length;
      System.arraycopy(name, 0, out, at, name.length);
      at += name.length;
      out[at++] = (byte) (value.length >>> 8);
      out[at++] = (byte) value.length;
      System.arraycopy(value, 0, out, at, value.length);
      at += value.length;
    }
    return out;
  }

  /**
   * Decodes a payload made by {@link #encode}. {@code payload} stays owned by the caller.
   *
   * @return new secret fields the caller closes
   * @throws CredentialException ({@code INTERNAL}, "invalid credential payload", nothing more)
   *     for any input that is not a valid format-0x01 encoding; never anything else
   */
  static SecretFields decode(byte[] payload) {
    if (payload == null || payload.length < 2 || payload[0] != FORMAT_V1) {
      throw CredentialException.malformedPayload();
    }
    int count = payload[1] & 0xff;
    if (count < 1 || count > SecretFields.MAX_FIELDS) {
      throw CredentialException.malformedPayload();
    }
    TreeMap<String, SecretBytes> fields = new TreeMap<>();
    try {
      int at = 2;
      long total = 0;
      byte[] previous = null;
      for (int f = 0; f < count; f++) {
        if (payload.length - at < 1) {
          throw CredentialException.malformedPayload();
        }
        int nameLength = payload[at++] & 0xff;
        if (nameLength < 1 || nameLength > SecretFields.MAX_NAME_LENGTH || payload.length - at < nameLength + 2) {
          throw CredentialException.malformedPayload();
        }
        byte[] name = Arrays.copyOfRange(payload, at, at + nameLength);
        at += nameLength;
        if (!validName(name) || (previous != null && Arrays.compareUnsigned(previous, name) >= 0)) {
          throw CredentialException.malformedPayload();
        }
        previous = name;
        int valueLength = ((payload[at] & 0xff) << 8) | (payload[at + 1] & 0xff);
        at += 2;
        total += valueLength;
        if (total > SecretFields.MAX_TOTAL_VALUE_BYTES
            || payload.length - at < valueLength
            || !Utf8.isWellFormed(payload, at, valueLength)) {
          throw CredentialException.malformedPayload();
        }
        fields.put(
            new String(name, StandardCharsets.US_ASCII),
            SecretBytes.adopt(Arrays.copyOfRange(payload, at, at + valueLength)));
        at += valueLength;
      }
      if (at != payload.length) {
        throw CredentialException.malformedPayload();
      }
    } catch (RuntimeException e) {
      fields.values().forEach(SecretBytes::wipe);
      throw e;
    }
    return SecretFields.adopt(fields);
  }

  private static boolean validName(byte[] name) {
    for (byte b : name) {
      boolean ok =
          (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '_' || b == '.' || b == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
