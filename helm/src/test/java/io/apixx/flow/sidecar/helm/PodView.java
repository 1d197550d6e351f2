package io.apixx.flow.sidecar.helm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Lookups in a pod template that carries the flow-sidecar container. */
record PodView(PodTemplateSpec template) {
  /** The default sidecar container name (values: sidecar.containerName). */
  static final String SIDECAR = "flow-sidecar";

  PodSpec spec() {
    return template.getSpec();
  }

  List<Container> initContainers() {
    return spec().getInitContainers() == null ? List.of() : spec().getInitContainers();
  }

  List<Container> containers() {
    return spec().getContainers() == null ? List.of() : spec().getContainers();
  }

  /** The sidecar, wherever it is (init container in native mode, container in classic mode). */
  Container sidecar() {
    return Stream.concat(initContainers().stream(), containers().stream())
        .filter(c -> SIDECAR.equals(c.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + SIDECAR + " container in the pod"));
  }

  /** The workload containers: every regular container except the sidecar. */
  List<Container> workloads() {
    return containers().stream().filter(c -> !SIDECAR.equals(c.getName())).toList();
  }

  Optional<Volume> findVolume(String name) {
    return spec().getVolumes().stream().filter(v -> name.equals(v.getName())).findFirst();
  }

  Volume volume(String name) {
    return findVolume(name).orElseThrow(() -> new AssertionError("no volume " + name + " in the pod"));
  }

  static Optional<VolumeMount> mount(Container c, String volume) {
    if (c.getVolumeMounts() == null) {
      return Optional.empty();
    }
    return c.getVolumeMounts().stream().filter(m -> volume.equals(m.getName())).findFirst();
  }
}
