#!/usr/bin/env bash
# Configures and builds the main build: build/ (CMake preset `release`: Ninja,
# RelWithDebInfo), with as many jobs as there are cores. The executable is build/bin/idgen.
#   scripts/build.sh                        everything
#   scripts/build.sh --target core_bench    only that target (repeatable)
#   scripts/build.sh -DIDGEN_WERROR=OFF     other arguments go to CMake configure
# Run scripts/setup.sh first on a fresh machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
JOBS="$(nproc)"

targets=()
configure_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --target)
      [[ $# -ge 2 ]] || { echo "[build] --target needs a name" >&2; exit 2; }
      targets+=("$2")
      shift
      ;;
    --target=*) targets+=("${1#--target=}") ;;
    *) configure_args+=("$1") ;;
  esac
  shift
done

# A build/ configured with another generator cannot be reused by Ninja.
if [[ -f "$BUILD/CMakeCache.txt" ]] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$BUILD/CMakeCache.txt"; then
  echo "[build] ERROR: $BUILD was configured with another generator; remove it: rm -rf build" >&2
  exit 1
fi

echo "[build] cmake configure: $BUILD (preset release: Ninja, RelWithDebInfo)"
(cd "$ROOT" && cmake --preset release "${configure_args[@]}")
build_args=(--build "$BUILD" -j "$JOBS")
if [[ "${#targets[@]}" -gt 0 ]]; then build_args+=(--target "${targets[@]}"); fi
echo "[build] cmake ${build_args[*]}"
cmake "${build_args[@]}"
echo "[build] done: $BUILD/bin/${targets[*]:-idgen}"
