package io.apixx.flow.sidecar.credentials;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Strict UTF-8 (RFC 3629) over secret bytes, without going through a {@code String} that could
 * not be wiped: well-formedness checks and code-point decoding of byte arrays, and encoding of a
 * string into an exactly sized array whose intermediate buffer is zeroed.
 */
final class Utf8 {
  private Utf8() {}

  /**
   * The strict UTF-8 encoding of {@code s} in a new, exactly sized array (the caller owns and
   * wipes it), or null when {@code s} is not well-formed Unicode (a lone surrogate).
   */
  static byte[] encodeStrict(String s) {
    CharsetEncoder encoder =
        StandardCharsets.UTF_8
            .newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer buf;
    try {
      buf = encoder.encode(CharBuffer.wrap(s));
    } catch (CharacterCodingException e) {
      return null;
    }
    byte[] out = Arrays.copyOfRange(buf.array(), buf.arrayOffset(), buf.arrayOffset() + buf.remaining());
    Arrays.fill(buf.array(), (byte) 0);
    return out;
  }

  /** Whether {@code b[off..off+len)} is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
  static boolean isWellFormed(byte[] b, int off, int len) {
    int i = off;
    int end = off + len;
    while (i < end) {
      int n = sequenceLength(b, i, end);
      if (n <= 0) {
        return false;
      }
      i += n;
    }
    return true;
  }

  /**
   * The length (1 to 4) of the well-formed UTF-8 sequence starting at {@code b[i]}, or 0 when the
   * bytes from {@code i} (before {@code end}) are not one.
   */
  static int sequenceLength(byte[] b, int i, int end) {
    int b0 = b[i] & 0xff;
    if (b0 < 0x80) {
      return 1;
    }
    int n;
    int min;
    int max = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      n = 2;
      min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      n = 3;
      // E0: no overlongs; ED: no surrogates (U+D800..U+DFFF).
      min = b0 == 0xE0 ? 0xA0 : 0x80;
      max = b0 == 0xED ? 0x9F : 0xBF;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      n = 4;
      // F0: no overlongs; F4: nothing above U+10FFFF.
      min = b0 == 0xF0 ? 0x90 : 0x80;
      max = b0 == 0xF4 ? 0x8F : 0xBF;
    } else {
      return 0;
    }
    if (end - i < n) {
      return 0;
    }
    int b1 = b[i + 1] & 0xff;
    if (b1 < min || b1 > max) {
      return 0;
    }
    for (int k = 2; k < n; k++) {
      int bk = b[i + k] & 0xff;
      if (bk < 0x80 || bk > 0xBF) {
        return 0;
      }
    }
    return n;
  }

  /** The code point of the well-formed sequence of {@code n} bytes at {@code b[i]}. */
  static int codePoint(byte[] b, int i, int n) {
    return switch (n) {
      case 1 -> b[i];
      case 2 -> ((b[i] & 0x1F) << 6) | (b[i + 1] & 0x3F);
      case 3 -> ((b[i] & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F);
      default -> ((b[i] & 0x07) << 18) | ((b[i + 1] & 0x3F) << 12) | ((b[i + 2] & 0x3F) << 6) | (b[i + 3] & 0x3F);
    };
  }
}
