#!/usr/bin/env bash
# gRPC server API comparison: the same IdGenerator hot paths served on the
# callback API (the project's IdService, as `idgen serve` runs it), on a
# completion-queue implementation (bench/grpc_api_server.cc, 1 or more queues
# each drained by one thread) and optionally on the sync API, loaded by
# `idgen bench` on the same machine over loopback.
#
#   bench/grpc_api_compare.sh                       # defaults below
#   DURATION=5 ROUNDS=1 CONCURRENCY=16 bench/grpc_api_compare.sh   # quick look
#   APIS="callback cq1 cq2 sync" bench/grpc_api_compare.sh         # with sync
#
# For every (mode, concurrency) cell the APIs run back to back, ROUNDS times,
# the order reversed every other round (A B C, C B A, ...), so drift on a
# shared machine does not favour one side. Every run gets a fresh server on a
# port the kernel picks (--port 0, read back from the server), and waits first
# (at most LOAD_WAIT s) for the 1-minute load average to drop below MAX_LOAD;
# the load at the start of each run is recorded beside its figures.
#
# Environment (defaults in brackets):
#   BUILD_DIR [build]  SKIP_BUILD [unset; set to use the binaries as built]
#   IDGEN [$BUILD_DIR/bin/idgen]  SERVER [$BUILD_DIR/bin/grpc_api_server]
#   APIS ["callback cq1 cq2"]: callback | cqN (N queues+threads) | sync
#   MODES ["stream unary"]  CONCURRENCY ["4 16 64"]  COUNT [1]
#   DURATION [10]  WARMUP [1]  ROUNDS [2]  BENCH_THREADS [1; 0 = one per CPU]
#   MAX_LOAD [1.0]  LOAD_WAIT [180 s]  SERVER_ARGS [none; e.g. --no-deadlock-detection]
#   KEEP [unset; set to keep the temp dir with per-run JSON and logs]
# Needs: cmake, ninja (unless SKIP_BUILD), python3. Loopback only; every server
# started here is stopped by its pid.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
IDGEN=${IDGEN:-$BUILD_DIR/bin/idgen}
SERVER=${SERVER:-$BUILD_DIR/bin/grpc_api_server}
APIS=${APIS:-callback cq1 cq2}
MODES=${MODES:-stream unary}
CONCURRENCY=${CONCURRENCY:-4 16 64}
COUNT=${COUNT:-1}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-2}
BENCH_THREADS=${BENCH_THREADS:-1}
MAX_LOAD=${MAX_LOAD:-1.0}
LOAD_WAIT=${LOAD_WAIT:-180}
SERVER_ARGS=${SERVER_ARGS:-}

log() { echo "[$(date +%T)] $*" >&2; }

command -v python3 >/dev/null || { echo "grpc_api_compare: python3 not found" >&2; exit 2; }
if [[ -z ${SKIP_BUILD:-} ]]; then
  log "building grpc_api_server and idgen in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD_DIR" -j "$(nproc)" --target grpc_api_server idgen >&2
fi
[[ -x $SERVER ]] || { echo "grpc_api_compare: $SERVER not built" >&2; exit 2; }
[[ -x $IDGEN ]] || { echo "grpc_api_compare: $IDGEN not built" >&2; exit 2; }

TMP=$(mktemp -d -t idgen-api-compare.XXXXXX)
# Snapshots: a rebuild elsewhere during the run must not change either side.
cp "$IDGEN" "$TMP/idgen"
cp "$SERVER" "$TMP/grpc_api_server"
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n $SERVER_PID ]]; then wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ -n ${KEEP:-} ]]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
load1() { cut -d' ' -f1 /proc/loadavg; }

wait_quiet() {  # waits (bounded) for load1 < MAX_LOAD; prints the load it starts at
  local waited=0
  while python3 -c "import sys; sys.exit(0 if float('$(load1)') >= float('$MAX_LOAD') else 1)"; do
    if ((waited >= LOAD_WAIT)); then
      log "  load $(load1) still >= $MAX_LOAD after ${LOAD_WAIT}s; measuring anyway (recorded)"
      break
    fi
    sleep 5
    waited=$((waited + 5))
  done
  load1
}

start_server() {  # API -> sets SERVER_PID, PORT
  local api=$1 args
  case $api in
    callback | sync) args=(--api "$api") ;;
    cq*) args=(--api cq --cqs "${api#cq}") ;;
    *) echo "grpc_api_compare: unknown API $api" >&2; exit 2 ;;
  esac
  # shellcheck disable=SC2086  # SERVER_ARGS is a word list
  "$TMP/grpc_api_server" "${args[@]}" --port 0 $SERVER_ARGS >"$TMP/server.out" 2>"$TMP/server.err" &
  SERVER_PID=$!
  PORT=
  for _ in $(seq 100); do
    PORT=$(awk '/^listening on/ {print $3}' "$TMP/server.out")
    [[ -n $PORT ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $PORT ]] || { cat "$TMP/server.err" >&2; echo "server ($api) did not start" >&2; exit 1; }
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

