package io.apixx.flow.sidecar.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EphemeralContainerBuilder;
import io.fabric8.kubernetes.api.model.HostPathVolumeSource;
import io.fabric8.kubernetes.api.model.NFSVolumeSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SELinuxOptions;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Sysctl;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.WindowsSecurityContextOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The restricted-profile checker must itself be able to fail: a compliant pod passes, and breaking
 * any single rule is reported under that rule's id.
 */
class PodSecurityRestrictedTest {

  private static Pod compliantPod() {
    try (InputStream in = PodSecurityRestrictedTest.class.getResourceAsStream("compliant-pod.yaml")) {
      return Rendered.SERIALIZATION.unmarshal(in, Pod.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> violationsOf(Pod pod) {
    return PodSecurityRestricted.violations(pod.getMetadata(), pod.getSpec());
  }

  private static Container app(Pod p) {
    return p.getSpec().getContainers().get(0);
  }

  private static Container sidecar(Pod p) {
    return p.getSpec().getInitContainers().get(0);
  }

  private static SecurityContext appSc(Pod p) {
    return app(p).getSecurityContext();
  }

  @Test
  void violations_compliantPod_none() {
    assertThat(violationsOf(compliantPod())).isEmpty();
  }

  @Test
  void violations_netBindServiceAdded_allowed() {
    Pod pod = compliantPod();
    assertThat(appSc(pod).getCapabilities().getAdd()).containsExactly("NET_BIND_SERVICE");
    assertThat(violationsOf(pod)).isEmpty();
  }

  @Test
  void violations_runAsNonRootOnlyOnEveryContainer_allowed() {
    Pod pod = compliantPod();
    pod.getSpec().getSecurityContext().setRunAsNonRoot(null);
    appSc(pod).setRunAsNonRoot(true);
    sidecar(pod).getSecurityContext().setRunAsNonRoot(true);
    assertThat(violationsOf(pod)).isEmpty();
  }

  @Test
  void violations_seccompOnlyOnEveryContainer_allowed() {
    Pod pod = compliantPod();
    pod.getSpec().getSecurityContext().setSeccompProfile(null);
    appSc(pod).setSeccompProfile(new SeccompProfile("profiles/app.json", "Localhost"));
    sidecar(pod).getSecurityContext().setSeccompProfile(new SeccompProfile(null, "RuntimeDefault"));
    assertThat(violationsOf(pod)).isEmpty();
  }

  static Stream<Arguments> brokenRules() {
    List<Arguments> cases = new ArrayList<>();
    add(cases, PodSecurityRestricted.HOST_PROCESS, "pod windows hostProcess",
        p -> p.getSpec().getSecurityContext().setWindowsOptions(hostProcess()));
    add(cases, PodSecurityRestricted.HOST_PROCESS, "container windows hostProcess",
        p -> appSc(p).setWindowsOptions(hostProcess()));
    add(cases, PodSecurityRestricted.HOST_NAMESPACES, "hostNetwork", p -> p.getSpec().setHostNetwork(true));
    add(cases, PodSecurityRestricted.HOST_NAMESPACES, "hostPID", p -> p.getSpec().setHostPID(true));
    add(cases, PodSecurityRestricted.HOST_NAMESPACES, "hostIPC", p -> p.getSpec().setHostIPC(true));
    add(cases, PodSecurityRestricted.PRIVILEGED, "privileged app", p -> appSc(p).setPrivileged(true));
    add(cases, PodSecurityRestricted.PRIVILEGED, "privileged native sidecar",
        p -> sidecar(p).getSecurityContext().setPrivileged(true));
    add(cases, PodSecurityRestricted.HOST_PATH, "hostPath volume",
        p -> p.getSpec().getVolumes().add(new VolumeBuilder().withName("host")
            .withHostPath(new HostPathVolumeSource("/var/run", "Directory")).build()));
    add(cases, PodSecurityRestricted.VOLUME_TYPES, "hostPath volume type",
        p -> p.getSpec().getVolumes().add(new VolumeBuilder().withName("host")
            .withHostPath(new HostPathVolumeSource("/", "")).build()));
    add(cases, PodSecurityRestricted.VOLUME_TYPES, "nfs volume",
        p -> p.getSpec().getVolumes().add(new VolumeBuilder().withName("nfs")
            .withNfs(new NFSVolumeSource("/export", false, "nfs.example")).build()));
    add(cases, PodSecurityRestricted.HOST_PORTS, "hostPort", p -> app(p).getPorts().get(0).setHostPort(8080));
    add(cases, PodSecurityRestricted.APP_ARMOR, "unconfined AppArmor annotation",
        p -> p.getMetadata().getAnnotations().put("container.apparmor.security.beta.kubernetes.io/app", "unconfined"));
    add(cases, PodSecurityRestricted.SE_LINUX, "SELinux spc_t",
        p -> appSc(p).setSeLinuxOptions(new SELinuxOptions(null, null, "spc_t", null)));
    add(cases, PodSecurityRestricted.SE_LINUX, "SELinux user",
        p -> appSc(p).setSeLinuxOptions(new SELinuxOptions(null, null, "container_t", "root")));
    add(cases, PodSecurityRestricted.PROC_MOUNT, "Unmasked procMount", p -> appSc(p).setProcMount("Unmasked"));
    add(cases, PodSecurityRestricted.SYSCTLS, "unsafe sysctl",
        p -> p.getSpec().getSecurityContext().getSysctls().add(new Sysctl("kernel.msgmax", "65536")));
    add(cases, PodSecurityRestricted.SECCOMP_BASELINE, "Unconfined seccomp",
        p -> appSc(p).setSeccompProfile(new SeccompProfile(null, "Unconfined")));
    add(cases, PodSecurityRestricted.PRIVILEGE_ESCALATION, "allowPrivilegeEscalation unset",
        p -> appSc(p).setAllowPrivilegeEscalation(null));
    add(cases, PodSecurityRestricted.PRIVILEGE_ESCALATION, "allowPrivilegeEscalation true",
        p -> appSc(p).setAllowPrivilegeEscalation(true));
    add(cases, PodSecurityRestricted.PRIVILEGE_ESCALATION, "ephemeral container without context",
        p -> p.getSpec().setEphemeralContainers(List.of(
            new EphemeralContainerBuilder().withName("debug").withImage("busybox").build())));
    add(cases, PodSecurityRestricted.RUN_AS_NON_ROOT, "runAsNonRoot nowhere",
        p -> p.getSpec().getSecurityContext().setRunAsNonRoot(null));
    add(cases, PodSecurityRestricted.RUN_AS_NON_ROOT, "container runAsNonRoot false",
        p -> appSc(p).setRunAsNonRoot(false));
    add(cases, PodSecurityRestricted.RUN_AS_USER, "pod runAsUser 0",
        p -> p.getSpec().getSecurityContext().setRunAsUser(0L));
    add(cases, PodSecurityRestricted.RUN_AS_USER, "container runAsUser 0", p -> appSc(p).setRunAsUser(0L));
    add(cases, PodSecurityRestricted.SECCOMP, "seccomp nowhere",
        p -> p.getSpec().getSecurityContext().setSeccompProfile(null));
    add(cases, PodSecurityRestricted.SECCOMP, "container seccomp Unconfined",
        p -> appSc(p).setSeccompProfile(new SeccompProfile(null, "Unconfined")));
    add(cases, PodSecurityRestricted.CAPABILITIES, "ALL not dropped",
        p -> appSc(p).setCapabilities(new Capabilities(List.of("NET_BIND_SERVICE"), List.of("NET_RAW"))));
    add(cases, PodSecurityRestricted.CAPABILITIES, "no capabilities field",
        p -> sidecar(p).getSecurityContext().setCapabilities(null));
    add(cases, PodSecurityRestricted.CAPABILITIES, "SYS_ADMIN added",
        p -> appSc(p).getCapabilities().setAdd(List.of("SYS_ADMIN")));
    add(cases, PodSecurityRestricted.READ_ONLY_ROOT, "writable root filesystem",
        p -> appSc(p).setReadOnlyRootFilesystem(false));
    add(cases, PodSecurityRestricted.READ_ONLY_ROOT, "native sidecar root filesystem unset",
        p -> sidecar(p).getSecurityContext().setReadOnlyRootFilesystem(null));
    return cases.stream();
  }

  private static void add(List<Arguments> cases, String rule, String what, Consumer<Pod> breakIt) {
    cases.add(Arguments.of(rule, what, breakIt));
  }

  private static WindowsSecurityContextOptions hostProcess() {
    WindowsSecurityContextOptions o = new WindowsSecurityContextOptions();
    o.setHostProcess(true);
    return o;
  }

  @ParameterizedTest(name = "violations_{1}_reportedAs_{0}")
  @MethodSource("brokenRules")
  void violations_oneRuleBroken_reportedUnderThatRule(String rule, String what, Consumer<Pod> breakIt) {
    Pod pod = compliantPod();
    breakIt.accept(pod);

    assertThat(violationsOf(pod)).as(what).anyMatch(v -> v.startsWith(rule + ":"));
  }

  @Test
  void violations_nfsVolume_namesTheVolume() {
    Pod pod = compliantPod();
    Volume nfs = new VolumeBuilder().withName("shared-nfs").withNfs(new NFSVolumeSource("/x", true, "h")).build();
    pod.getSpec().getVolumes().add(nfs);

    assertThat(violationsOf(pod)).singleElement().asString().contains("shared-nfs");
  }
}
