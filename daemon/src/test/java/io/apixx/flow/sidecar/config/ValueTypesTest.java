package io.apixx.flow.sidecar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ValueTypesTest {
  @Test
  void durations_parse_simpleAndIsoForms() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Durations.parse("12h")).isEqualTo(Duration.ofHours(12));
    assertThat(Durations.parse("30d")).isEqualTo(Duration.ofDays(30));
    assertThat(Durations.parse("PT1M30S")).isEqualTo(Duration.ofSeconds(90));
    assertThatThrownBy(() -> Durations.parse("5 minutes")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void durations_format_roundTrips() {
    for (String s : new String[] {"250ms", "10s", "5m", "12h", "30d"}) {
      assertThat(Durations.format(Durations.parse(s))).isEqualTo(s);
    }
  }

  @Test
  void dataSize_parse_unitsAndErrors() {
    assertThat(DataSize.parse("512").bytes()).isEqualTo(512);
    assertThat(DataSize.parse("64KiB").bytes()).isEqualTo(65536);
    assertThat(DataSize.parse("4MiB").bytes()).isEqualTo(4 * 1024 * 1024);
    assertThat(DataSize.parse("1gib").bytes()).isEqualTo(1024L * 1024 * 1024);
    assertThatThrownBy(() -> DataSize.parse("lots")).hasMessageContaining("expected a size");
    assertThatThrownBy(() -> DataSize.ofBytes(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void listenAddress_parse_hostPortAndIpv6() {
    assertThat(ListenAddress.parse("127.0.0.1:50051")).isEqualTo(new ListenAddress("127.0.0.1", 50051));
    assertThat(ListenAddress.parse("[::1]:9")).isEqualTo(new ListenAddress("::1", 9));
    assertThat(ListenAddress.parse("localhost:0").isLoopback()).isTrue();
    assertThat(ListenAddress.parse("[::1]:9").isLoopback()).isTrue();
    assertThat(ListenAddress.parse("10.1.2.3:9").isLoopback()).isFalse();
    assertThatThrownBy(() -> ListenAddress.parse("nohost")).hasMessageContaining("host:port");
    assertThatThrownBy(() -> ListenAddress.parse("h:port")).hasMessageContaining("numeric port");
  }
}
