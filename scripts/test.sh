#!/usr/bin/env bash
# The one test command: sets up, builds and runs every test of the project.
#
#   scripts/test.sh              everything (what CI runs, through .ci/run)
#   scripts/test.sh --quick      setup, build, ctest (without label "slow"), node, format
#   scripts/test.sh --only a,b   just the named stages (no implicit setup/build)
#   scripts/test.sh --list       the stage names
#
# Stages, in order (each prints a banner and its wall time; all of them run even
# when one fails; a summary table follows; exit status 0 only if all passed):
#   setup   scripts/setup.sh (Debian + npm dependencies)
#   build   scripts/build.sh (build/, RelWithDebInfo)
#   ctest   every CTest test in build/. Suites register themselves through CMake
#           (idgen_cc_test(... LABELS ...)); label long ones "slow" so --quick
#           leaves them out. IDGEN_CTEST_ARGS adds ctest arguments (e.g. "-L unit").
#   node    node --test in tests/node, with IDGEN_BIN=build/bin/idgen; a skipped
#           test fails the stage unless IDGEN_ALLOW_SKIPS=1
#   format  clang-format --dry-run --Werror over our *.h/*.cc
#   tidy    clang-tidy (.clang-tidy) over our .cc files in build/compile_commands.json,
#           by scripts/tidy.py: each source on its own, tests in groups of
#           IDGEN_TIDY_GROUP (default 6; 1 checks each on its own).
#           When ctest or node runs too, it starts right after the build as an idle-
#           priority background job (SCHED_IDLE: it gets only the CPU the tests
#           leave, so their timing is not disturbed); the tidy stage then waits for
#           it and reports its findings. IDGEN_TIDY_BACKGROUND=0 runs it in place.
#   asan    core-only build with clang -fsanitize=address,undefined in build/asan; ctest
#   tsan    core-only build with clang -fsanitize=thread in build/tsan; ctest
#   fuzz    libFuzzer targets (fuzz/*_fuzz.cc) built in build/fuzz, each run
#           for IDGEN_FUZZ_SECONDS (default 10) seconds from its seed corpus in
#           fuzz/corpus/<target>/; any crash fails the stage
# The last line printed is "N passed, N failed" (stages), for CI.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
JOBS="$(nproc)"
# Per fuzz target; every target runs, as many at a time as there are cores,
# so the stage's fuzzing time is this times targets / cores (11 / 2 today: 60 s).
FUZZ_SECONDS="${IDGEN_FUZZ_SECONDS:-10}"
ALL_STAGES=(setup build ctest node format tidy asan tsan fuzz)
QUICK_STAGES=(setup build ctest node format)

usage() { sed -n '2,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

STAGES=("${ALL_STAGES[@]}")
QUICK=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick)
      QUICK=1
      STAGES=("${QUICK_STAGES[@]}")
      ;;
    --only)
      [[ $# -ge 2 ]] || { echo "--only needs a comma-separated list of stages" >&2; exit 2; }
      IFS=, read -r -a STAGES <<<"$2"
      shift
      ;;
    --only=*) IFS=, read -r -a STAGES <<<"${1#--only=}" ;;
    --list)
      echo "${ALL_STAGES[*]}"
      exit 0
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "unknown argument: $1 (try --help)" >&2
      exit 2
      ;;
  esac
  shift
done
for s in "${STAGES[@]}"; do
  [[ " ${ALL_STAGES[*]} " == *" $s "* ]] || { echo "unknown stage: $s (stages: ${ALL_STAGES[*]})" >&2; exit 2; }
done

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
tool() { # the first of the given commands that exists
  local t
  for t in "$@"; do
    if command -v "$t" >/dev/null 2>&1; then
      echo "$t"
      return 0
    fi
  done
  echo "$1"
}

# ---- Stages (each runs in a subshell with set -e) ----------------------------

stage_setup() { "$ROOT/scripts/setup.sh"; }

stage_build() { "$ROOT/scripts/build.sh"; }

stage_ctest() {
  local args=(--test-dir "$ROOT/build" --output-on-failure --no-tests=error -j "$JOBS" --timeout 600)
  if [[ "$QUICK" -eq 1 ]]; then args+=(-LE '^slow$'); fi
  # shellcheck disable=SC2206  # word splitting of the extra args is intended
  if [[ -n "${IDGEN_CTEST_ARGS:-}" ]]; then args+=(${IDGEN_CTEST_ARGS}); fi
  echo "labels: $(ctest --test-dir "$ROOT/build" --print-labels | sed -n 's/^  //p' | tr '\n' ' ')"
  ctest "${args[@]}"
}

