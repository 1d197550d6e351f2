#!/bin/sh
# Builds the daemon image from ./Dockerfile on a machine with no Docker engine and no registry
# access (Debian 12, root), and shows that it starts. What it does:
#   1. base image: a Debian 12 minbase root filesystem (mmdebstrap, from the Debian mirror) plus a
#      Java runtime jlinked from $JAVA_HOME, committed with buildah as a local stand-in for
#      eclipse-temurin (which lives on Docker Hub);
#   2. `buildah bud` of the repository's Dockerfile with --build-arg BASE_IMAGE=<that base>;
#   3. the image saved as an OCI archive: $WORK/flow-sidecar-<version>.oci.tar;
#   4. smoke start: the image's root filesystem mounted read-only, memory-backed /tmp and
#      /run/flow-sidecar, `flow-sidecar version` and `flow-sidecar serve` run as UID 10001 through
#      chroot with /dev and /proc (no OCI runtime: crun cannot set rlimits in this sandbox), the
#      0660 socket checked,
#      then SIGTERM and exit status 0.
#
# Needs: root; apt-get install buildah mmdebstrap; JAVA_HOME = a JDK >= 21 with jlink; the daemon
# packaged (mvn -B -pl daemon -am package -DskipTests). Elsewhere use `docker build .` instead.
set -eu

REPO=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
WORK=${WORK:-/tmp/flow-sidecar-image}
VERSION=${VERSION:-0.1.0}
BASE=localhost/flow-sidecar-base:bookworm-jre
IMAGE=localhost/apixx/flow-sidecar:$VERSION
DIST=$REPO/daemon/target/flow-sidecar

say() { echo "image-offline: $*"; }
die() { echo "image-offline: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (mmdebstrap, buildah and mount need it)"
command -v buildah >/dev/null || die "buildah missing: apt-get install buildah"
command -v mmdebstrap >/dev/null || die "mmdebstrap missing: apt-get install mmdebstrap"
[ -x "${JAVA_HOME:-}/bin/jlink" ] || die "set JAVA_HOME to a JDK >= 21 that has jlink"
[ -x "$DIST/bin/flow-sidecar" ] || die "package the daemon first: mvn -B -pl daemon -am package -DskipTests"
mkdir -p "$WORK"

say "1/4 base image $BASE"
if [ ! -s "$WORK/rootfs.tar" ]; then
  mmdebstrap --variant=minbase --include=passwd bookworm "$WORK/rootfs.tar"
fi
rm -rf "$WORK/jre"
# Every runtime module except the development tools (jlink, javac, jshell, debuggers...).
MODULES=$("$JAVA_HOME/bin/java" --list-modules | sed 's/@.*//' \
  | grep -v -E '^jdk\.(jlink|jpackage|javadoc|compiler|jshell|jdeps|jartool|jstatd|jconsole|hotspot\.agent|jdi|jdwp\.agent|editpad|internal\.ed|internal\.le|internal\.opt|internal\.jvmstat|jcmd|graal)' \
  | paste -sd, -)
"$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files \
  --output "$WORK/jre" 2>/dev/null
ctr=$(buildah from scratch)
buildah add "$ctr" "$WORK/rootfs.tar" / >/dev/null
buildah copy "$ctr" "$WORK/jre" /opt/java/openjdk >/dev/null
buildah config --env JAVA_HOME=/opt/java/openjdk \
  --env PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
buildah commit -q "$ctr" "$BASE" >/dev/null
buildah rm "$ctr" >/dev/null

say "2/4 buildah bud $IMAGE from $REPO/Dockerfile"
buildah bud --isolation chroot --build-arg BASE_IMAGE="$BASE" --build-arg VERSION="$VERSION" \
  -t "$IMAGE" -f "$REPO/Dockerfile" "$REPO"

say "3/4 OCI archive"
rm -f "$WORK/flow-sidecar-$VERSION.oci.tar"
buildah push -q "$IMAGE" "oci-archive:$WORK/flow-sidecar-$VERSION.oci.tar:$IMAGE"
ls -l "$WORK/flow-sidecar-$VERSION.oci.tar"

say "4/4 smoke start: read-only root, UID 10001"
ROOT=$WORK/root
ctr=$(buildah from "$IMAGE")
cleanup() {
  [ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null || true
  for m in "$ROOT/run/flow-sidecar" "$ROOT/tmp" "$ROOT/dev" "$ROOT/proc" "$ROOT"; do
    mountpoint -q "$m" && umount "$m" || true
  done
  buildah umount "$ctr" >/dev/null 2>&1 || true
  buildah rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT
mnt=$(buildah mount "$ctr")
mkdir -p "$ROOT"
mount --bind "$mnt" "$ROOT"
mount -o remount,bind,ro "$ROOT"
mount -t tmpfs -o size=16m tmpfs "$ROOT/tmp"
# What a container runtime provides: /dev (the JVM needs /dev/null, /dev/urandom) and /proc
# (glibc resolves $ORIGIN in the java launcher's RPATH through /proc/self/exe).
mount --bind /dev "$ROOT/dev"
mount -t proc proc "$ROOT/proc"
mount -t tmpfs -o size=1m,mode=0770,uid=10001,gid=10001 tmpfs "$ROOT/run/flow-sidecar"
if touch "$ROOT/probe" 2>/dev/null; then die "root filesystem is writable"; fi
printf 'server:\n  socket_path: /run/flow-sidecar/sidecar.sock\nmetrics:\n  address: 127.0.0.1:9464\n' \
  > "$ROOT/tmp/sidecar.yaml"
chmod 0644 "$ROOT/tmp/sidecar.yaml"
# chroot, env and the launcher all exec, so $! is the JVM itself and gets the SIGTERM.
IN_IMAGE="chroot --userspec=10001:10001 $ROOT env -i HOSTNAME=smoke JAVA_HOME=/opt/java/openjdk
  PATH=/opt/java/openjdk/bin:/usr/bin:/bin FLOW_SIDECAR_JAVA_OPTS=-XX:-UsePerfData
  /opt/flow-sidecar/bin/flow-sidecar"
$IN_IMAGE version
$IN_IMAGE serve --config /tmp/sidecar.yaml > "$WORK/serve.log" 2>&1 &
pid=$!
i=0
until grep -q 'SERVING on unix:///run/flow-sidecar/sidecar.sock' "$WORK/serve.log"; do
  i=$((i + 1))
  [ "$i" -le 60 ] || die "not SERVING after 30 s: $(tail -5 "$WORK/serve.log")"
  kill -0 "$pid" 2>/dev/null || die "daemon exited: $(tail -5 "$WORK/serve.log")"
  sleep 0.5
done
say "SERVING after about $((i / 2)) s; socket: $(stat -c '%A %u:%g' "$ROOT/run/flow-sidecar/sidecar.sock")"
[ "$(stat -c '%a %u' "$ROOT/run/flow-sidecar/sidecar.sock")" = "660 10001" ] || die "unexpected socket mode/owner"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" = 0 ] || die "daemon exited $status after SIGTERM"
say "SIGTERM: exit 0. Image: $IMAGE, archive: $WORK/flow-sidecar-$VERSION.oci.tar"
