package io.apixx.flow.sidecar.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.apixx.flow.sidecar.audit.SpoolFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The spool segment reader: any file content yields a valid prefix and a cut point, never a crash. */
public class SpoolRecordFuzzTest {
  private static final byte[] HEADER = {'F', 'S', 'A', 'S', 1, 0, 0, 0};
  private static final Path FILE;

  static {
    try {
      FILE = Files.createTempFile("fuzz-segment", ".log");
      FILE.toFile().deleteOnExit();
    } catch (IOException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  public static void fuzzerTestOneInput(FuzzedDataProvider data) {
    boolean withHeader = data.consumeBoolean();
    byte[] body = data.consumeRemainingAsBytes();
    byte[] content = body;
    if (withHeader) {
      content = new byte[HEADER.length + body.length];
      System.arraycopy(HEADER, 0, content, 0, HEADER.length);
      System.arraycopy(body, 0, content, HEADER.length, body.length);
    }
    try {
      Files.write(FILE, content);
      SpoolFormat.Scan scan = SpoolFormat.scan(FILE, 0, Long.MAX_VALUE);
      Fuzz.check(scan.validEnd() >= 0 && scan.validEnd() <= content.length, "cut point out of range");
      long end = scan.headerValid() ? SpoolFormat.HEADER : 0;
      for (SpoolFormat.Entry e : scan.entries()) {
        Fuzz.check(e.endOffset() > end && e.endOffset() <= scan.validEnd(), "entry offsets");
        end = e.endOffset();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "10s")
  void scan_anyBytes_validPrefixOnly(FuzzedDataProvider data) {
    fuzzerTestOneInput(data);
  }
}
