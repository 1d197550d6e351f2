package io.apixx.flow.sidecar.fuzz;

/** Assertions shared by the fuzz targets (plain checks: Jazzer treats any thrown error as a finding). */
final class Fuzz {
  private Fuzz() {}

  static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError(what);
    }
  }

  /** A message must not repeat attacker input of a length that could carry a secret. */
  static void noEcho(String message, String input) {
    if (message == null || input == null) {
      return;
    }
    for (String part : input.split("[^A-Za-z0-9_\\-+/=.]+")) {
      if (part.length() >= 12 && message.contains(part)) {
        throw new AssertionError("message echoes input: " + part.length() + " chars");
      }
    }
  }
}
