#!/usr/bin/env bash
# Builds the Debian packages from an existing build (scripts/build.sh first),
# without compiling anything again:
#   idgen                 /usr/bin/idgen, systemd units, /etc/idgen/*.env
#   libidgen-client0      the client library (libidgen_client.so.0)
#   libidgen-client-dev   its headers, .so link, CMake config and .pc file
# Usage: scripts/package.sh [--build DIR] [--out DIR] [--version V]
#   (defaults: build, build/deb, the project version; --version packs the
#   same build as another Debian version, e.g. to try an upgrade)
# Prints the paths of the .deb files it wrote, one a line, on stdout.
#
# dpkg-deb rather than CPack: the control files, maintainer scripts and
# conffiles stay plain files in deploy/debian and deploy/systemd that a
# reviewer reads as they ship; Depends comes from dpkg-shlibdeps either way.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
OUT=""
VERSION_OVERRIDE=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) BUILD="$(cd "$2" && pwd)"; shift ;;
    --out) OUT="$2"; shift ;;
    --version) VERSION_OVERRIDE="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "package.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
OUT="${OUT:-$BUILD/deb}"
log() { echo "[package] $*" >&2; }
die() { echo "[package] ERROR: $*" >&2; exit 1; }

for tool in dpkg-deb dpkg-shlibdeps fakeroot cmake gzip; do
  command -v "$tool" >/dev/null || [[ "$tool" == fakeroot ]] || die "$tool is missing (scripts/setup.sh installs it)"
