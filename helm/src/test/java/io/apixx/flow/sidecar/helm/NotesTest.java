package io.apixx.flow.sidecar.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * NOTES.txt (rendered by a client-only {@code helm install --dry-run}): the warning when the
 * sidecar's memory request and limit differ, which would let it swap under NodeSwap LimitedSwap.
 */
class NotesTest {
  /** A phrase both swap warnings contain. */
  private static final String SWAP_WARNING = "could be written to the node's swap device";

  @Test
  void notes_defaultValues_noSwapWarning() {
    String notes = Chart.notes(List.of(), Map.of());

    assertThat(notes).contains("Sidecar configuration:").doesNotContain(SWAP_WARNING);
  }

  @ParameterizedTest(name = "request {0}, limit {1}: warns {2}")
  @CsvSource({
    "160Mi, 160Mi, false",
    "167772160, 160Mi, false",
    "0.15625Gi, 160Mi, false",
    "1024Mi, 1Gi, false",
    "112Mi, 160Mi, true",
    "160M, 160Mi, true",
    "1G, 1Gi, true"
  })
  void notes_memoryRequestAndLimit_warnOnlyWhenTheyDifferAsQuantities(String request, String limit, boolean warns) {
    String notes = Chart.notes(List.of(), Map.of(
        "sidecar.resources.requests.memory", request,
        "sidecar.resources.limits.memory", limit));

    if (warns) {
      assertThat(notes)
          .contains("WARNING: sidecar.resources.requests.memory (" + request + ") differs from sidecar.resources.limits.memory")
          .contains("(" + limit + ")")
          .contains(SWAP_WARNING);
    } else {
      assertThat(notes).doesNotContain(SWAP_WARNING);
    }
  }

  @Test
  void notes_noMemoryLimit_warnsThatTheSidecarMaySwap() {
    String notes = Chart.notes(List.of(), Map.of("sidecar.resources.limits.memory", "null"));

    assertThat(notes)
        .contains("WARNING: the flow-sidecar container has no memory limit (sidecar.resources.limits.memory)")
        .contains(SWAP_WARNING);
  }

  @Test
  void notes_memoryRequestLeftOut_noSwapWarningBecauseItDefaultsToTheLimit() {
    String notes = Chart.notes(List.of(), Map.of("sidecar.resources.requests.memory", "null"));

    assertThat(notes).doesNotContain(SWAP_WARNING);
  }
}
