package io.apixx.flow.sidecar.credentials;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The forms in which a released secret value commonly shows up in step output, so that Redact
 * can find it: the value itself and
 *
 * <ul>
 *   <li>base64, standard and URL-safe alphabet, each with and without padding (RFC 4648 4, 5);
 *   <li>URL encoding: HTML form encoding as {@code java.net.URLEncoder} and most web frameworks
 *       write it (unreserved {@code A-Z a-z 0-9 . - * _}, space as {@code +}), the same with space
 *       as {@code %20}, and RFC 3986 percent-encoding (unreserved {@code A-Z a-z 0-9 - . _ ~});
 *       hex digits in upper case, as all of those write them;
 *   <li>JSON string escaping (RFC 8259 7) as the common serializers write it: minimal (Jackson,
 *       JavaScript; {@code "} {@code \} and control characters), ASCII-only (Python's default:
 *       also everything outside U+0020..U+007E as {@code \}{@code uXXXX}), HTML-safe (Go: also
 *       {@code < > &} U+2028 U+2029 as {@code \}{@code uXXXX}), and PHP's default (ASCII-only
 *       plus {@code /} as {@code \/}); {@code \}{@code u} escapes in lower-case hex.
 * </ul>
 *
 * Not covered (documented limits): a secret inside a larger encoded unit (base64 of
 * {@code user:password} in a Basic header, a JWT), other casings of percent or {@code \}{@code u}
 * hex, double encodings, and secrets split across payloads.
 *
 * <p>Values shorter than {@value #MIN_SECRET_BYTES} UTF-8 bytes are not redacted at all: a short
 * value such as a user name {@code demo} or a port would mask every occurrence of a common word
 * and make output unreadable without protecting anything (it is guessable anyway). 8 is the
 * minimum length NIST SP 800-63B sets for memorized secrets; real tokens and keys are far longer.
 *
 * <p>Every array produced holds secret material; callers wipe them. Stateless, thread-safe.
 */
final class SecretEncodings {
  /** Shortest value that is redacted, in UTF-8 bytes. */
  static final int MIN_SECRET_BYTES = 8;

  private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] HEX_LOWER = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private SecretEncodings() {}

  /**
   * The distinct forms of {@code value} (well-formed UTF-8) listed in the class comment, the raw
   * value first; empty when the value is shorter than {@value #MIN_SECRET_BYTES} bytes.
   * {@code value} stays owned by the caller.
   */
  static List<byte[]> variants(byte[] value) {
    List<byte[]> out = new ArrayList<>();
    if (value.length < MIN_SECRET_BYTES) {
      return out;
    }
    addDistinct(out, value.clone());
    addDistinct(out, Base64.getEncoder().encode(value));
    addDistinct(out, Base64.getEncoder().withoutPadding().encode(value));
    addDistinct(out, Base64.getUrlEncoder().encode(value));
    addDistinct(out, Base64.getUrlEncoder().withoutPadding().encode(value));
    addDistinct(out, percent(value, Percent.FORM_PLUS));
    addDistinct(out, percent(value, Percent.FORM_PERCENT20));
    addDistinct(out, percent(value, Percent.RFC3986));
    for (Json style : Json.values()) {
      addDistinct(out, json(value, style));
    }
    return out;
  }

  /** Adds {@code candidate} unless an equal array is present (then wipes it). */
  private static void addDistinct(List<byte[]> out, byte[] candidate) {
    for (byte[] existing : out) {
      if (Arrays.equals(existing, candidate)) {
        Arrays.fill(candidate, (byte) 0);
        return;
      }
    }
    out.add(candidate);
  }

  private enum Percent {
    FORM_PLUS,
    FORM_PERCENT20,
    RFC3986
  }

  static byte[] percent(byte[] value, Percent style) {
    Buffer b = new Buffer(value.length * 3);
    for (byte x : value) {
      int c = x & 0xff;
      if (isAlnum(c) || c == '.' || c == '-' || c == '_'
          || (style == Percent.RFC3986 ? c == '~' : c == '*')) {
        b.put(c);
      } else if (c == ' ' && style == Percent.FORM_PLUS) {
        b.put('+');
      } else {
        b.put('%');
        b.put(HEX[c >>> 4]);
        b.put(HEX[c & 0xf]);
      }
    }
    return b.finish();
  }

  private enum Json {
    /** Jackson, JavaScript's JSON.stringify. */
    MINIMAL,
    /** Python's json.dumps (ensure_ascii=True). */
    ASCII,
    /** Go's encoding/json. */
    HTML_SAFE,
    /** PHP's json_encode without flags. */
    ASCII_SLASH
  }

  static byte[] json(byte[] value, Json style) {
    Buffer b = new Buffer(value.length * 6 + 16);
    int i = 0;
    while (i < value.length) {
      int n = Utf8.sequenceLength(value, i, value.length);
      if (n == 0) {
        // Not reachable for validated values; keep the byte rather than fail.
        n = 1;
      }
      int cp = n == 1 ? value[i] & 0xff : Utf8.codePoint(value, i, n);
      String shortEscape = switch (cp) {
        case '"' -> "\\\"";
        case '\\' -> "\\\\";
        case '\b' -> "\\b";
        case '\f' -> "\\f";
        case '\n' -> "\\n";
        case '\r' -> "\\r";
        case '\t' -> "\\t";
        default -> null;
      };
      boolean ascii = style == Json.ASCII || style == Json.ASCII_SLASH;
      if (shortEscape != null) {
        for (int k = 0; k < shortEscape.length(); k++) {
          b.put(shortEscape.charAt(k));
        }
      } else if (cp < 0x20
          || (ascii && cp >= 0x7f)
          || (style == Json.HTML_SAFE && (cp == '<' || cp == '>' || cp == '&' || cp == 0x2028 || cp == 0x2029))) {
        if (cp >= 0x10000) {
          int v = cp - 0x10000;
          unicodeEscape(b, 0xD800 + (v >>> 10));
          unicodeEscape(b, 0xDC00 + (v & 0x3ff));
        } else {
          unicodeEscape(b, cp);
        }
      } else if (cp == '/' && style == Json.ASCII_SLASH) {
        b.put('\\');
        b.put('/');
      } else {
        for (int k = 0; k < n; k++) {
          b.put(value[i + k] & 0xff);
        }
      }
      i += n;
    }
    return b.finish();
  }

  private static void unicodeEscape(Buffer b, int unit) {
    b.put('\\');
    b.put('u');
    b.put(HEX_LOWER[(unit >>> 12) & 0xf]);
    b.put(HEX_LOWER[(unit >>> 8) & 0xf]);
    b.put(HEX_LOWER[(unit >>> 4) & 0xf]);
    b.put(HEX_LOWER[unit & 0xf]);
  }

  private static boolean isAlnum(int c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }

  /** A growable byte array whose discarded buffers are zeroed (they hold secret material). */
  private static final class Buffer {
    private byte[] buf;
    private int len;

    Buffer(int capacity) {
      buf = new byte[Math.max(16, capacity)];
    }

    void put(int b) {
      if (len == buf.length) {
        byte[] bigger = Arrays.copyOf(buf, buf.length * 2);
        Arrays.fill(buf, (byte) 0);
        buf = bigger;
      }
      buf[len++] = (byte) b;
    }

    byte[] finish() {
      byte[] out = Arrays.copyOf(buf, len);
      Arrays.fill(buf, (byte) 0);
      return out;
    }
  }
}
