package io.apixx.flow.sidecar.secret;

/**
 * A capability token that must be passed to every method that exposes secret material in plain
 * form. It exists so that each such place is explicit and can be found with one search
 * ({@code grep -rn SecretAccess.RELEASE}); compare Tink's {@code InsecureSecretKeyAccess}.
 */
public final class SecretAccess {
  /** The only instance. Use it only where plaintext must leave a secret container. */
  public static final SecretAccess RELEASE = new SecretAccess();

  private SecretAccess() {}

  @Override
  public String toString() {
    return "SecretAccess";
  }
}