stage_node() {
  local dir="$ROOT/tests/node"
  if [[ ! -f "$dir/package.json" ]]; then
    echo "no tests/node/package.json: no Node tests yet"
    return 0
  fi
  [[ -x "$ROOT/build/bin/idgen" ]] || { echo "build/bin/idgen is missing (build failed?)"; return 1; }
  node --version
  # A skipped test is not a passed one: the stage fails when any test was
  # skipped (the package and image tests skip, loudly, without root), unless
  # IDGEN_ALLOW_SKIPS=1 says that is expected on this machine.
  local log="$ROOT/build/node-tests.tap"
  (cd "$dir" && IDGEN_BIN="$ROOT/build/bin/idgen" node --test) | tee "$log"
  local rc="${PIPESTATUS[0]}"
  [[ "$rc" -eq 0 ]] || return "$rc"
  if [[ "${IDGEN_ALLOW_SKIPS:-0}" != 1 ]] && grep -qE '^# skipped [1-9]' "$log"; then
    echo "node: $(grep -E '^# skipped' "$log" | tail -1 | sed 's/^# //') test(s) (NOT RUN above); IDGEN_ALLOW_SKIPS=1 accepts that"
    return 1
  fi
}

# Our C++ sources: tracked and untracked-but-not-ignored *.h/*.cc.
list_sources() {
  local dirs=(include src apps bench fuzz tests)
  if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$ROOT" ls-files --cached --others --exclude-standard -- "${dirs[@]}"
  else
    find "${dirs[@]}" -type f 2>/dev/null
  fi | grep -E '\.(h|cc)$' | grep -vE '(^|/)(build|node_modules)/' | sort -u |
    while IFS= read -r f; do if [[ -f "$f" ]]; then echo "$f"; fi; done
}

stage_format() {
  local cf files
  cf="$(tool clang-format-14 clang-format)"
  mapfile -t files < <(list_sources)
  echo "$($cf --version); ${#files[@]} files"
  [[ "${#files[@]}" -gt 0 ]] || return 0
  local out
  if ! out="$("$cf" --dry-run --Werror "${files[@]}" 2>&1)"; then
    echo "$out" | head -200
    echo "clang-format drift in:"
    echo "$out" | grep -oE '^[^:[:space:]]+:[0-9]+:[0-9]+: error' | cut -d: -f1 | sort -u | sed 's/^/  /'
    echo "fix with: $cf -i FILE..."
    return 1
  fi
}

TIDY_BG_PID=""
TIDY_BG_DIR="$ROOT/build/tidy-background"

# The tidy stage's work, started in the background after the build (see the
# header). Its output and exit status go to $TIDY_BG_DIR.
start_tidy_background() {
  rm -rf "$TIDY_BG_DIR" && mkdir -p "$TIDY_BG_DIR" || return 0
  local idle=()
  if command -v chrt >/dev/null 2>&1; then idle=(chrt --idle 0); fi
  # Its own process group (setsid), so that an interrupted run stops it too.
  setsid "${idle[@]}" nice -n 19 bash -c "$(declare -f now elapsed tool list_sources run_tidy)
    start=\"\$(now)\"
    ROOT='$ROOT' JOBS='$JOBS' run_tidy >'$TIDY_BG_DIR/out' 2>&1
    rc=\$?
    elapsed \"\$start\" \"\$(now)\" >'$TIDY_BG_DIR/seconds'
    echo \"\$rc\" >'$TIDY_BG_DIR/rc'" &
  TIDY_BG_PID=$!
  trap 'kill -- "-$TIDY_BG_PID" 2>/dev/null' EXIT
  echo "tidy: started in the background at idle priority (pid $TIDY_BG_PID)"
}

stage_tidy() {
  if [[ -f "$TIDY_BG_DIR/rc" ]]; then
    cat "$TIDY_BG_DIR/out"
    echo "(ran in the background at idle priority since the build: $(cat "$TIDY_BG_DIR/seconds") s)"
    return "$(cat "$TIDY_BG_DIR/rc")"
  fi
  run_tidy
}

run_tidy() {
  local db="$ROOT/build/compile_commands.json" ct files=()
  [[ -f "$db" ]] || { echo "no $db (build failed?)"; return 1; }
  ct="$(tool clang-tidy-14 clang-tidy)"
  # Our .cc files; tidy.py checks those the main build compiles (generated
  # protobuf code lives in build/ and is never listed), test sources in
  # groups (see there); IDGEN_TIDY_GROUP=1 checks every file on its own.
  mapfile -t files < <(list_sources | grep -E '\.cc$')
  echo "$($ct --version | grep -m1 version); $JOBS in parallel"
  local log="$ROOT/build/clang-tidy.log" rc=0
  python3 "$ROOT/scripts/tidy.py" --build "$ROOT/build" --jobs "$JOBS" --clang-tidy "$ct" \
    --group "${IDGEN_TIDY_GROUP:-6}" --skip-unbuilt "${files[@]}" >"$log" 2>&1 || rc=$?
  cat "$log"
  echo "full log: $log"
  [[ "$rc" -eq 0 ]]
}

# The sanitizer and fuzz builds are CMake presets (CMakePresets.json), so a
# developer gets the same build by hand:
#   cmake --preset asan && cmake --build --preset asan && ctest --preset asan
stage_asan() {
  cmake --preset asan && cmake --build --preset asan -j "$JOBS" || return 1
  ctest --preset asan -j "$JOBS"
}

