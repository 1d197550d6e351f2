package io.apixx.flow.sidecar.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Deleting directory trees, for harnesses and the benchmarks. */
public final class FileTrees {
  private FileTrees() {}

  /** Deletes {@code dir} and everything under it (nothing when it does not exist). */
  public static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** {@link #delete} for temporary data: a failure is ignored (the OS cleans /tmp eventually). */
  public static void deleteQuietly(Path dir) {
    try {
      delete(dir);
    } catch (IOException | java.io.UncheckedIOException e) {
      // Temporary data.
    }
  }
}
