package io.apixx.flow.sidecar.credentials;

import java.util.Objects;

/**
 * The outcome of {@link CredentialService#redact}.
 *
 * @param payload the payload with every known secret occurrence replaced by the mask
 * @param replacements how many occurrences were replaced
 */
public record RedactionResult(String payload, int replacements) {
  public RedactionResult {
    Objects.requireNonNull(payload, "payload");
  }

  @Override
  public String toString() {
    // The payload is the caller's data and may hold secrets this daemon did not know about.
    return "RedactionResult[length=" + payload.length() + ", replacements=" + replacements + "]";
  }
}