stage_tsan() {
  local wrap=()
  cmake --preset tsan && cmake --build --preset tsan -j "$JOBS" || return 1
  # clang 14's TSan cannot map its shadow memory when the kernel randomises
  # mmap with more than 28 bits; run without ASLR there.
  if [[ "$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)" -gt 28 ]]; then
    wrap=(setarch "$(uname -m)" -R)
  fi
  "${wrap[@]}" ctest --preset tsan -j "$JOBS"
}

stage_fuzz() {
  local dir="$ROOT/build/fuzz" targets=() src t
  for src in "$ROOT"/fuzz/*_fuzz.cc; do
    if [[ -f "$src" ]]; then targets+=("$(basename "$src" .cc)"); fi
  done
  [[ "${#targets[@]}" -gt 0 ]] || { echo "no fuzz targets"; return 0; }
  if ! [[ "$FUZZ_SECONDS" =~ ^[1-9][0-9]*$ ]]; then
    echo "IDGEN_FUZZ_SECONDS must be a whole number of seconds >= 1, got \"$FUZZ_SECONDS\""
    return 2
  fi
  echo "${#targets[@]} targets, ${FUZZ_SECONDS}s each"
  cmake --preset fuzz || return 1
  cmake --build --preset fuzz -j "$JOBS" --target "${targets[@]}" || return 1
  # The targets are single-threaded: run $JOBS at a time, each report
  # printed whole, in target order.
  local failed=0 i batch=()
  for ((i = 0; i < ${#targets[@]}; i += JOBS)); do
    batch=("${targets[@]:i:JOBS}")
    for t in "${batch[@]}"; do fuzz_target "$dir" "$t" >"$dir/$t.report" 2>&1 & done
    for t in "${batch[@]}"; do wait -n || failed=1; done
    for t in "${batch[@]}"; do cat "$dir/$t.report"; done
  done
  [[ "$failed" -eq 0 ]]
}

# One fuzz target for $FUZZ_SECONDS on its corpus and the seeds; non-zero
# when it found a crash, a leak or a timeout.
fuzz_target() {
  local dir="$1" t="$2"
  local corpus="$dir/corpus/$t" seeds="$ROOT/fuzz/corpus/$t" log="$dir/$t.log"
  local artifacts="$dir/artifacts/$t/" dirs=()
  mkdir -p "$corpus" "$artifacts"
  dirs=("$corpus")
  if [[ -d "$seeds" ]]; then dirs+=("$seeds"); fi
  echo "$t: ${FUZZ_SECONDS}s, corpus $corpus, log $log"
  if "$dir/bin/$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "${dirs[@]}" >"$log" 2>&1; then
    grep -E '^Done [0-9]+ runs|^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$log" |
      sed "s/^/  $t: /"
  else
    echo "$t FAILED; the input that broke it is in $artifacts; the end of $log:"
    grep -v -E '^#[0-9]+' "$log" | tail -40
    echo "reproduce: $dir/bin/$t $artifacts<crash-file>"
    return 1
  fi
}

# ---- Driver -----------------------------------------------------------------

declare -A RESULT TIME
TOTAL_START="$(now)"
i=0
for s in "${STAGES[@]}"; do
  i=$((i + 1))
  echo
  echo "==================== [$i/${#STAGES[@]}] $s ===================="
  start="$(now)"
  if [[ "$s" != setup && "$s" != build && "${RESULT[build]:-}" == FAIL &&
        " ctest node tidy " == *" $s "* ]]; then
    echo "not run: the build failed"
    rc=1
  elif [[ "$s" == tidy && -n "$TIDY_BG_PID" ]]; then
    wait "$TIDY_BG_PID"
    ( set -euo pipefail; stage_tidy )
    rc=$?
  else
    ( set -euo pipefail; "stage_$s" )
    rc=$?
  fi
  TIME[$s]="$(elapsed "$start" "$(now)")"
  if [[ "$rc" -eq 0 ]]; then RESULT[$s]=PASS; else RESULT[$s]=FAIL; fi
  if [[ "$s" == build && "$rc" -eq 0 && "${IDGEN_TIDY_BACKGROUND:-1}" != 0 &&
        " ${STAGES[*]} " == *" tidy "* &&
        ( " ${STAGES[*]} " == *" ctest "* || " ${STAGES[*]} " == *" node "* ) ]]; then
    start_tidy_background
  fi
  echo "---- $s: ${RESULT[$s]} in ${TIME[$s]} s"
done

passed=0
failed=0
echo
echo "==================== summary ===================="
printf '%-8s %-6s %9s\n' stage result seconds
for s in "${STAGES[@]}"; do
  printf '%-8s %-6s %9s\n' "$s" "${RESULT[$s]}" "${TIME[$s]}"
  if [[ "${RESULT[$s]}" == PASS ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
printf '%-8s %-6s %9s\n' total "" "$(elapsed "$TOTAL_START" "$(now)")"
echo "$passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
