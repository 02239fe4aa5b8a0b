#!/usr/bin/env bash
# Builds the OCI image localhost/idgen:VERSION from Debian packages only: a
# Debian 12 root file system made by mmdebstrap from Debian's archive, with
# the idgen .deb of scripts/package.sh installed into it, imported by podman.
# No registry is pulled from. The image runs as the idgen user (uid 10001,
# the runAsUser of deploy/kubernetes) with ENTRYPOINT /usr/bin/idgen.
# Usage: scripts/image.sh [--deb PATH] [--tag NAME]   (root: mmdebstrap --mode=root)
#        scripts/image.sh --etcd [--tag NAME]
# --etcd builds localhost/idgen-etcd:VERSION instead, the image the etcd
# overlay of deploy/kubernetes runs: Debian's etcd-server, as uid 10001,
# ENTRYPOINT /usr/bin/etcd, data in /var/lib/etcd.
# tests/node/image.test.mjs builds the image and runs it (docs/DEPLOYMENT.md
# says how on hosts where podman's defaults cannot run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEB=""
TAG=""
ETCD=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --deb) DEB="$2"; shift ;;
    --tag) TAG="$2"; shift ;;
    --etcd) ETCD=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "image.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
die() { echo "[image] ERROR: $*" >&2; exit 1; }
for tool in mmdebstrap podman dpkg-deb; do command -v "$tool" >/dev/null || die "$tool is missing (apt-get install $tool)"; done
WORK="$(mktemp -d /tmp/idgen-image-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

if [[ "$ETCD" -eq 1 ]]; then
  [[ -z "$DEB" ]] || die "--etcd takes no --deb"
  mmdebstrap --mode=root --variant=essential --include=etcd-server \
    --customize-hook='chroot "$1" dpkg-query -W -f="\${Version}" etcd-server > "$1"/etc/etcd-version' \
    --customize-hook='copy-out /etc/etcd-version '"$WORK" \
    --customize-hook='chroot "$1" addgroup --system --gid 10001 etcd-run' \
    --customize-hook='chroot "$1" adduser --system --uid 10001 --ingroup etcd-run --home /var/lib/etcd --no-create-home etcd-run' \
    --customize-hook='mkdir -p "$1"/var/lib/etcd && chroot "$1" chown etcd-run:etcd-run /var/lib/etcd && chmod 700 "$1"/var/lib/etcd' \
    bookworm "$WORK/rootfs.tar" >&2
  VERSION="$(sed 's/[-+~].*//' "$WORK/etcd-version")"
  TAG="${TAG:-localhost/idgen-etcd:$VERSION}"
  podman import \
    --change 'USER=10001:10001' \
    --change 'WORKDIR=/var/lib/etcd' \
    --change 'ENV=ETCD_DATA_DIR=/var/lib/etcd' \
    --change 'ENTRYPOINT=["/usr/bin/etcd"]' \
    "$WORK/rootfs.tar" "$TAG" >&2
  echo "$TAG"
  exit 0
fi

if [[ -z "$DEB" ]]; then DEB="$(ls "$ROOT"/build/deb/idgen_*.deb 2>/dev/null | head -1)"; fi
[[ -f "$DEB" ]] || die "no idgen .deb: run scripts/package.sh first (or give --deb)"
VERSION="$(dpkg-deb -f "$DEB" Version)"
TAG="${TAG:-localhost/idgen:$VERSION}"
# The package's Depends, without versions, for mmdebstrap to install first.
DEPS="$(dpkg-deb -f "$DEB" Depends | sed 's/([^)]*)//g; s/ //g')"
NAME="$(basename "$DEB")"

mmdebstrap --mode=root --variant=essential --include="$DEPS" \
  --customize-hook='chroot "$1" addgroup --system --gid 10001 idgen' \
  --customize-hook='chroot "$1" adduser --system --uid 10001 --ingroup idgen --home /var/lib/idgen --no-create-home idgen' \
  --customize-hook="copy-in $DEB /tmp" \
  --customize-hook="chroot \"\$1\" dpkg -i /tmp/$NAME" \
  --customize-hook="rm -f \"\$1\"/tmp/$NAME" \
  --customize-hook='mkdir -p "$1"/var/lib/idgen && chroot "$1" chown idgen:idgen /var/lib/idgen' \
  bookworm "$WORK/rootfs.tar" >&2

podman import \
  --change 'USER=10001:10001' \
  --change 'WORKDIR=/var/lib/idgen' \
  --change 'ENV=IDGEN_STATE_DIR=/var/lib/idgen' \
  --change 'ENTRYPOINT=["/usr/bin/idgen"]' \
  --change 'CMD=["serve"]' \
  "$WORK/rootfs.tar" "$TAG" >&2
echo "$TAG"
