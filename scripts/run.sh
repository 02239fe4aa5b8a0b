#!/usr/bin/env bash
# The main job: sets up, builds, then runs build/bin/idgen with the given
# arguments, or, with none, the default below.
#   scripts/run.sh                      the default job
#   scripts/run.sh decode 1541815603606036480 --layout twitter --json
set -euo pipefail

# What `scripts/run.sh` with no arguments runs: idgen commands, one per line
# (a single line is exec'ed, so a long-running command owns the process).
DEFAULT_JOB='up'

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh"
IDGEN="$ROOT/build/bin/idgen"

if [[ $# -gt 0 ]]; then
  exec "$IDGEN" "$@"
fi
if [[ "$DEFAULT_JOB" != *$'\n'* ]]; then
  # A single command (e.g. a long-running `up`): let it own the process.
  read -r -a args <<<"$DEFAULT_JOB"
  exec "$IDGEN" "${args[@]}"
fi
while IFS= read -r line; do
  [[ -n "$line" ]] || continue
  read -r -a args <<<"$line"
  echo "\$ idgen $line"
  "$IDGEN" "${args[@]}"
done <<<"$DEFAULT_JOB"
