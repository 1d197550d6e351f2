# syntax=docker/dockerfile:1
# The flow-sidecar daemon image. Build context: the repository root, after the daemon is packaged:
#
#   mvn -B -pl daemon -am package -DskipTests     # -> daemon/target/flow-sidecar/{bin,lib}
#   docker build -t apixx/flow-sidecar:0.1.0 .    # or: buildah bud / podman build / kaniko
#
# .dockerignore keeps the context to daemon/target/flow-sidecar (minus the embedded-PostgreSQL
# binaries for other platforms). The chart runs the image as UID/GID 10001 with a read-only root
# filesystem; /tmp and /run/flow-sidecar are emptyDirs there.
#
# BASE_IMAGE must provide a Java runtime >= 21 with JAVA_HOME set, /bin/sh (the launcher is a POSIX
# shell script) and groupadd/useradd. Pin it by digest in production, e.g.
#   --build-arg BASE_IMAGE=eclipse-temurin:21-jre-noble@sha256:...
ARG BASE_IMAGE=eclipse-temurin:21-jre-noble
FROM ${BASE_IMAGE}

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="flow-sidecar" \
      org.opencontainers.image.description="Secrets-and-identity sidecar daemon for Flow execution pods" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/apixx/flow-sidecar"

# A fixed numeric user, so that runAsNonRoot can verify it and fsGroup/allowed_peer_uids can name it.
# The default socket directory exists and belongs to it, for runs outside Kubernetes (in the chart
# an emptyDir is mounted over it).
RUN groupadd --gid 10001 flow \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin flow \
 && mkdir -p /run/flow-sidecar \
 && chown 10001:10001 /run/flow-sidecar \
 && chmod 0770 /run/flow-sidecar

# Owned by root and not writable by the daemon's user.
COPY daemon/target/flow-sidecar/bin/ /opt/flow-sidecar/bin/
COPY daemon/target/flow-sidecar/lib/ /opt/flow-sidecar/lib/

USER 10001:10001
WORKDIR /opt/flow-sidecar
ENTRYPOINT ["/opt/flow-sidecar/bin/flow-sidecar"]
CMD ["serve", "--config", "/etc/flow-sidecar/config/sidecar.yaml"]
