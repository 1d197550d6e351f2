package io.apixx.flow.sidecar.crypto.kms;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.apixx.flow.sidecar.crypto.AesGcmAead;
import io.apixx.flow.sidecar.crypto.InvalidCiphertextException;
import io.apixx.flow.sidecar.secret.SecretAccess;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@link Kms} over a local JSON keyring file, for dev mode and tests. Each tenant gets its own
 * AES-256 key-encryption key (KEK) on first use; rotation adds a version and makes it primary.
 * Keys never leave this process, but they sit unencrypted in the file: it protects nothing against
 * someone who can read the file, which is why it is created with mode 0600 and refused when group
 * or others may access it. Not for production.
 *
 * <h2>Keyring file</h2>
 *
 * <pre>{@code
 * {
 *   "format": "flow-sidecar-keyring-v1",
 *   "tenants": {
 *     "acme": {
 *       "primary_version": 2,
 *       "versions": [
 *         {"version": 1, "created_at": "2026-11-29T14:00:00Z", "key": "<base64 of 32 bytes>"},
 *         {"version": 2, "created_at": "2026-12-01T09:30:00Z", "key": "<base64 of 32 bytes>"}
 *       ]
 *     }
 *   }
 * }
 * }</pre>
 *
 * Every change is written to a temporary file (mode 0600) in the same directory, forced to disk,
 * then moved over the keyring atomically; the directory is created with mode 0700 if missing. A
 * new key is on disk before any DEK is wrapped under it. One process per keyring file: the file is
 * read once, at {@link #open}.
 *
 * <h2>Wrapped DEK format (65 bytes)</h2>
 *
 * <pre>
 * byte  0         format version, 0x01
 * bytes 1..4      KEK version, unsigned 32-bit big-endian
 * bytes 5..16     IV, 96 bits
 * bytes 17..48    AES-256-GCM ciphertext of the 32-byte DEK
 * bytes 49..64    GCM tag, 128 bits
 * </pre>
 *
 * The associated data is bytes 0..4 followed by the tenant id (unsigned 16-bit big-endian length,
 * then UTF-8), so a wrapped DEK opens only for its tenant. Key references read {@code
 * local:<tenant>:v<version>}.
 *
 * <p>Thread-safe: readers use an immutable snapshot; changes are serialised and published after
 * they are durable.
 */
final class LocalKeyringKms implements Kms {
  static final String KEY_REF_PREFIX = "local:";
  static final String FORMAT = "flow-sidecar-keyring-v1";

  private static final byte WRAP_FORMAT_V1 = 0x01;
  private static final int HEADER_BYTES = 1 + 4;
  private static final int DEK_BYTES = 32;
  private static final int WRAPPED_BYTES = HEADER_BYTES + DEK_BYTES + AesGcmAead.OVERHEAD;
  private static final Set<PosixFilePermission> FILE_MODE =
      Collections.unmodifiableSet(
          EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
  private static final Set<PosixFilePermission> GROUP_OR_OTHERS =
      EnumSet.complementOf(
          EnumSet.of(
              PosixFilePermission.OWNER_READ,
              PosixFilePermission.OWNER_WRITE,
              PosixFilePermission.OWNER_EXECUTE));

  private final Path file;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final AesGcmAead aead = AesGcmAead.create();
  private final Object writeLock = new Object();
  /** Immutable; replaced (under {@link #writeLock}) once a change is durable. */
  private volatile Map<String, TenantKeys> tenants;
  private volatile boolean closed;

  /** One tenant's KEK versions. Immutable. */
  private record TenantKeys(int primary, Map<Integer, KeyVersion> versions) {}

  private record KeyVersion(SecretBytes key, Instant createdAt) {
    @Override
    public String toString() {
      return "KeyVersion[createdAt=" + createdAt + "]";
    }
  }

  private LocalKeyringKms(Path file, Clock clock, Map<String, TenantKeys> tenants) {
    this.file = file;
    this.clock = clock;
    this.tenants = tenants;
  }

  /**
   * Opens (or prepares to create) the keyring at {@code file}. Nothing is written until the first
   * tenant key is needed.
   *
   * @param file the keyring; relative paths resolve against the working directory
   * @param clock for the {@code created_at} of new keys
   * @throws KmsException {@code FAILED_PRECONDITION} if the file is accessible by group or others,
   *     {@code INTERNAL} if it cannot be read or is not a valid keyring
   */
  static LocalKeyringKms open(Path file, Clock clock) {
    Path absolute = file.toAbsolutePath().normalize();
    Objects.requireNonNull(clock, "clock");
    Map<String, TenantKeys> loaded = Map.of();
    if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
      checkMode(absolute);
      loaded = read(absolute);
    }
    return new LocalKeyringKms(absolute, clock, loaded);
  }

  @Override
  public DataKey generateDataKey(String tenantId) {
    TenantIds.check(tenantId);
    byte[] dek = new byte[DEK_BYTES];
    random.nextBytes(dek);
    SecretBytes plaintext = SecretBytes.adopt(dek);
    try {
      return new DataKey(plaintext, wrap(tenantId, plaintext));
    } catch (RuntimeException e) {
      plaintext.wipe();
      throw e;
    }
  }

  @Override
  public SecretBytes unwrap(String tenantId, byte[] wrapped) {
    TenantIds.check(tenantId);
    Objects.requireNonNull(wrapped, "wrapped");
    ensureOpen();
    if (wrapped.length != WRAPPED_BYTES || wrapped[0] != WRAP_FORMAT_V1) {
      throw new InvalidCiphertextException();
    }
    int version = ByteBuffer.wrap(wrapped, 1, 4).getInt();
    TenantKeys keys = tenants.get(tenantId);
    KeyVersion kek = keys == null ? null : keys.versions().get(version);
    if (kek == null) {
      throw new InvalidCiphertextException();
    }
    byte[] ivCtTag = Arrays.copyOfRange(wrapped, HEADER_BYTES, wrapped.length);
    SecretBytes dek = aead.decrypt(kek.key(), ivCtTag, aad(wrapped, tenantId));
    if (dek.length() != DEK_BYTES) {
      dek.wipe();
      throw new InvalidCiphertextException();
    }
    return dek;
  }

  @Override
  public WrappedKey wrap(String tenantId, SecretBytes dek) {
    TenantIds.check(tenantId);
    checkDek(dek);
    ensureOpen();
    TenantKeys keys = keysFor(tenantId);
    int version = keys.primary();
    byte[] out = new byte[WRAPPED_BYTES];
    out[0] = WRAP_FORMAT_V1;
    ByteBuffer.wrap(out, 1, 4).putInt(version);
    byte[] sealed =
        aead.encrypt(
            keys.versions().get(version).key(), dek.reveal(SecretAccess.RELEASE), aad(out, tenantId));
    System.arraycopy(sealed, 0, out, HEADER_BYTES, sealed.length);
    return new WrappedKey(out, keyRef(tenantId, version));
  }

  @Override
  public WrappedKey rewrap(String tenantId, byte[] wrapped) {
    try (SecretBytes dek = unwrap(tenantId, wrapped)) {
      return wrap(tenantId, dek);
    }
  }

  /**
   * Adds a new key version for {@code tenantId} (creating the tenant's key if needed) and makes it
   * primary. Older versions keep unwrapping.
   *
   * @return the new primary version
   */
  int rotate(String tenantId) {
    TenantIds.check(tenantId);
    ensureOpen();
    synchronized (writeLock) {
      TenantKeys current = tenants.get(tenantId);
      TreeMap<Integer, KeyVersion> versions =
          new TreeMap<>(current == null ? Map.of() : current.versions());
      int next = versions.isEmpty() ? 1 : versions.lastKey() + 1;
      versions.put(next, newKeyVersion());
      publish(tenantId, new TenantKeys(next, Collections.unmodifiableMap(versions)));
      return next;
    }
  }

  /** Wipes every key held in memory; later calls fail with {@code UNAVAILABLE}. */
  @Override
  public void close() {
    synchronized (writeLock) {
      closed = true;
      for (TenantKeys keys : tenants.values()) {
        keys.versions().values().forEach(v -> v.key().wipe());
      }
    }
  }

  @Override
  public String toString() {
    return "LocalKeyringKms[file=" + file + ", tenants=" + tenants.size() + "]";
  }

  static String keyRef(String tenantId, int version) {
    return KEY_REF_PREFIX + tenantId + ":v" + version;
  }

  private TenantKeys keysFor(String tenantId) {
    TenantKeys keys = tenants.get(tenantId);
    if (keys != null) {
      return keys;
    }
    synchronized (writeLock) {
      keys = tenants.get(tenantId);
      if (keys == null) {
        keys = new TenantKeys(1, Map.of(1, newKeyVersion()));
        publish(tenantId, keys);
      }
      return keys;
    }
  }

  private KeyVersion newKeyVersion() {
    byte[] key = new byte[AesGcmAead.KEY_BYTES];
    random.nextBytes(key);
    return new KeyVersion(SecretBytes.adopt(key), clock.instant());
  }

  /** Persists the keyring with {@code tenantId} replaced, then publishes it. Holds writeLock. */
  private void publish(String tenantId, TenantKeys keys) {
    ensureOpen();
    Map<String, TenantKeys> next = new TreeMap<>(tenants);
    next.put(tenantId, keys);
    write(Collections.unmodifiableMap(next));
    tenants = Collections.unmodifiableMap(next);
  }

  private void ensureOpen() {
    if (closed) {
      throw KmsException.unavailable("kms_closed", "the local keyring is closed", null);
    }
  }

  private static void checkDek(SecretBytes dek) {
    Objects.requireNonNull(dek, "dek");
    if (dek.isWiped() || dek.length() != DEK_BYTES) {
      throw KmsException.invalidArgument("invalid_dek", "a data key must be 32 unwiped bytes");
    }
  }

  /** Header bytes 0..4 of {@code wrapped}, then the length-prefixed tenant id. */
  private static byte[] aad(byte[] wrapped, String tenantId) {
    byte[] tenant = tenantId.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(HEADER_BYTES + 2 + tenant.length)
        .put(wrapped, 0, HEADER_BYTES)
        .putShort((short) tenant.length)
        .put(tenant)
        .array();
  }

  private static void checkMode(Path file) {
    Set<PosixFilePermission> mode;
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw KmsException.failedPrecondition(
            "keyring_not_regular_file", "keyring " + file + " is not a regular file");
      }
      mode = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | UnsupportedOperationException e) {
      throw KmsException.internal("keyring_unreadable", "cannot check the mode of keyring " + file, e);
    }
    if (!Collections.disjoint(mode, GROUP_OR_OTHERS)) {
      throw KmsException.failedPrecondition(
          "keyring_mode",
          "keyring "
              + file
              + " has mode "
              + PosixFilePermissions.toString(mode)
              + "; it may hold only owner permissions (chmod 600)");
    }
  }

  private static Map<String, TenantKeys> read(Path file) {
    Object root;
    byte[] content = null;
    char[] chars = null;
    try {
      content = Files.readAllBytes(file);
      CharBuffer decoded = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(content));
      chars = decoded.array();
      // The parser takes a String, which cannot be wiped (neither could the strings the key
      // values were read into before); the byte and char copies are.
      root = parseValue(decoded.toString());
    } catch (CharacterCodingException | ParseException e) {
      // Neither message quotes file content, but keep it that way: key material stays out.
      throw corrupt(file, "it is not valid JSON");
    } catch (IOException e) {
      throw KmsException.internal("keyring_unreadable", "cannot read keyring " + file, e);
    } finally {
      if (content != null) {
        Arrays.fill(content, (byte) 0);
      }
      if (chars != null) {
        Arrays.fill(chars, '\0');
      }
    }
    if (!(root instanceof Map<?, ?> r) || !FORMAT.equals(r.get("format")) || !(r.get("tenants") instanceof Map<?, ?> tenantsNode)) {
      throw corrupt(file, "expected {\"format\": \"" + FORMAT + "\", \"tenants\": {...}}");
    }
    Map<String, TenantKeys> tenants = new TreeMap<>();
    for (Map.Entry<?, ?> e : tenantsNode.entrySet()) {
      String tenantId = (String) e.getKey(); // JSON member names are strings
      tenants.put(tenantId, readTenant(file, tenantId, e.getValue()));
    }
    return Collections.unmodifiableMap(tenants);
  }

  /**
   * The JSON value {@code text} holds (null if none), read as the one member of an object because
   * JSONObjectUtils parses objects only: so another value is reported as "expected {...}" rather
   * than invalid JSON, and of repeated names the last counts, at the top level too, as before.
   *
   * @throws ParseException if {@code text} is not one JSON value
   */
  private static Object parseValue(String text) throws ParseException {
    String json = text.startsWith("\uFEFF") ? text.substring(1) : text; // a byte order mark
    if (json.chars().allMatch(c -> c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      return null;
    }
    Map<String, Object> wrapper = JSONObjectUtils.parse("{\"keyring\":\n" + json + "\n}");
    if (wrapper.size() != 1) {
      throw new ParseException("more than one JSON value", 0); // text like 1, "x": 2
    }
    return wrapper.get("keyring");
  }

  private static TenantKeys readTenant(Path file, String tenantId, Object node) {
    try {
      TenantIds.check(tenantId);
    } catch (KmsException e) {
      throw corrupt(file, "a tenant id is not valid");
    }
    Map<?, ?> tenant = node instanceof Map<?, ?> m ? m : Map.of();
    Map<Integer, KeyVersion> versions = new TreeMap<>();
    for (Object element : elements(tenant.get("versions"))) {
      Map<?, ?> v = element instanceof Map<?, ?> m ? m : Map.of();
      int version = asInt(v.get("version"));
      byte[] key;
      Instant created;
      try {
        key = Base64.getDecoder().decode(v.get("key") instanceof String s ? s : "");
        created = Instant.parse(v.get("created_at") instanceof String s ? s : "");
      } catch (IllegalArgumentException | DateTimeParseException e) {
        throw corrupt(file, "tenant " + tenantId + " version " + version + " is malformed");
      }
      if (version < 1 || key.length != AesGcmAead.KEY_BYTES || versions.containsKey(version)) {
        Arrays.fill(key, (byte) 0);
        throw corrupt(file, "tenant " + tenantId + " version " + version + " is malformed");
      }
      versions.put(version, new KeyVersion(SecretBytes.adopt(key), created));
    }
    int primary = asInt(tenant.get("primary_version"));
    if (!versions.containsKey(primary)) {
      throw corrupt(file, "tenant " + tenantId + " has no key for its primary_version");
    }
    return new TenantKeys(primary, Collections.unmodifiableMap(versions));
  }

  /** The items of an array, the member values of an object, nothing for anything else (as read before). */
  private static Collection<?> elements(Object node) {
    if (node instanceof List<?> list) {
      return list;
    }
    return node instanceof Map<?, ?> m ? m.values() : List.of();
  }

  /**
   * A version number as the Jackson-based reader took it ({@code JsonNode.asInt(0)}), so that
   * existing keyrings read exactly as before: numbers truncated to int, {@code true} 1, numeric
   * text parsed, anything else 0 (never a valid version).
   */
  private static int asInt(Object node) {
    if (node instanceof Number n) {
      return n.intValue(); // Long or Double from the parser: a narrowing cast, as before
    }
    if (node instanceof Boolean b) {
      return b ? 1 : 0;
    }
    if (!(node instanceof String s)) {
      return 0;
    }
    String text = s.trim();
    if (text.startsWith("+")) {
      text = text.substring(1);
    }
    try {
      return text.chars().skip(text.startsWith("-") ? 1 : 0).allMatch(c -> c >= '0' && c <= '9')
          ? Integer.parseInt(text)
          : (int) Double.parseDouble(text);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private void write(Map<String, TenantKeys> snapshot) {
    Map<String, Object> tenantsNode = new LinkedHashMap<>();
    snapshot.forEach(
        (tenantId, keys) -> {
          List<Map<String, Object>> versions = new ArrayList<>();
          keys.versions()
              .forEach(
                  (version, kv) -> {
                    Map<String, Object> v = new LinkedHashMap<>();
                    v.put("version", version);
                    v.put("created_at", kv.createdAt().toString());
                    v.put("key", Base64.getEncoder().encodeToString(kv.key().reveal(SecretAccess.RELEASE)));
                    versions.add(v);
                  });
          Map<String, Object> t = new LinkedHashMap<>();
          t.put("primary_version", keys.primary());
          t.put("versions", versions);
          tenantsNode.put(tenantId, t);
        });
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("format", FORMAT);
    root.put("tenants", tenantsNode);
    byte[] bytes = null;
    Path tmp = null;
    try {
      // Compact JSON; the text passes through a String (unwipeable, like the base64 strings
      // above), the byte copy is wiped below.
      bytes = JSONObjectUtils.toJSONString(root).getBytes(StandardCharsets.UTF_8);
      Path dir = file.getParent();
      Files.createDirectories(dir, ownerOnly("rwx------"));
      tmp = Files.createTempFile(dir, ".keyring-", ".tmp", ownerOnly("rw-------"));
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.setPosixFilePermissions(tmp, FILE_MODE);
      moveAtomically(tmp, file);
      tmp = null;
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      }
    } catch (IOException e) {
      throw KmsException.internal("keyring_write_failed", "cannot write keyring " + file, e);
    } finally {
      if (bytes != null) {
        Arrays.fill(bytes, (byte) 0);
      }
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // Best effort; the temporary file has mode 0600.
        }
      }
    }
  }

  private static void moveAtomically(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the file system cannot replace the keyring atomically", e);
    }
  }

  private static FileAttribute<Set<PosixFilePermission>> ownerOnly(String mode) {
    return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode));
  }

  private static KmsException corrupt(Path file, String problem) {
    return KmsException.internal("keyring_corrupt", "keyring " + file + " is not valid: " + problem, null);
  }
}
