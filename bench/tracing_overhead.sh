#!/usr/bin/env bash
# Tracing overhead: the same node and load with tracing off
# (OTEL_SDK_DISABLED=true) and with every call traced and exported
# (OTEL_TRACES_SAMPLER=always_on, OTLP/HTTP to a local sink that accepts
# everything), in one go on the same machine. Runs alternate off/on/on/off
# (ROUNDS times) so drift on a shared machine does not favour one side; a
# fresh node per run. Prints req/s per run, the medians and the ratio, and
# how many spans the traced runs exported or dropped.
#
#   bench/tracing_overhead.sh                 # defaults below
#   MODES=unary DURATION=5 ROUNDS=1 bench/tracing_overhead.sh
#
# Environment [defaults]: IDGEN [build/bin/idgen]  MODES ["unary stream"]
#   CONCURRENCY [16]  DURATION [10]  WARMUP [1]  ROUNDS [2]
# Loopback only; every process started here is stopped by its pid.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IDGEN=${IDGEN:-$ROOT/build/bin/idgen}
MODES=${MODES:-unary stream}
CONCURRENCY=${CONCURRENCY:-16}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-2}
PY=/usr/bin/python3
[[ -x $IDGEN ]] || { echo "tracing_overhead: $IDGEN not built" >&2; exit 2; }
for tool in curl "$PY"; do command -v "$tool" >/dev/null || { echo "tracing_overhead: $tool missing" >&2; exit 2; }; done

TMP=$(mktemp -d -t idgen-tracing.XXXXXX)
PIDS=()
stop_pid() {
  local pid=$1
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# The OTLP/HTTP sink: 200 with an empty (valid) Export*ServiceResponse for
# every POST; counts requests and bytes in $TMP/sink.json on SIGTERM.
SINK_PORT=$(free_port)
"$PY" - "$SINK_PORT" "$TMP/sink.json" <<'PYEOF' &
import http.server, json, signal, sys
stats = {"requests": 0, "bytes": 0}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        n = int(self.headers.get("content-length", "0"))
        self.rfile.read(n)
        stats["requests"] += 1
        stats["bytes"] += n
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
def stop(*_):
    json.dump(stats, open(sys.argv[2], "w"))
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
srv.serve_forever()
PYEOF
SINK_PID=$!
PIDS+=("$SINK_PID")

start_node() {  # on|off -> sets NODE_PID GRPC_PORT ADMIN_PORT
  GRPC_PORT=$(free_port)
  ADMIN_PORT=$(free_port)
  local env=(OTEL_SDK_DISABLED=true)
  if [[ $1 == on ]]; then
    env=(OTEL_TRACES_SAMPLER=always_on OTEL_TRACES_EXPORTER=otlp
      OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none
      OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
      OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT"
      OTEL_BSP_MAX_QUEUE_SIZE=262144 OTEL_BSP_MAX_EXPORT_BATCH_SIZE=8192
      OTEL_BSP_SCHEDULE_DELAY=200)
  fi
  env "${env[@]}" "$IDGEN" serve --listen "127.0.0.1:$GRPC_PORT" \
    --admin-listen "127.0.0.1:$ADMIN_PORT" --state-dir "$TMP/state-$1" >"$TMP/serve-$1.log" 2>&1 &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$ADMIN_PORT/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$TMP/serve-$1.log" >&2
  echo "node ($1) not healthy" >&2
  exit 1
}

metric() {  # NAME LABEL_REGEX -> value or 0
  curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" | awk -v n="$1" -v l="$2" \
    '$1 ~ "^"n && $1 ~ l {v=$2} END {print v+0}'
}

declare -A RESULTS
SPANS_DROPPED=0
for mode in $MODES; do
  order=()
  for ((r = 0; r < ROUNDS; r++)); do order+=(off on on off); done
  for side in "${order[@]}"; do
    start_node "$side"
    "$IDGEN" bench --target "127.0.0.1:$GRPC_PORT" --mode "$mode" --count 1 \
      --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" --json \
      >"$TMP/run.json" 2>"$TMP/run.err" || { cat "$TMP/run.err" >&2; exit 1; }
    rps=$("$PY" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["rps"]))' "$TMP/run.json")
    if [[ $side == on ]]; then
      sleep 1  # the last batch leaves
      d=$(metric idgen_telemetry_dropped_total 'traces')
      SPANS_DROPPED=$((SPANS_DROPPED + ${d%.*}))
    fi
    RESULTS[$mode,$side]+="$rps "
    echo "[$(date +%T)] $mode tracing=$side: $rps req/s" >&2
    stop_pid "$NODE_PID"
  done
done
stop_pid "$SINK_PID"

echo
echo "Tracing overhead, $(nproc) CPUs, loopback, idgen bench --count 1 --concurrency $CONCURRENCY --duration $DURATION, $ROUNDS x (off on on off)"
printf '%-8s %-28s %-28s %s\n' mode "tracing off (req/s)" "tracing 100% (req/s)" "median on/off"
for mode in $MODES; do
  "$PY" - "$mode" "${RESULTS[$mode,off]}" "${RESULTS[$mode,on]}" <<'PYEOF'
import statistics, sys
mode, off, on = sys.argv[1], [int(x) for x in sys.argv[2].split()], [int(x) for x in sys.argv[3].split()]
mo, mn = statistics.median(off), statistics.median(on)
print(f"{mode:<8} {' / '.join(map(str, off)):<28} {' / '.join(map(str, on)):<28} {mn / mo:.3f}")
PYEOF
done
echo "traced runs: spans dropped (queue full) $SPANS_DROPPED; OTLP sink got $("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["requests"], "exports,", d["bytes"], "bytes")' "$TMP/sink.json")"
