package io.apixx.flow.sidecar.helm;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SELinuxOptions;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Sysctl;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.WindowsSecurityContextOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A field-by-field check of the Kubernetes Pod Security Standards "restricted" profile (which
 * includes "baseline"), as specified at https://kubernetes.io/docs/concepts/security/pod-security-standards/
 * for policy version "latest" (1.29+), plus this project's extra rule: a read-only root filesystem.
 *
 * <p>Each violation is one string that starts with the rule's id (e.g. {@code
 * restricted.runAsNonRoot}) followed by the offending field, so a failing test says what to fix.
 * Every container kind counts: init containers (including native sidecars), containers and
 * ephemeral containers.
 */
final class PodSecurityRestricted {
  /** Rule ids, in the order of the standard's tables. */
  static final String HOST_PROCESS = "baseline.hostProcess";
  static final String HOST_NAMESPACES = "baseline.hostNamespaces";
  static final String PRIVILEGED = "baseline.privileged";
  static final String HOST_PATH = "baseline.hostPathVolumes";
  static final String HOST_PORTS = "baseline.hostPorts";
  static final String APP_ARMOR = "baseline.appArmor";
  static final String SE_LINUX = "baseline.seLinux";
  static final String PROC_MOUNT = "baseline.procMount";
  static final String SECCOMP_BASELINE = "baseline.seccomp";
  static final String SYSCTLS = "baseline.sysctls";
  static final String VOLUME_TYPES = "restricted.volumeTypes";
  static final String PRIVILEGE_ESCALATION = "restricted.privilegeEscalation";
  static final String RUN_AS_NON_ROOT = "restricted.runAsNonRoot";
  static final String RUN_AS_USER = "restricted.runAsUser";
  static final String SECCOMP = "restricted.seccomp";
  static final String CAPABILITIES = "restricted.capabilities";
  /** Not part of the standard: this project's checklist item 15. */
  static final String READ_ONLY_ROOT = "extra.readOnlyRootFilesystem";

  private static final Set<String> SAFE_SYSCTLS =
      Set.of(
          "kernel.shm_rmid_forced",
          "net.ipv4.ip_local_port_range",
          "net.ipv4.ip_unprivileged_port_start",
          "net.ipv4.tcp_syncookies",
          "net.ipv4.ping_group_range",
          "net.ipv4.ip_local_reserved_ports",
          "net.ipv4.tcp_keepalive_time",
          "net.ipv4.tcp_fin_timeout",
          "net.ipv4.tcp_keepalive_intvl",
          "net.ipv4.tcp_keepalive_probes");
  private static final Set<String> SE_LINUX_TYPES =
      Set.of("", "container_t", "container_init_t", "container_kvm_t", "container_engine_t");
  private static final Set<String> SECCOMP_TYPES = Set.of("RuntimeDefault", "Localhost");
  private static final Set<String> APP_ARMOR_TYPES = Set.of("RuntimeDefault", "Localhost");
  private static final String APP_ARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

  private PodSecurityRestricted() {}