RESULTS=$TMP/results.jsonl
: >"$RESULTS"
read -r -a api_list <<<"$APIS"
for mode in $MODES; do
  for conc in $CONCURRENCY; do
    for round in $(seq "$ROUNDS"); do
      order=("${api_list[@]}")
      if ((round % 2 == 0)); then
        order=()
        for ((i = ${#api_list[@]} - 1; i >= 0; i--)); do order+=("${api_list[i]}"); done
      fi
      for api in "${order[@]}"; do
        load=$(wait_quiet)
        start_server "$api"
        log "$mode c=$conc round $round $api (port $PORT, load $load)"
        t0=$(date +%s.%N)
        c0=$(cpu_ticks "$SERVER_PID")
        out=$TMP/run.json
        if ! "$TMP/idgen" bench --target "127.0.0.1:$PORT" --mode "$mode" --count "$COUNT" \
          --concurrency "$conc" --duration "$DURATION" --warmup "$WARMUP" \
          --threads "$BENCH_THREADS" --json >"$out" 2>"$TMP/bench.err"; then
          cat "$TMP/bench.err" >&2
          echo "idgen bench failed against $api" >&2
          exit 1
        fi
        c1=$(cpu_ticks "$SERVER_PID")
        t1=$(date +%s.%N)
        stop_server
        python3 - "$out" "$api" "$round" "$load" "$c0" "$c1" "$t0" "$t1" "$CLK_TCK" >>"$RESULTS" <<'EOF'
import json, sys
out, api, rnd, load, c0, c1, t0, t1, tck = sys.argv[1:]
j = json.load(open(out))
wall = float(t1) - float(t0)
cpu_s = (int(c1) - int(c0)) / int(tck)
print(json.dumps({
    "mode": j["mode"], "concurrency": j["concurrency"], "api": api, "round": int(rnd),
    "load": float(load), "rps": j["rps"], "p50_us": j["p50_us"], "p99_us": j["p99_us"],
    "errors": j["error_total"], "duplicates": j["duplicates"],
    "order_violations": j["order_violations"],
    # Server CPU over the whole bench command (warmup included), in cores.
    "server_cores": cpu_s / wall if wall > 0 else 0.0,
}))
EOF
        tail -n 1 "$RESULTS" >&2
      done
    done
  done
done

log "summary (machine: $(nproc) CPUs, load now $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$RESULTS" "$APIS" "$DURATION" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
apis = sys.argv[2].split()
base = apis[0]
cells = []
for r in rows:
    if (r["mode"], r["concurrency"]) not in cells:
        cells.append((r["mode"], r["concurrency"]))
print(f"Each row: {max(r['round'] for r in rows)} runs of {sys.argv[3]} s; requests/s as mean "
      f"(each run); p50/p99 medians over runs; server CPU in cores (2 = both), and per "
      f"request (CPU over the whole command incl. warmup / measured rate: approximate); load = 1-min load average at the start of each run.\n")
print(f"| mode | C | API | requests/s (runs) | vs {base} | p50 µs | p99 µs | server CPU | "
      f"CPU µs/req | load |")
print("|---|---:|---|---|---:|---:|---:|---:|---:|---|")
bad = 0
for mode, conc in cells:
    mean_of = {}
    for api in apis:
        rs = [r for r in rows if r["mode"] == mode and r["concurrency"] == conc and r["api"] == api]
        if rs:
            mean_of[api] = statistics.mean(r["rps"] for r in rs)
    for api in apis:
        rs = sorted((r for r in rows if r["mode"] == mode and r["concurrency"] == conc
                     and r["api"] == api), key=lambda r: r["round"])
        if not rs:
            continue
        bad += sum(r["errors"] + r["duplicates"] + r["order_violations"] for r in rs)
        each = ", ".join(f"{r['rps']:,.0f}" for r in rs)
        loads = ", ".join(f"{r['load']:.2f}" for r in rs)
        ratio = mean_of[api] / mean_of[base] if base in mean_of and mean_of[base] else float("nan")
        print(f"| {mode} | {conc} | {api} | **{mean_of[api]:,.0f}** ({each}) | {ratio:.2f}x | "
              f"{statistics.median(r['p50_us'] for r in rs):.0f} | "
              f"{statistics.median(r['p99_us'] for r in rs):.0f} | "
              f"{statistics.mean(r['server_cores'] for r in rs):.2f} | "
              f"{statistics.mean(r['server_cores'] / r['rps'] * 1e6 for r in rs):.1f} | "
              f"{loads} |")
print()
print("errors + duplicates + order violations over all runs:", bad)
EOF
