package io.apixx.flow.sidecar.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;

class ChartLintTest {

  @Test
  void lintStrict_chart_passesWithoutWarningsOrErrors() {
    LintResult result = Chart.lintStrict();

    assertThat(result.isFailed()).as("helm lint --strict failed: %s", result.getMessages()).isFalse();
    assertThat(result.getMessages())
        .noneMatch(m -> m.contains("[WARNING]"))
        .noneMatch(m -> m.contains("[ERROR]"));
  }
}
