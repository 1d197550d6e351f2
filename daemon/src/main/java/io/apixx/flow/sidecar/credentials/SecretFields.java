package io.apixx.flow.sidecar.credentials;

import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The secret fields of one credential version (for example {@code api_token} and {@code user}),
 * by name, each value in a {@link SecretBytes} holding its UTF-8 bytes. Closing wipes every value.
 *
 * <p>Rules (those of {@code SealCredentialRequest.secret_fields}): 1 to {@value #MAX_FIELDS}
 * fields; names of 1 to {@value #MAX_NAME_LENGTH} characters of {@code [A-Za-z0-9_.-]}; values
 * well-formed Unicode, empty allowed, at most {@value #MAX_TOTAL_VALUE_BYTES} UTF-8 bytes in all.
 * Names are not secret (ListCredentials shows them); values are. Names iterate in ascending
 * order (byte order, since they are ASCII).
 *
 * <p>{@code toString()} lists the names only. Not thread-safe: one owner, who closes it.
 */
public final class SecretFields implements AutoCloseable {
  /** Most fields in one credential. */
  public static final int MAX_FIELDS = 64;
  /** Longest field name, in characters (ASCII, so also bytes). */
  public static final int MAX_NAME_LENGTH = 64;
  /** Most bytes of all values together, in UTF-8 (16 KiB). */
  public static final int MAX_TOTAL_VALUE_BYTES = 16 * 1024;

  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1," + MAX_NAME_LENGTH + "}");
  private static final String FIELD = "secret_fields";

  private final SortedMap<String, SecretBytes> fields;

  private SecretFields(SortedMap<String, SecretBytes> fields) {
    this.fields = fields;
  }

  /**
   * Validates {@code values} and copies them into secret containers (the strings themselves cannot
   * be wiped; drop them soon).
   *
   * @throws CredentialException INVALID_ARGUMENT naming {@code secret_fields} (and a field name
   *     once it is known to be a valid name), never a value
   */
  public static SecretFields fromStrings(Map<String, String> values) {
    Objects.requireNonNull(values, "values");
    if (values.isEmpty()) {
      throw CredentialException.invalid(FIELD + ": at least one field is required");
    }
    if (values.size() > MAX_FIELDS) {
      throw CredentialException.invalid(FIELD + ": at most " + MAX_FIELDS + " fields");
    }
    for (String name : values.keySet()) {
      if (name == null || !NAME.matcher(name).matches()) {
        throw CredentialException.invalid(
            FIELD + ": field names must be 1-" + MAX_NAME_LENGTH + " characters of [A-Za-z0-9_.-]");
      }
    }
    TreeMap<String, SecretBytes> out = new TreeMap<>();
    long total = 0;
    try {
      for (Map.Entry<String, String> e : new TreeMap<>(values).entrySet()) {
        byte[] utf8 = Utf8.encodeStrict(Objects.requireNonNullElse(e.getValue(), ""));
        if (utf8 == null) {
          throw CredentialException.invalid(FIELD + "[" + e.getKey() + "]: the value is not well-formed Unicode");
        }
        out.put(e.getKey(), SecretBytes.adopt(utf8));
        total += utf8.length;
        if (total > MAX_TOTAL_VALUE_BYTES) {
          throw CredentialException.invalid(
              FIELD + ": values must total at most " + MAX_TOTAL_VALUE_BYTES + " UTF-8 bytes");
        }
      }
    } catch (RuntimeException e) {
      out.values().forEach(SecretBytes::wipe);
      throw e;
    }
    return new SecretFields(out);
  }

  /** Takes ownership of already validated fields (the payload decoder). */
  static SecretFields adopt(SortedMap<String, SecretBytes> fields) {
    return new SecretFields(fields);
  }

  /** The field names, ascending. */
  public List<String> names() {
    return List.copyOf(fields.keySet());
  }

  public int size() {
    return fields.size();
  }

  /** The fields in name order; the containers stay owned by this object. */
  Map<String, SecretBytes> entries() {
    return Collections.unmodifiableSortedMap(fields);
  }

  /**
   * Every value as a {@code String}, by name, in name order: for the one place plaintext leaves
   * the daemon (the GetCredential response). The strings cannot be wiped.
   */
  public Map<String, String> revealUtf8(SecretAccess access) {
    Objects.requireNonNull(access, "access");
    Map<String, String> out = new LinkedHashMap<>();
    fields.forEach((name, value) -> out.put(name, new String(value.reveal(access), StandardCharsets.UTF_8)));
    return out;
  }

  /** Wipes every value. Idempotent. */
  @Override
  public void close() {
    fields.values().forEach(SecretBytes::wipe);
  }

  @Override
  public String toString() {
    return "SecretFields[names=" + fields.keySet() + "]";
  }
}
