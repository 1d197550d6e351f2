package io.apixx.flow.sidecar.crypto.kms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * An in-test HTTP(S) server implementing, from Vault's API documentation, exactly the subset that
 * {@link VaultTransitKms} uses:
 *
 * <ul>
 *   <li>{@code POST /v1/auth/<k8s mount>/login} {@code {"role","jwt"}}: checks the role and that
 *       the JWT is one the test declared valid; answers {@code {"auth": {"client_token",
 *       "lease_duration", "renewable", ...}}}, 400 for an unknown role, 403 for a bad JWT.
 *   <li>{@code POST /v1/auth/token/renew-self}: extends the calling token by its TTL (capped by
 *       its max TTL); 403 for an expired or unknown token, 400 if it is not renewable.
 *   <li>Transit at {@code /v1/<mount>/}: {@code keys/<name>} (create, read), {@code
 *       keys/<name>/rotate}, {@code keys/<name>/config} ({@code min_decryption_version}), {@code
 *       datakey/plaintext/<name>}, {@code encrypt/<name>} (upserts the key), {@code
 *       decrypt/<name>}, {@code rewrap/<name>}; ciphertexts {@code vault:v<N>:<base64(nonce ||
 *       ct || tag)>}, real AES-256-GCM via JCE.
 *   <li>Every transit request needs a valid {@code X-Vault-Token}, else 403. Errors are {@code
 *       {"errors": [...]}} with {@code Content-Type: application/json}.
 * </ul>
 *
 * Fault knobs: {@link #failNext}, {@link #expireAllTokens}, {@link #revokeAllTokens}, {@link
 * #setLatency}, {@link #failLogins}, {@link #setErrorDetail}. Time (token TTLs) comes from the
 * injected clock, shared with the adapter under test. Thread-safe.
 */
public final class FakeVaultServer implements AutoCloseable {
  static final String ROLE = "flow-sidecar";
  static final String KUBERNETES_MOUNT = "kubernetes";
  static final String TRANSIT_MOUNT = "transit";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CIPHERTEXT = Pattern.compile("vault:v(\\d+):(.*)");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final HttpServer server;
  private final ExecutorService executor;
  private final Clock clock;
  private final SelfSignedCertificate certificate;

  private final Map<String, TransitKey> keys = new ConcurrentHashMap<>();
  private final Map<String, TokenState> tokens = new ConcurrentHashMap<>();
  private final Set<String> validJwts = ConcurrentHashMap.newKeySet();

  private volatile Duration tokenTtl = Duration.ofHours(1);
  private volatile Duration tokenMaxTtl = Duration.ofHours(24);
  private volatile boolean tokensRenewable = true;
  private volatile Duration latency = Duration.ZERO;
  private volatile String errorDetail = "";
  private volatile boolean denyTransit;
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private volatile int failureStatus = 503;
  private final AtomicInteger loginFailuresLeft = new AtomicInteger();
  private volatile int loginFailureStatus = 403;

  private final AtomicInteger logins = new AtomicInteger();
  private final AtomicInteger renewals = new AtomicInteger();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final List<String> namespaces = new CopyOnWriteArrayList<>();
  private final AtomicReference<String> lastJwt = new AtomicReference<>();

  private FakeVaultServer(HttpServer server, Clock clock, SelfSignedCertificate certificate) {
    this.server = server;
    this.clock = clock;
    this.certificate = certificate;
    this.executor = Executors.newFixedThreadPool(8);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** A plain-HTTP server on a free loopback port. */
  public static FakeVaultServer http(Clock clock) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    return new FakeVaultServer(s, clock, null);
  }

  /**
   * An HTTPS server with a fresh self-signed certificate for 127.0.0.1/localhost, offering only
   * {@code protocols}.
   */
  static FakeVaultServer https(Clock clock, SelfSignedCertificate certificate, String... protocols)
      throws IOException, GeneralSecurityException {
    HttpsServer s = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    SSLContext ctx = certificate.serverContext();
    s.setHttpsConfigurator(
        new HttpsConfigurator(ctx) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters p = ctx.getDefaultSSLParameters();
            p.setProtocols(protocols);
            params.setSSLParameters(p);
          }
        });
    return new FakeVaultServer(s, clock, certificate);
  }

  /** {@code host:port} for a {@code vault-transit://} URI. */
  public String hostPort() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  URI address() {
    return URI.create((certificate == null ? "http" : "https") + "://" + hostPort());
  }

  // ---- set-up and fault knobs ----

  void acceptJwt(String jwt) {
    validJwts.add(jwt);
  }

  void rejectJwt(String jwt) {
    validJwts.remove(jwt);
  }

  void setTokenTtl(Duration ttl, boolean renewable, Duration maxTtl) {
    this.tokenTtl = ttl;
    this.tokensRenewable = renewable;
    this.tokenMaxTtl = maxTtl;
  }

  /** Creates a token directly (as an operator or Vault Agent would) for token-file auth. */
  public String issueToken(Duration ttl) {
    String token = newToken();
    Instant now = clock.instant();
    tokens.put(token, new TokenState(now.plus(ttl), ttl, false, now.plus(ttl)));
    return token;
  }

  /** The next {@code n} requests of any kind fail with {@code status} and an error body. */
  public void failNext(int n, int status) {
    failureStatus = status;
    failuresLeft.set(n);
  }

  /** The next {@code n} logins fail with {@code status} (403: bad credentials, 5xx: outage). */
  void failLogins(int n, int status) {
    loginFailureStatus = status;
    loginFailuresLeft.set(n);
  }

  /** Every token issued so far expires now (as if its TTL had passed). */
  void expireAllTokens() {
    Instant now = clock.instant();
    tokens.replaceAll((k, v) -> new TokenState(now, v.ttl(), v.renewable(), now));
  }

  /** Every token issued so far becomes unknown (revoked): its next use gets 403. */
  void revokeAllTokens() {
    tokens.clear();
  }

  /** Every response is delayed by {@code d} (real time). */
  public void setLatency(Duration d) {
    latency = d;
  }

  /** Transit requests get 403 even with a valid token (a policy without the capability). */
  void denyTransit(boolean deny) {
    denyTransit = deny;
  }

  /** Text appended to every error message (to check that bodies never reach the adapter's errors). */
  void setErrorDetail(String detail) {
    errorDetail = detail;
  }

  /** An operator's {@code transit/keys/<name>/rotate}. */
  void rotate(String keyName) {
    keys.get(keyName).rotate();
  }

  /** An operator's {@code transit/keys/<name>/config} with {@code min_decryption_version}. */
  void setMinDecryptionVersion(String keyName, int version) {
    keys.get(keyName).minDecryptionVersion = version;
  }

  // ---- introspection ----

  boolean keyExists(String keyName) {
    return keys.containsKey(keyName);
  }

  int latestVersion(String keyName) {
    return keys.get(keyName).latest();
  }

  String keyType(String keyName) {
    return keys.get(keyName).type;
  }

  int logins() {
    return logins.get();
  }

  int renewals() {
    return renewals.get();
  }

  /** Requests seen for an endpoint such as {@code decrypt} or {@code datakey/plaintext}. */
  public int calls(String endpoint) {
    AtomicInteger n = calls.get(endpoint);
    return n == null ? 0 : n.get();
  }

  List<String> namespaces() {
    return List.copyOf(namespaces);
  }

  String lastJwt() {
    return lastJwt.get();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  // ---- request handling ----

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      Duration d = latency;
      if (!d.isZero()) {
        Thread.sleep(d.toMillis());
      }
      String ns = ex.getRequestHeaders().getFirst("X-Vault-Namespace");
      if (ns != null) {
        namespaces.add(ns);
      }
      byte[] body = ex.getRequestBody().readAllBytes();
      if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        error(ex, failureStatus, "injected failure");
        return;
      }
      String path = ex.getRequestURI().getPath();
      if (!path.startsWith("/v1/")) {
        error(ex, 404, "unsupported path");
        return;
      }
      route(ex, path.substring(4), body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      error(ex, 500, "internal error: " + e);
    }
  }

  private void route(HttpExchange ex, String path, JsonNode body) throws IOException {
    String method = ex.getRequestMethod();
    if (path.equals("auth/" + KUBERNETES_MOUNT + "/login") && method.equals("POST")) {
      count("login");
      login(ex, body);
      return;
    }
    if (path.equals("auth/token/renew-self") && (method.equals("POST") || method.equals("PUT"))) {
      count("renew-self");
      renewSelf(ex);
      return;
    }
    if (!path.startsWith(TRANSIT_MOUNT + "/")) {
      error(ex, 404, "no handler for route");
      return;
    }
    String[] p = path.substring(TRANSIT_MOUNT.length() + 1).split("/");
    boolean write = method.equals("POST") || method.equals("PUT");
    count(p.length == 0 ? "" : p.length >= 3 && p[0].equals("datakey") ? "datakey/" + p[1] : p[0]);
    if (validToken(ex) == null || denyTransit) {
      error(ex, 403, "permission denied");
      return;
    }
    if (p.length == 2 && p[0].equals("keys") && write) {
      createKey(ex, p[1], body);
    } else if (p.length == 2 && p[0].equals("keys") && method.equals("GET")) {
      TransitKey k = keys.get(p[1]);
      if (k == null) {
        error(ex, 404, "");
      } else {
        respond(ex, 200, dataEnvelope(k.info(p[1])));
      }
    } else if (p.length == 3 && p[0].equals("keys") && p[2].equals("rotate") && write) {
      TransitKey k = keys.get(p[1]);
      if (k == null) {
        error(ex, 400, "key not found");
      } else {
        k.rotate();
        respond(ex, 200, dataEnvelope(k.info(p[1])));
      }
    } else if (p.length == 3 && p[0].equals("keys") && p[2].equals("config") && write) {
      configKey(ex, p[1], body);
    } else if (p.length == 3 && p[0].equals("datakey") && p[1].equals("plaintext") && write) {
      datakey(ex, p[2], body);
    } else if (p.length == 2 && p[0].equals("encrypt") && write) {
      encrypt(ex, p[1], body);
    } else if (p.length == 2 && p[0].equals("decrypt") && write) {
      decrypt(ex, p[1], body);
    } else if (p.length == 2 && p[0].equals("rewrap") && write) {
      rewrap(ex, p[1], body);
    } else {
      error(ex, 405, "unsupported operation");
    }
  }

  private void login(HttpExchange ex, JsonNode body) throws IOException {
    String role = body.path("role").asText("");
    String jwt = body.path("jwt").asText("");
    lastJwt.set(jwt);
    if (loginFailuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      error(ex, loginFailureStatus, loginFailureStatus == 403 ? "permission denied" : "injected failure");
      return;
    }
    if (role.isEmpty()) {
      error(ex, 400, "missing role");
      return;
    }
    if (!role.equals(ROLE)) {
      error(ex, 400, "invalid role name \"" + role + "\"");
      return;
    }
    // A Kubernetes service-account token is a JWS in compact form; Vault would send it to the
    // TokenReview API. Here: it must have three parts and be one the test declared valid.
    if (jwt.split("\\.", -1).length != 3 || !validJwts.contains(jwt)) {
      error(ex, 403, "permission denied");
      return;
    }
    logins.incrementAndGet();
    String token = newToken();
    Instant now = clock.instant();
    Duration ttl = tokenTtl;
    tokens.put(token, new TokenState(now.plus(ttl), ttl, tokensRenewable, now.plus(tokenMaxTtl)));
    respond(ex, 200, authEnvelope(token, ttl, tokensRenewable));
  }

  private void renewSelf(HttpExchange ex) throws IOException {
    String token = validToken(ex);
    if (token == null) {
      error(ex, 403, "permission denied");
      return;
    }
    TokenState t = tokens.get(token);
    if (!t.renewable()) {
      error(ex, 400, "lease is not renewable");
      return;
    }
    Instant now = clock.instant();
    Instant expiry = now.plus(t.ttl());
    if (expiry.isAfter(t.maxExpiry())) {
      expiry = t.maxExpiry();
    }
    tokens.put(token, new TokenState(expiry, t.ttl(), true, t.maxExpiry()));
    renewals.incrementAndGet();
    respond(ex, 200, authEnvelope(token, Duration.between(now, expiry), true));
  }

  private void createKey(HttpExchange ex, String name, JsonNode body) throws IOException {
    String type = body.path("type").asText("aes256-gcm96");
    if (!type.equals("aes256-gcm96")) {
      error(ex, 400, "unsupported key type in this fake: " + type);
      return;
    }
    TransitKey k = keys.computeIfAbsent(name, n -> new TransitKey(type));
    respond(ex, 200, dataEnvelope(k.info(name)));
  }

  private void configKey(HttpExchange ex, String name, JsonNode body) throws IOException {
    TransitKey k = keys.get(name);
    if (k == null) {
      error(ex, 400, "key not found");
      return;
    }
    if (body.has("min_decryption_version")) {
      int v = body.get("min_decryption_version").asInt();
      if (v < 1 || v > k.latest()) {
        error(ex, 400, "min decryption version must be between 1 and the latest version");
        return;
      }
      k.minDecryptionVersion = v;
    }
    respond(ex, 200, dataEnvelope(k.info(name)));
  }

  private void datakey(HttpExchange ex, String name, JsonNode body) throws IOException {
    TransitKey k = keys.get(name);
    if (k == null) {
      error(ex, 400, "encryption key not found");
      return;
    }
    int bits = body.path("bits").asInt(256);
    if (bits != 128 && bits != 256 && bits != 512) {
      error(ex, 400, "invalid bit length");
      return;
    }
    byte[] dataKey = new byte[bits / 8];
    RANDOM.nextBytes(dataKey);
    int version = k.latest();
    ObjectNode data = JSON.createObjectNode();
    data.put("plaintext", Base64.getEncoder().encodeToString(dataKey));
    data.put("ciphertext", k.encrypt(version, dataKey));
    data.put("key_version", version);
    respond(ex, 200, dataEnvelope(data));
  }

  private void encrypt(HttpExchange ex, String name, JsonNode body) throws IOException {
    byte[] plaintext;
    try {
      plaintext = Base64.getDecoder().decode(body.path("plaintext").asText(""));
    } catch (IllegalArgumentException e) {
      error(ex, 400, "failed to base64-decode plaintext");
      return;
    }
    // Vault upserts the key on encrypt when the token has the create capability.
    TransitKey k = keys.computeIfAbsent(name, n -> new TransitKey("aes256-gcm96"));
    int version = k.latest();
    ObjectNode data = JSON.createObjectNode();
    data.put("ciphertext", k.encrypt(version, plaintext));
    data.put("key_version", version);
    respond(ex, 200, dataEnvelope(data));
  }

  private void decrypt(HttpExchange ex, String name, JsonNode body) throws IOException {
    byte[] plaintext = decryptOrAnswer(ex, name, body);
    if (plaintext != null) {
      ObjectNode data = JSON.createObjectNode();
      data.put("plaintext", Base64.getEncoder().encodeToString(plaintext));
      respond(ex, 200, dataEnvelope(data));
    }
  }

  private void rewrap(HttpExchange ex, String name, JsonNode body) throws IOException {
    byte[] plaintext = decryptOrAnswer(ex, name, body);
    if (plaintext != null) {
      TransitKey k = keys.get(name);
      int version = k.latest();
      ObjectNode data = JSON.createObjectNode();
      data.put("ciphertext", k.encrypt(version, plaintext));
      data.put("key_version", version);
      respond(ex, 200, dataEnvelope(data));
    }
  }

  /** The plaintext, or null after answering with Vault's 400 errors. */
  private byte[] decryptOrAnswer(HttpExchange ex, String name, JsonNode body) throws IOException {
    TransitKey k = keys.get(name);
    if (k == null) {
      error(ex, 400, "encryption key not found");
      return null;
    }
    Matcher m = CIPHERTEXT.matcher(body.path("ciphertext").asText(""));
    if (!m.matches()) {
      error(ex, 400, "invalid ciphertext: no prefix");
      return null;
    }
    int version = Integer.parseInt(m.group(1));
    if (version < k.minDecryptionVersion) {
      error(ex, 400, "ciphertext or signature version is disallowed by policy (too old)");
      return null;
    }
    if (version > k.latest()) {
      error(ex, 400, "invalid ciphertext: key version is greater than the latest");
      return null;
    }
    try {
      return k.decrypt(version, Base64.getDecoder().decode(m.group(2)));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      error(ex, 400, "cipher: message authentication failed");
      return null;
    }
  }

  private String validToken(HttpExchange ex) {
    String token = ex.getRequestHeaders().getFirst("X-Vault-Token");
    if (token == null) {
      return null;
    }
    TokenState t = tokens.get(token);
    return t != null && clock.instant().isBefore(t.expiresAt()) ? token : null;
  }

  private void count(String endpoint) {
    calls.computeIfAbsent(endpoint, e -> new AtomicInteger()).incrementAndGet();
  }

  /** Vault's response envelope with {@code data} set. */
  private static ObjectNode dataEnvelope(JsonNode data) {
    ObjectNode root = envelope();
    root.set("data", data);
    root.putNull("auth");
    return root;
  }

  /** Vault's response envelope of a login or renewal: {@code auth} set, {@code data} null. */
  private static ObjectNode authEnvelope(String token, Duration ttl, boolean renewable) {
    ObjectNode root = envelope();
    root.putNull("data");
    ObjectNode auth = root.putObject("auth");
    auth.put("client_token", token);
    auth.put("accessor", newId());
    ArrayNode policies = auth.putArray("policies");
    policies.add("default");
    policies.add(ROLE);
    ObjectNode metadata = auth.putObject("metadata");
    metadata.put("role", ROLE);
    metadata.put("service_account_name", "flow-sidecar");
    metadata.put("service_account_namespace", "flow");
    auth.put("lease_duration", ttl.toSeconds());
    auth.put("renewable", renewable);
    auth.put("token_type", "service");
    auth.put("orphan", true);
    return root;
  }

  private static ObjectNode envelope() {
    ObjectNode root = JSON.createObjectNode();
    root.put("request_id", newId());
    root.put("lease_id", "");
    root.put("renewable", false);
    root.put("lease_duration", 0);
    root.putNull("wrap_info");
    root.putNull("warnings");
    return root;
  }

  private void error(HttpExchange ex, int status, String message) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode errors = root.putArray("errors");
    String detail = errorDetail;
    if (!message.isEmpty() || !detail.isEmpty()) {
      errors.add(detail.isEmpty() ? message : message + " " + detail);
    }
    respond(ex, status, root);
  }

  private static void respond(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    // The driver insists on exactly this value for auth responses, like real Vault sends.
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String newToken() {
    byte[] b = new byte[18];
    RANDOM.nextBytes(b);
    return "hvs.fake" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static String newId() {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return java.util.HexFormat.of().formatHex(b);
  }

  private record TokenState(Instant expiresAt, Duration ttl, boolean renewable, Instant maxExpiry) {}

  /** A transit key: versions 1..latest of 256-bit AES keys. */
  private static final class TransitKey {
    final String type;
    final List<byte[]> versions = new ArrayList<>();
    volatile int minDecryptionVersion = 1;

    TransitKey(String type) {
      this.type = type;
      rotate();
    }

    synchronized void rotate() {
      byte[] k = new byte[32];
      RANDOM.nextBytes(k);
      versions.add(k);
    }

    synchronized int latest() {
      return versions.size();
    }

    synchronized byte[] key(int version) {
      return versions.get(version - 1);
    }

    String encrypt(int version, byte[] plaintext) {
      try {
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key(version), "AES"), new GCMParameterSpec(128, nonce));
        byte[] ct = c.doFinal(plaintext);
        byte[] out = new byte[nonce.length + ct.length];
        System.arraycopy(nonce, 0, out, 0, nonce.length);
        System.arraycopy(ct, 0, out, nonce.length, ct.length);
        return "vault:v" + version + ":" + Base64.getEncoder().encodeToString(out);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    byte[] decrypt(int version, byte[] nonceAndCiphertext) throws GeneralSecurityException {
      if (nonceAndCiphertext.length < 12 + 16) {
        throw new GeneralSecurityException("too short");
      }
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(key(version), "AES"),
          new GCMParameterSpec(128, nonceAndCiphertext, 0, 12));
      return c.doFinal(nonceAndCiphertext, 12, nonceAndCiphertext.length - 12);
    }

    ObjectNode info(String name) {
      ObjectNode data = JSON.createObjectNode();
      data.put("name", name);
      data.put("type", type);
      data.put("deletion_allowed", false);
      data.put("derived", false);
      data.put("exportable", false);
      ObjectNode ks = data.putObject("keys");
      for (int v = 1; v <= latest(); v++) {
        ks.put(Integer.toString(v), 1764417600L + v);
      }
      data.put("latest_version", latest());
      data.put("min_decryption_version", minDecryptionVersion);
      data.put("min_encryption_version", 0);
      data.put("supports_encryption", true);
      data.put("supports_decryption", true);
      return data;
    }
  }
}
