package io.apixx.flow.sidecar.observability;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The redaction layer every log line passes through ({@link JsonLineEncoder} applies it to the
 * formatted message, so to every argument, and to MDC values, key-value pairs and stack traces).
 * It replaces anything shaped like a credential this daemon handles:
 *
 * <ul>
 *   <li>bearer tokens in {@code Authorization}-style text;
 *   <li>this daemon's own tokens ({@code fss_} sessions, {@code fsm_} MFA challenges,
 *       {@code fst_} service tokens);
 *   <li>JWS/JWT compact serializations (run tokens, OIDC ID tokens);
 *   <li>bcrypt hashes, {@code otpauth://} URIs (TOTP seeds), PEM private keys;
 *   <li>{@code password=}, {@code secret=}, {@code token=}, {@code api_key=} style pairs.
 * </ul>
 *
 * <p>This is the last line of defence. The first is that secrets are held in
 * {@link io.apixx.flow.sidecar.secret.SecretBytes} and never passed to a logger; the log-canary
 * tests check that both hold.
 */
public final class LogRedactor {
  /** What a redacted value is replaced with. */
  public static final String MASK = "[REDACTED]";

  private LogRedactor() {}

  private record Rule(Pattern pattern, String replacement) {}

  private static final List<Rule> RULES =
      List.of(
          new Rule(
              Pattern.compile(
                  "-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)"),
              MASK),
          new Rule(Pattern.compile("(?i)(bearer\\s+)[A-Za-z0-9._~+/=-]+"), "$1" + MASK),
          new Rule(Pattern.compile("\\bfs[smt]_[A-Za-z0-9_-]{8,}"), MASK),
          new Rule(
              Pattern.compile("\\beyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*"), MASK),
          new Rule(Pattern.compile("\\$2[abxy]?\\$\\d{2}\\$[./A-Za-z0-9]{53}"), MASK),
          new Rule(Pattern.compile("otpauth://[^\\s\"']+"), MASK),
          new Rule(
              Pattern.compile(
                  "(?i)\\b(password|passwd|secret|token|api[_-]?key|client[_-]?secret)(\"?\\s*[=:]\\s*\"?)[^\\s,;&\"'}]+"),
              "$1$2" + MASK));

  /** Applies every rule to {@code text}. */
  public static String redact(String text) {
    String out = text;
    for (Rule rule : RULES) {
      Matcher m = rule.pattern().matcher(out);
      if (m.find()) {
        out = m.replaceAll(rule.replacement());
      }
    }
    return out;
  }
}