  /** Every violation of "restricted" plus a writable root filesystem; empty when the pod passes. */
  static List<String> violations(ObjectMeta podMeta, PodSpec pod) {
    List<String> out = new ArrayList<>();
    PodSecurityContext psc = pod.getSecurityContext();
    List<AnyContainer> containers = allContainers(pod);

    // baseline: HostProcess
    if (psc != null && hostProcess(psc.getWindowsOptions())) {
      out.add(HOST_PROCESS + ": spec.securityContext.windowsOptions.hostProcess=true");
    }
    // baseline: host namespaces
    if (Boolean.TRUE.equals(pod.getHostNetwork())) {
      out.add(HOST_NAMESPACES + ": spec.hostNetwork=true");
    }
    if (Boolean.TRUE.equals(pod.getHostPID())) {
      out.add(HOST_NAMESPACES + ": spec.hostPID=true");
    }
    if (Boolean.TRUE.equals(pod.getHostIPC())) {
      out.add(HOST_NAMESPACES + ": spec.hostIPC=true");
    }
    // baseline: HostPath volumes; restricted: volume types
    for (Volume v : nullToEmpty(pod.getVolumes())) {
      if (v.getHostPath() != null) {
        out.add(HOST_PATH + ": volume " + v.getName() + " is a hostPath");
      }
      if (!allowedVolumeType(v)) {
        out.add(VOLUME_TYPES + ": volume " + v.getName() + " is not configMap, csi, downwardAPI, emptyDir,"
            + " ephemeral, persistentVolumeClaim, projected or secret");
      }
    }
    // baseline: AppArmor (annotations, pod field)
    Map<String, String> annotations = podMeta == null ? null : podMeta.getAnnotations();
    if (annotations != null) {
      annotations.forEach(
          (k, v) -> {
            if (k.startsWith(APP_ARMOR_ANNOTATION)
                && !("runtime/default".equals(v) || v.startsWith("localhost/"))) {
              out.add(APP_ARMOR + ": annotation " + k + "=" + v);
            }
          });
    }
    if (psc != null && psc.getAppArmorProfile() != null
        && !APP_ARMOR_TYPES.contains(psc.getAppArmorProfile().getType())) {
      out.add(APP_ARMOR + ": spec.securityContext.appArmorProfile.type=" + psc.getAppArmorProfile().getType());
    }
    // baseline: SELinux (pod)
    if (psc != null) {
      seLinux("spec.securityContext", psc.getSeLinuxOptions(), out);
    }
    // baseline: sysctls
    if (psc != null) {
      for (Sysctl s : nullToEmpty(psc.getSysctls())) {
        if (!SAFE_SYSCTLS.contains(s.getName())) {
          out.add(SYSCTLS + ": spec.securityContext.sysctls " + s.getName() + " is not in the safe set");
        }
      }
    }
    // restricted: runAsUser (pod)
    if (psc != null && Objects.equals(psc.getRunAsUser(), 0L)) {
      out.add(RUN_AS_USER + ": spec.securityContext.runAsUser=0");
    }
    // baseline + restricted: seccomp (pod)
    String podSeccomp = seccompType(psc == null ? null : psc.getSeccompProfile());
    if ("Unconfined".equals(podSeccomp)) {
      out.add(SECCOMP_BASELINE + ": spec.securityContext.seccompProfile.type=Unconfined");
    }
    if (podSeccomp != null && !SECCOMP_TYPES.contains(podSeccomp)) {
      out.add(SECCOMP + ": spec.securityContext.seccompProfile.type=" + podSeccomp);
    }
    boolean podRunAsNonRoot = psc != null && Boolean.TRUE.equals(psc.getRunAsNonRoot());

    for (AnyContainer c : containers) {
      String where = "container " + c.name();
      SecurityContext sc = c.securityContext();
      if (sc != null && hostProcess(sc.getWindowsOptions())) {
        out.add(HOST_PROCESS + ": " + where + " windowsOptions.hostProcess=true");
      }
      if (sc != null && Boolean.TRUE.equals(sc.getPrivileged())) {
        out.add(PRIVILEGED + ": " + where + " privileged=true");
      }
      for (ContainerPort p : c.ports()) {
        if (p.getHostPort() != null && p.getHostPort() != 0) {
          out.add(HOST_PORTS + ": " + where + " hostPort=" + p.getHostPort());
        }
      }
      if (sc != null && sc.getAppArmorProfile() != null
          && !APP_ARMOR_TYPES.contains(sc.getAppArmorProfile().getType())) {
        out.add(APP_ARMOR + ": " + where + " appArmorProfile.type=" + sc.getAppArmorProfile().getType());
      }
      if (sc != null) {
        seLinux(where, sc.getSeLinuxOptions(), out);
      }
      if (sc != null && sc.getProcMount() != null && !"Default".equals(sc.getProcMount())) {
        out.add(PROC_MOUNT + ": " + where + " procMount=" + sc.getProcMount());
      }
      // restricted: privilege escalation must be explicitly false
      if (sc == null || !Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
        out.add(PRIVILEGE_ESCALATION + ": " + where + " allowPrivilegeEscalation is not false");
      }
      // restricted: runAsNonRoot true at pod level or here, never false here
      Boolean nonRoot = sc == null ? null : sc.getRunAsNonRoot();
      if (Boolean.FALSE.equals(nonRoot) || (nonRoot == null && !podRunAsNonRoot)) {
        out.add(RUN_AS_NON_ROOT + ": " + where + " runAsNonRoot is not true (nor set true for the pod)");
      }
      if (sc != null && Objects.equals(sc.getRunAsUser(), 0L)) {
        out.add(RUN_AS_USER + ": " + where + " runAsUser=0");
      }
      // seccomp: the container's own type, else the pod's
      String seccomp = seccompType(sc == null ? null : sc.getSeccompProfile());
      if ("Unconfined".equals(seccomp)) {
        out.add(SECCOMP_BASELINE + ": " + where + " seccompProfile.type=Unconfined");
      }
      String effective = seccomp != null ? seccomp : podSeccomp;
      if (effective == null || !SECCOMP_TYPES.contains(effective)) {
        out.add(SECCOMP + ": " + where + " seccompProfile is " + effective + " (and not set for the pod)");
      }
      // restricted: capabilities
      Capabilities caps = sc == null ? null : sc.getCapabilities();
      if (caps == null || caps.getDrop() == null || !caps.getDrop().contains("ALL")) {
        out.add(CAPABILITIES + ": " + where + " does not drop ALL");
      }
      if (caps != null) {
        for (String add : nullToEmpty(caps.getAdd())) {
          if (!"NET_BIND_SERVICE".equals(add)) {
            out.add(CAPABILITIES + ": " + where + " adds " + add);
          }
        }
      }
      // extra: read-only root filesystem
      if (sc == null || !Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) {
        out.add(READ_ONLY_ROOT + ": " + where + " readOnlyRootFilesystem is not true");
      }
    }
    return out;
  }

