package io.apixx.flow.sidecar.dev;

import io.apixx.flow.sidecar.auth.Tokens;
import io.apixx.flow.sidecar.auth.UserAccounts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Dev mode's people in the demo tenant: {@code admin@demo.example} (role admin; enroll TOTP to
 * use admin RPCs) and {@code dev@demo.example} (role member). Their passwords are random per
 * {@code .dev} install, in {@code .dev/admin-password} and {@code .dev/dev-password} (mode 0600).
 */
public final class DevUsers {
  private DevUsers() {}

  public static void ensure(UserAccounts accounts, Path devDir) {
    accounts.ensureUser(DevSeed.TENANT, "admin@demo.example", password(devDir.resolve("admin-password")), List.of("admin"));
    accounts.ensureUser(DevSeed.TENANT, "dev@demo.example", password(devDir.resolve("dev-password")), List.of("member"));
  }

  private static String password(Path file) {
    try {
      if (!Files.exists(file)) {
        // 43 base64url characters: a dev password well inside bcrypt's 72 bytes.
        String p = Tokens.newServiceToken().substring(4);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, p + "\n");
      }
      return Files.readString(file).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the dev password in " + file, e);
    }
  }
}
