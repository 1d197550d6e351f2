package io.apixx.flow.sidecar.crypto.kms;

import io.apixx.flow.sidecar.secret.SecretBytes;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;

/** The dev KMS's (local keyring) unwrap of one data key, timed in process: the "unwrap cost" of the cold path. */
public final class BenchUnwrap {
  private BenchUnwrap() {}

  /** Median nanoseconds of {@code rounds} unwraps with a fresh keyring file under {@code dir}. */
  public static double medianNanos(Path dir, int rounds) {
    try (LocalKeyringKms kms = LocalKeyringKms.open(dir.resolve("bench-keyring.json"), Clock.systemUTC());
        DataKey key = kms.generateDataKey("bench")) {
      byte[] wrapped = key.wrapped().bytes();
      for (int i = 0; i < rounds; i++) {
        try (SecretBytes s = kms.unwrap("bench", wrapped)) {
          // warm-up
        }
      }
      long[] t = new long[rounds];
      for (int i = 0; i < rounds; i++) {
        long t0 = System.nanoTime();
        try (SecretBytes s = kms.unwrap("bench", wrapped)) {
          t[i] = System.nanoTime() - t0;
        }
      }
      Arrays.sort(t);
      return t[rounds / 2];
    }
  }
}