  /** The fields the rules read, common to containers and ephemeral containers. */
  private record AnyContainer(String name, SecurityContext securityContext, List<ContainerPort> ports) {}

  private static List<AnyContainer> allContainers(PodSpec pod) {
    Stream<AnyContainer> regular =
        Stream.concat(nullToEmpty(pod.getInitContainers()).stream(), nullToEmpty(pod.getContainers()).stream())
            .map(c -> new AnyContainer(c.getName(), c.getSecurityContext(), nullToEmpty(c.getPorts())));
    Stream<AnyContainer> ephemeral =
        nullToEmpty(pod.getEphemeralContainers()).stream()
            .map(c -> new AnyContainer(c.getName(), c.getSecurityContext(), nullToEmpty(c.getPorts())));
    return Stream.concat(regular, ephemeral).toList();
  }

  private static boolean allowedVolumeType(Volume v) {
    return Stream.of(
            v.getConfigMap(), v.getCsi(), v.getDownwardAPI(), v.getEmptyDir(), v.getEphemeral(),
            v.getPersistentVolumeClaim(), v.getProjected(), v.getSecret())
        .anyMatch(Objects::nonNull)
        && Stream.of(
                v.getHostPath(), v.getAwsElasticBlockStore(), v.getAzureDisk(), v.getAzureFile(),
                v.getCephfs(), v.getCinder(), v.getFc(), v.getFlexVolume(), v.getFlocker(),
                v.getGcePersistentDisk(), v.getGitRepo(), v.getGlusterfs(), v.getImage(), v.getIscsi(),
                v.getNfs(), v.getPhotonPersistentDisk(), v.getPortworxVolume(), v.getQuobyte(), v.getRbd(),
                v.getScaleIO(), v.getStorageos(), v.getVsphereVolume())
            .allMatch(Objects::isNull)
        && (v.getAdditionalProperties() == null || v.getAdditionalProperties().isEmpty());
  }

  private static void seLinux(String where, SELinuxOptions o, List<String> out) {
    if (o == null) {
      return;
    }
    if (o.getType() != null && !SE_LINUX_TYPES.contains(o.getType())) {
      out.add(SE_LINUX + ": " + where + " seLinuxOptions.type=" + o.getType());
    }
    if (o.getUser() != null && !o.getUser().isEmpty()) {
      out.add(SE_LINUX + ": " + where + " seLinuxOptions.user is set");
    }
    if (o.getRole() != null && !o.getRole().isEmpty()) {
      out.add(SE_LINUX + ": " + where + " seLinuxOptions.role is set");
    }
  }

  private static boolean hostProcess(WindowsSecurityContextOptions o) {
    return o != null && Boolean.TRUE.equals(o.getHostProcess());
  }

  private static String seccompType(SeccompProfile p) {
    return p == null ? null : p.getType();
  }

  private static <T> List<T> nullToEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}
