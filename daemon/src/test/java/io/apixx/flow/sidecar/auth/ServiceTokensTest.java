package io.apixx.flow.sidecar.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apixx.flow.sidecar.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The service tokens file: what it grants, and how a wrong file is refused without leaking a token. */
class ServiceTokensTest {
  private static final String TOKEN = Tokens.newServiceToken();
  private static final String OTHER = Tokens.newServiceToken();

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock();

  private Path write(String yaml) throws Exception {
    Path f = dir.resolve("service-tokens.yaml");
    Files.writeString(f, yaml.replace("<hash>", Tokens.hashHex(TOKEN)).replace("<token>", TOKEN));
    return f;
  }

  private ServiceTokens load(String yaml) throws Exception {
    return ServiceTokens.load(Optional.of(write(yaml)), clock);
  }

  /** The message of the refusal of {@code yaml}, after checking it names no token or hash. */
  private String refusal(String yaml) throws Exception {
    Path f = write(yaml);
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> ServiceTokens.load(Optional.of(f), clock));
    assertThat(t).isInstanceOf(IllegalArgumentException.class);
    for (Throwable c = t; c != null; c = c.getCause()) {
      assertThat(c.getMessage()).doesNotContain(TOKEN).doesNotContain(Tokens.hashHex(TOKEN)).doesNotContain(TOKEN.substring(4, 20));
    }
    return t.getMessage();
  }

  @Test
  void authenticate_listedToken_principalWithItsTenants() throws Exception {
    ServiceTokens tokens = load("""
        # control plane
        - name: control-plane
          token_sha256: <hash>
          tenants: [acme, globex]
        - name: everything
          token_sha256: %s
          tenants:
            - "*"
        """.formatted(Tokens.hashHex(OTHER)));

    assertThat(tokens.authenticate(TOKEN)).hasValueSatisfying(p -> {
      assertThat(p.name()).isEqualTo("control-plane");
      assertThat(p.tenants()).containsExactlyInAnyOrder("acme", "globex");
      assertThat(p.method()).isEqualTo(ServicePrincipal.Method.TOKEN);
    });
    assertThat(tokens.authenticate(OTHER)).hasValueSatisfying(p -> assertThat(p.tenants()).containsExactly("*"));
    assertThat(tokens.authenticate(Tokens.newServiceToken())).isEmpty();
  }

  /** Tenant ids are slugs that YAML 1.1 would type: they stay the text written, as with Jackson. */
  @Test
  void load_plainScalarsLookingLikeNumbersOrBooleans_readAsWritten() throws Exception {
    ServiceTokens tokens = load("""
        - name: 007
          token_sha256: <hash>
          tenants: [0123, on, yes, "no", 12, 1e5, 2026-01-01, 0x1f]
        """);

    assertThat(tokens.authenticate(TOKEN)).hasValueSatisfying(p -> {
      assertThat(p.name()).isEqualTo("007");
      assertThat(p.tenants()).isEqualTo(Set.of("0123", "on", "yes", "no", "12", "1e5", "2026-01-01", "0x1f"));
    });
  }

  @Test
  void load_emptyListOrEmptyDocument_noTokens() throws Exception {
    assertThat(load("[]\n").authenticate(TOKEN)).isEmpty();
    assertThat(load("---\n").authenticate(TOKEN)).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock = """
          unknown key             | - {name: cp, token_sha256: <hash>, tenants: ["*"], token: <token>}   | entry 1: unknown key "token"; allowed: name, token_sha256, tenants
          unknown key, 2nd entry  | - {name: a, token_sha256: <hash>, tenants: [x]}\\n- {name: b, tenantz: [x]} | entry 2: unknown key "tenantz"; allowed: name, token_sha256, tenants
          token as a key          | - {name: cp, token_sha256: <hash>, tenants: ["*"], <token>: x}       | entry 1: unknown key (not shown); allowed: name, token_sha256, tenants
          null key                | - {name: cp, token_sha256: <hash>, tenants: ["*"], ~: x}             | entry 1: unknown key (not shown); allowed: name, token_sha256, tenants
          name is a list          | - {name: [cp], token_sha256: <hash>, tenants: ["*"]}                  | entry 1: name must be a string
          hash is a mapping       | - {name: cp, token_sha256: {sha: <hash>}, tenants: ["*"]}             | entry 1: token_sha256 must be a string
          tenants is a string     | - {name: cp, token_sha256: <hash>, tenants: "*"}                      | entry 1: tenants must be a list of strings
          tenants holds a list    | - {name: cp, token_sha256: <hash>, tenants: [acme, [globex]]}         | entry 1: tenants must be a list of strings
          tenants holds null      | - {name: cp, token_sha256: <hash>, tenants: [acme, ~]}                | entry 1: tenants must be a list of strings
          tenants empty           | - {name: cp, token_sha256: <hash>, tenants: []}                       | entry 1: tenants must list tenant ids or "*"
          no name                 | - {token_sha256: <hash>, tenants: ["*"]}                              | entry 1: name is required
          token instead of hash   | - {name: cp, token_sha256: <token>, tenants: ["*"]}                   | entry 1: token_sha256 must be the SHA-256 of the token, 64 lowercase hex digits
          uppercase hash          | - {name: cp, token_sha256: 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF, tenants: ["*"]} | entry 1: token_sha256 must be the SHA-256 of the token, 64 lowercase hex digits
          no hash                 | - {name: cp, tenants: ["*"]}                                          | entry 1: token_sha256 must be the SHA-256 of the token, 64 lowercase hex digits
          entry is the token      | - <token>                                                             | entry 1: expected a mapping with name, token_sha256 and tenants
          entry is null           | - ~                                                                   | entry 1: expected a mapping with name, token_sha256 and tenants
          not a list              | {name: cp, token_sha256: <hash>, tenants: ["*"]}                      | expected a list of entries (- name: ...)
          only the token          | <token>                                                               | expected a list of entries (- name: ...)
          duplicate key           | - name: cp\\n  name: <token>\\n  token_sha256: <hash>\\n  tenants: ["*"] | duplicate key at line 2, column 3
          type tag                | - {name: !secret <token>, token_sha256: <hash>, tenants: ["*"]}       | unsupported YAML tag at line 1, column 10
          syntax error            | - name: cp\\n  token_sha256: <token>\\n  tenants: ["*"\\n               | not valid YAML at line 4, column 1
          tab indentation         | - name: cp\\n\\ttoken_sha256: <token>\\n                              | not valid YAML at line 2, column 1
          two documents           | []\\n---\\n- {name: cp, token_sha256: <hash>, tenants: ["*"]}         | more than one YAML document
          only a comment          | # <token>\\n                                                          | no YAML document (for no service tokens, write [])
          """)
  void load_wrongFile_refusedNamingWhereWithoutAnyTokenOrHash(String what, String yaml, String problem) throws Exception {
    String message = refusal(yaml.replace("\\n", "\n").replace("\\t", "\t"));

    assertThat(message).startsWith("service tokens file " + dir.resolve("service-tokens.yaml") + ": ").endsWith(": " + problem);
  }

  /** A file that turns bad while the daemon runs keeps the previous list, then the fixed one counts. */
  @Test
  void authenticate_fileChangedToInvalidThenFixed_keepsThePreviousListMeanwhile() throws Exception {
    Path f = write("- {name: first, token_sha256: <hash>, tenants: [\"*\"]}\n");
    ServiceTokens tokens = ServiceTokens.load(Optional.of(f), clock);
    assertThat(tokens.authenticate(TOKEN)).hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("first"));

    for (String bad : new String[] {"- {name: [x]}\n", "- name: cp\n\ttoken: x\n", "- ~\n", "- {name: a, tenants: [b, ~]}\n"}) {
      Files.writeString(f, bad);
      Files.setLastModifiedTime(f, FileTime.from(Files.getLastModifiedTime(f).toInstant().plusSeconds(1)));
      clock.advance(Duration.ofSeconds(3));
      assertThat(tokens.authenticate(TOKEN)).as(bad).hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("first"));
    }

    Files.writeString(f, "- {name: second, token_sha256: %s, tenants: [acme]}\n".formatted(Tokens.hashHex(OTHER)));
    Files.setLastModifiedTime(f, FileTime.from(Files.getLastModifiedTime(f).toInstant().plusSeconds(5)));
    clock.advance(Duration.ofSeconds(3));
    assertThat(tokens.authenticate(TOKEN)).isEmpty();
    assertThat(tokens.authenticate(OTHER)).hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("second"));
  }

  @Test
  void load_noFile_noTokens() {
    assertThat(ServiceTokens.load(Optional.empty(), clock).authenticate(TOKEN)).isEmpty();
  }

  @Test
  void load_missingFile_refused() {
    assertThatThrownBy(() -> ServiceTokens.load(Optional.of(dir.resolve("absent.yaml")), clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("service tokens file " + dir.resolve("absent.yaml"));
  }
}
