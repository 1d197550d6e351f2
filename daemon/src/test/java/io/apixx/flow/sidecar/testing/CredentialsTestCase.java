package io.apixx.flow.sidecar.testing;

import io.apixx.flow.sidecar.credentials.CredentialLimits;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the credential tests: a fresh {@link CredentialsHarness} in a temporary directory and a
 * fresh tenant for every test, closed after it. Subclasses' own {@code @BeforeEach} methods run
 * after this one, their {@code @AfterEach} methods before the harness closes.
 */
public abstract class CredentialsTestCase {
  @TempDir protected Path dir;
  protected CredentialsHarness h;
  /** A tenant of this test only, resident in {@link CredentialsHarness#REGION}. */
  protected String tenant;

  /** The limits of the harness's service (override for other cache lifetimes). */
  protected CredentialLimits limits() {
    return CredentialLimits.defaults();
  }

  @BeforeEach
  final void openHarness() {
    h = new CredentialsHarness(dir, limits());
    tenant = h.tenant(getClass().getSimpleName().replace("Test", "").toLowerCase(java.util.Locale.ROOT));
  }

  @AfterEach
  final void closeHarness() {
    h.close();
  }
}