done
[[ -x "$BUILD/bin/idgen" ]] || die "$BUILD/bin/idgen is missing: run scripts/build.sh first"
[[ -e "$BUILD/lib/libidgen_client.so" ]] || die "$BUILD/lib/libidgen_client.so is missing: run scripts/build.sh first"
VERSION="$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD/CMakeCache.txt")"
[[ -n "$VERSION" ]] || die "no project version in $BUILD/CMakeCache.txt"
if [[ -n "$VERSION_OVERRIDE" ]]; then
  [[ "$VERSION_OVERRIDE" =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || die "--version \"$VERSION_OVERRIDE\" is not a Debian version"
  VERSION="$VERSION_OVERRIDE"
fi
ARCH="$(dpkg --print-architecture)"
MAINTAINER="idgen authors <idgen@example.org>"

WORK="$(mktemp -d /tmp/idgen-package-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/stage"
log "staging cmake --install $BUILD (stripped)"
cmake --install "$BUILD" --prefix "$STAGE/usr" --strip >/dev/null

# One tree per package, with the files moved out of the stage.
PKG_BIN="$WORK/idgen" PKG_LIB="$WORK/libidgen-client0" PKG_DEV="$WORK/libidgen-client-dev"
move() {  # move SRC-RELATIVE-PATH DEST-ROOT
  mkdir -p "$2/$(dirname "$1")"
  mv "$STAGE/$1" "$2/$1"
}
move usr/bin/idgen "$PKG_BIN"
for f in "$STAGE"/usr/lib/libidgen_client.so.*; do move "usr/lib/$(basename "$f")" "$PKG_LIB"; done
move usr/lib/libidgen_client.so "$PKG_DEV"
move usr/include "$PKG_DEV"
move usr/lib/cmake "$PKG_DEV"
move usr/lib/pkgconfig "$PKG_DEV"
left="$(find "$STAGE" -type f -o -type l)"
[[ -z "$left" ]] || die "installed files no package takes: $left"

install -D -m 644 "$ROOT/deploy/systemd/idgen-serve.service" "$PKG_BIN/lib/systemd/system/idgen-serve.service"
install -D -m 644 "$ROOT/deploy/systemd/idgen-gateway.service" "$PKG_BIN/lib/systemd/system/idgen-gateway.service"
install -D -m 644 "$ROOT/deploy/systemd/serve.env" "$PKG_BIN/etc/idgen/serve.env"
install -D -m 644 "$ROOT/deploy/systemd/gateway.env" "$PKG_BIN/etc/idgen/gateway.env"
for doc in DEPLOYMENT.md OPERATIONS.md SECURITY.md; do
  [[ -f "$ROOT/docs/$doc" ]] && install -D -m 644 "$ROOT/docs/$doc" "$PKG_BIN/usr/share/doc/idgen/$doc"
done

DATE="$(date -R -d "@$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)")"
for pkg in idgen libidgen-client0 libidgen-client-dev; do
  root="$WORK/$pkg"
  install -D -m 644 "$ROOT/deploy/debian/copyright" "$root/usr/share/doc/$pkg/copyright"
  printf '%s (%s) unstable; urgency=medium\n\n  * Built from the idgen tree by scripts/package.sh.\n\n -- %s  %s\n' \
    "$pkg" "$VERSION" "$MAINTAINER" "$DATE" | gzip -9n > "$root/usr/share/doc/$pkg/changelog.gz"
  chmod 644 "$root/usr/share/doc/$pkg/changelog.gz"
  mkdir -p "$root/DEBIAN"
done

# Depends of the ELF files, from the shared libraries they link.
shlibdeps() {  # shlibdeps FILE... -> the Depends value
  mkdir -p "$WORK/shlibs/debian"
  printf 'Source: idgen\n\nPackage: idgen\nArchitecture: any\n' > "$WORK/shlibs/debian/control"
  (cd "$WORK/shlibs" && dpkg-shlibdeps -O "$@" 2>"$WORK/shlibdeps.err") |
    sed -n 's/^shlibs:Depends=//p' || { cat "$WORK/shlibdeps.err" >&2; die "dpkg-shlibdeps failed"; }
}
BIN_DEPENDS="$(shlibdeps "$PKG_BIN/usr/bin/idgen")"
LIB_DEPENDS="$(shlibdeps "$PKG_LIB"/usr/lib/libidgen_client.so.*.*)"
[[ -n "$BIN_DEPENDS" && -n "$LIB_DEPENDS" ]] || die "dpkg-shlibdeps gave no Depends"
SOVERSION="$(basename "$(readlink "$PKG_DEV/usr/lib/libidgen_client.so")" | sed 's/^libidgen_client\.so\.//')"
[[ "$SOVERSION" == 0 ]] || die "libidgen_client.so.$SOVERSION: rename the libidgen-client0 package to match"

size() { du -sk --exclude=DEBIAN "$1" | cut -f1; }
control() {  # control PKG SECTION DEPENDS SHORT LONG [EXTRA]
  {
    echo "Package: $1"
    echo "Version: $VERSION"
    echo "Architecture: $ARCH"
    echo "Maintainer: $MAINTAINER"
    echo "Installed-Size: $(size "$WORK/$1")"
    echo "Depends: $3"
    [[ -n "${6:-}" ]] && echo "$6"
    echo "Section: $2"
    echo "Priority: optional"
    echo "Description: $4"
    echo "$5" | fold -s -w 72 | sed 's/ *$//; s/^/ /'
  } > "$WORK/$1/DEBIAN/control"
}
control idgen net "$BIN_DEPENDS, adduser" "distributed ID generation service" \
  "idgen issues unique 64-bit snowflake IDs, UUIDv7, ULIDs and segment numbers over gRPC and an HTTP/JSON gateway. Nodes coordinate their worker ids through etcd leases or, on one host, a state directory. This package ships the idgen command, systemd units for a node and a gateway (neither enabled on install) and their settings in /etc/idgen."
control libidgen-client0 libs "$LIB_DEPENDS" "client library for the idgen ID service" \
  "The C++ client library of idgen: calls to idgen nodes with retries across nodes and a local pool of IDs. This package holds the shared library."
control libidgen-client-dev libdevel "libidgen-client0 (= $VERSION)" "client library for the idgen ID service - development files" \
  "The C++ client library of idgen: headers, the linker's .so link, the CMake package (find_package(idgen)) and the pkg-config file idgen-client."

# idgen: conffiles and maintainer scripts.
printf '/etc/idgen/serve.env\n/etc/idgen/gateway.env\n' > "$PKG_BIN/DEBIAN/conffiles"
for s in postinst prerm postrm; do install -m 755 "$ROOT/deploy/debian/idgen.$s" "$PKG_BIN/DEBIAN/$s"; done
# libidgen-client0: shlibs for packages that link it, and the ldconfig trigger.
echo "libidgen_client $SOVERSION libidgen-client0 (>= $VERSION)" > "$PKG_LIB/DEBIAN/shlibs"
echo "activate-noawait ldconfig" > "$PKG_LIB/DEBIAN/triggers"

mkdir -p "$OUT"
for pkg in idgen libidgen-client0 libidgen-client-dev; do
  root="$WORK/$pkg"
  (cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
  chmod 644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control"
  find "$root" -type d -exec chmod 755 {} +
  deb="$OUT/${pkg}_${VERSION}_${ARCH}.deb"
  dpkg-deb --root-owner-group -Zgzip -z6 --build "$root" "$deb" >/dev/null
  log "wrote $deb"
  echo "$deb"
done
