#!/usr/bin/env bash
# Installs everything idgen needs on Debian 12: the Debian packages listed in
# scripts/deps/apt-packages.txt, Node.js and npm (from Debian, only when `node`
# is missing), and the npm dependencies of every folder in
# scripts/deps/npm-dirs.txt. Idempotent: a second run installs nothing.
#
# Run as root (or with sudo). Without root it still works when every Debian
# package is already there, and stops with a clear message when one is not.
#
# Daemons that come with packages (redis, nginx, etcd) are not started by the
# install: tests and the AppHost start their own instances on their own ports.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APT_LIST="$ROOT/scripts/deps/apt-packages.txt"
NPM_DIRS="$ROOT/scripts/deps/npm-dirs.txt"

log() { echo "[setup] $*"; }
die() {
  echo "[setup] ERROR: $*" >&2
  exit 1
}

# Lines of a list file without comments and blanks.
read_list() { sed -e 's/#.*//' -e 's/[[:space:]]//g' "$1" | grep -v '^$' || true; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Prints the packages of "$@" that dpkg does not report as installed.
missing_packages() {
  local status
  status="$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "$@" 2>/dev/null || true)"
  local p
  for p in "$@"; do
    grep -qx "$p installed" <<<"$status" || echo "$p"
  done
}

apt_install() {
  # Keep package maintainer scripts from starting daemons (policy-rc.d: 101 =
  # action forbidden), unless the machine already has a policy of its own.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" || rc=$?
  if [[ "$own_policy" -eq 1 ]]; then rm -f "$policy"; fi
  return "$rc"
}

# ---- Debian packages --------------------------------------------------------

mapfile -t PACKAGES < <(read_list "$APT_LIST")
[[ "${#PACKAGES[@]}" -gt 0 ]] || die "no packages listed in $APT_LIST"
NEED_NODE=0
command -v node >/dev/null 2>&1 || NEED_NODE=1

if is_root; then
  log "apt-get update"
  if ! apt-get update -q >/tmp/idgen-apt-update.log 2>&1; then
    cat /tmp/idgen-apt-update.log >&2
    log "warning: apt-get update failed; continuing with the package lists we have"
  fi
fi

mapfile -t MISSING < <(missing_packages "${PACKAGES[@]}")
# kubectl (its `kubectl kustomize` renders deploy/kubernetes in a test): Debian's
# kubernetes-client, only when no kubectl is on PATH (another package's
# kubectl owns the same file).
command -v kubectl >/dev/null 2>&1 || MISSING+=(kubernetes-client)
if [[ "$NEED_NODE" -eq 1 ]]; then
  # Debian's npm depends on Debian's nodejs; install them only together, and
  # only when no node is on PATH (a node from elsewhere brings its own npm).
  MISSING+=(nodejs npm)
fi

if [[ "${#MISSING[@]}" -eq 0 ]]; then
  log "all ${#PACKAGES[@]} Debian packages are installed; node $(node --version) at $(command -v node)"
else
  is_root || die "missing Debian packages: ${MISSING[*]}
  run as root:  sudo $ROOT/scripts/setup.sh"
  log "installing ${#MISSING[@]} package(s): ${MISSING[*]}"
  apt_install "${MISSING[@]}"
  mapfile -t STILL < <(missing_packages "${PACKAGES[@]}")
  [[ "${#STILL[@]}" -eq 0 ]] || die "still missing after apt-get install: ${STILL[*]}"
  command -v node >/dev/null 2>&1 || die "node is still missing after installing nodejs"
  log "Debian packages installed; node $(node --version)"
fi
command -v npm >/dev/null 2>&1 || die "node is installed but npm is not: install npm for $(command -v node)"

# ---- npm dependencies -------------------------------------------------------

while IFS= read -r dir; do
  path="$ROOT/$dir"
  if [[ ! -f "$path/package.json" ]]; then
    log "npm: $dir has no package.json yet; skipped"
    continue
  fi
  # npm writes node_modules/.package-lock.json on every install; newer than the
  # manifests means the folder is up to date.
  stamp="$path/node_modules/.package-lock.json"
  if [[ -f "$stamp" && "$stamp" -nt "$path/package.json" &&
        ( ! -f "$path/package-lock.json" || "$stamp" -nt "$path/package-lock.json" ) ]]; then
    log "npm: $dir is up to date"
    continue
  fi
  if [[ -f "$path/package-lock.json" ]]; then
    log "npm ci in $dir"
    (cd "$path" && npm ci --no-audit --no-fund --loglevel=error)
  else
    log "npm install in $dir (no package-lock.json yet: commit the one it writes)"
    (cd "$path" && npm install --no-audit --no-fund --loglevel=error)
  fi
  # Under sudo, hand the installed files back to the user who ran it.
  if is_root && [[ -n "${SUDO_UID:-}" && -n "${SUDO_GID:-}" ]]; then
    chown -R "$SUDO_UID:$SUDO_GID" "$path/node_modules" "$path/package-lock.json" 2>/dev/null || true
  fi
done < <(read_list "$NPM_DIRS")

log "done"
