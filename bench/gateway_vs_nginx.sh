#!/usr/bin/env bash
# One go, one machine, loopback only: `wrk` against the REST gateway
# (GET /v1/ids?count=1, one idgen node behind it) and against nginx serving a
# static JSON file of the same shape, then the ratio gateway / nginx. The
# gateway runs in three configurations, each its own process in front of the
# same node: the default (coalescing on, prefetch off), `--prefetch 1000`, and
# `--coalesce false` (one backend call per request). nginx runs before and
# after them; the ratio uses the better nginx run (the harder bar).
#
#   bench/gateway_vs_nginx.sh               # 10 s per run
#   DURATION=30 bench/gateway_vs_nginx.sh
#
# Prints for both: requests/s, p50 and p99 latency; the ratio of request
# rates; the gateway's resident size (VmRSS) after the run, with IDLE (1000)
# idle keep-alive connections open, and after they are closed. SOAK=600 adds
# a paced run that long, sampling the RSS every 10 s (the "flat" check).
#
# Environment (defaults in brackets):
#   IDGEN [build/bin/idgen]  DURATION [10]  CONNECTIONS [64]  WRK_THREADS [2]
#   GATEWAY_THREADS [2]  NGINX_WORKERS [2]  IDLE [1000]  SOAK [0 seconds]
#   KEEP [unset; set to keep the temp dir with configs and logs]
# Needs: nginx (nginx-light), wrk, curl, python3. Everything started here is
# stopped by pid on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IDGEN=${IDGEN:-$ROOT/build/bin/idgen}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
GATEWAY_THREADS=${GATEWAY_THREADS:-2}
NGINX_WORKERS=${NGINX_WORKERS:-2}
IDLE=${IDLE:-1000}
SOAK=${SOAK:-0}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "gateway_vs_nginx: $tool not found" >&2; exit 2; }
done
[[ -x $NGINX ]] || { echo "gateway_vs_nginx: nginx not found (apt-get install nginx-light)" >&2; exit 2; }
[[ -x $IDGEN ]] || { echo "gateway_vs_nginx: $IDGEN not built (scripts/build.sh)" >&2; exit 2; }

TMP=$(mktemp -d -t idgen-gw-vs-nginx.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n ${KEEP:-} ]]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL: up to 10 s for a 200.
wait_http() {
  for _ in $(seq 100); do
    if curl -fs -o /dev/null "$1"; then return 0; fi
    sleep 0.1
  done
  echo "gateway_vs_nginx: $1 did not answer 200" >&2
  return 1
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# run_wrk NAME URL: prints "req/s p50 p99" (latencies in ms).
run_wrk() {
  local out="$TMP/wrk-$1.txt"
  wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency "$2" >"$out"
  python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)\s*$" % label, text, re.M)
    if not m: return float("nan")
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errors = re.search(r"Socket errors:.*", text)
print(f"{rps:.0f} {ms('50'):.3f} {ms('99'):.3f} {non2xx.group(1) if non2xx else 0}")
if errors: print(errors.group(0), file=sys.stderr)
PY
}

# ---- idgen node + gateway ----------------------------------------------------
GRPC_PORT=$(free_port)
ADMIN_PORT=$(free_port)
GW_PORT=$(free_port)
"$IDGEN" serve --listen "127.0.0.1:$GRPC_PORT" --admin-listen "127.0.0.1:$ADMIN_PORT" \
  --state-dir "$TMP/state" 2>"$TMP/serve.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$ADMIN_PORT/health"
# start_gateway PORT ARGS...: starts a gateway in front of the node; sets GW_PID.
start_gateway() {
  local port=$1
  shift
  "$IDGEN" gateway --listen "127.0.0.1:$port" --backends "127.0.0.1:$GRPC_PORT" \
    --threads "$GATEWAY_THREADS" "$@" 2>"$TMP/gateway-$port.log" &
  GW_PID=$!
  PIDS+=("$GW_PID")
  wait_http "http://127.0.0.1:$port/health"
}
PREFETCH_PORT=$(free_port)
NOCOALESCE_PORT=$(free_port)
start_gateway "$PREFETCH_PORT" --prefetch 1000
PREFETCH_PID=$GW_PID
start_gateway "$NOCOALESCE_PORT" --coalesce false
NOCOALESCE_PID=$GW_PID
start_gateway "$GW_PORT"

# ---- nginx with its own prefix and config ------------------------------------
NGINX_PORT=$(free_port)
mkdir -p "$TMP/nginx/html" "$TMP/nginx/logs"
curl -fs "http://127.0.0.1:$GW_PORT/v1/ids?count=1" >"$TMP/nginx/html/ids.json"
# Run as root, nginx's workers switch to an unprivileged user: let it read.
chmod 755 "$TMP" "$TMP/nginx" "$TMP/nginx/html"
chmod 644 "$TMP/nginx/html/ids.json"
cat >"$TMP/nginx/nginx.conf" <<CONF
worker_processes $NGINX_WORKERS;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location = /ids.json { root $TMP/nginx/html; default_type application/json; }
  }
}
CONF
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' 2>"$TMP/nginx/logs/stderr.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$NGINX_PORT/ids.json"

echo "machine: $(nproc) CPUs, $(uname -r); wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s"
echo "gateway --threads $GATEWAY_THREADS, nginx worker_processes $NGINX_WORKERS; load: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- runs ---------------------------------------------------------------------
for port in "$GW_PORT" "$PREFETCH_PORT" "$NOCOALESCE_PORT"; do
  curl -fs -o /dev/null "http://127.0.0.1:$port/v1/ids?count=1"
done
read -r NG1_RPS NG1_P50 NG1_P99 NG1_BAD < <(run_wrk nginx1 "http://127.0.0.1:$NGINX_PORT/ids.json")
read -r GW_RPS GW_P50 GW_P99 GW_BAD < <(run_wrk gateway "http://127.0.0.1:$GW_PORT/v1/ids?count=1")
GW_RSS_LOAD=$(rss_kib "$GW_PID")
read -r PF_RPS PF_P50 PF_P99 PF_BAD < <(run_wrk prefetch "http://127.0.0.1:$PREFETCH_PORT/v1/ids?count=1")
PF_RSS=$(rss_kib "$PREFETCH_PID")
read -r NC_RPS NC_P50 NC_P99 NC_BAD < <(run_wrk nocoalesce "http://127.0.0.1:$NOCOALESCE_PORT/v1/ids?count=1")
NC_RSS=$(rss_kib "$NOCOALESCE_PID")
read -r NG2_RPS NG2_P50 NG2_P99 NG2_BAD < <(run_wrk nginx2 "http://127.0.0.1:$NGINX_PORT/ids.json")
POOL=$(curl -fs "http://127.0.0.1:$GW_PORT/metrics" | awk '
  /^idgen_gateway_pool_requests_total.*pooled/ { r = $NF }
  /^idgen_gateway_pool_calls_total/ { c = $NF }
  END { if (c > 0) printf "%d requests in %d backend calls (%.1f per call)", r, c, r / c }')
if awk -v a="$NG1_RPS" -v b="$NG2_RPS" 'BEGIN { exit !(a >= b) }'; then
  NG_RPS=$NG1_RPS NG_P50=$NG1_P50 NG_P99=$NG1_P99
else
  NG_RPS=$NG2_RPS NG_P50=$NG2_P50 NG_P99=$NG2_P99
fi

# ---- RSS with idle keep-alive connections --------------------------------------
# open_idle TAG: opens $IDLE keep-alive connections to the default gateway (each
# makes one request), holds them until $TMP/TAG.stop exists (at most $2
# seconds, default 60); $TMP/TAG.ready once all are open. Sets IDLE_PID.
open_idle() {
  python3 - "$GW_PORT" "$IDLE" "$TMP/$1.ready" "$TMP/$1.stop" "${2:-60}" <<'PY' &
import os, socket, sys, time
port, n, ready, stop, hold = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /alive HTTP/1.1\r\nHost: x\r\n\r\n")
    socks.append(s)
for s in socks:
    s.settimeout(10)
    s.recv(4096)
open(ready, "w").close()
# Each connection makes one request every 30 s, so the gateway's idle
# timeout (60 s) keeps them open for a long soak.
for tick in range(1, hold * 10 + 1):
    if os.path.exists(stop): break
    time.sleep(0.1)
    if tick % 300 == 0:
        for s in socks:
            s.sendall(b"GET /alive HTTP/1.1\r\nHost: x\r\n\r\n")
        for s in socks:
            s.recv(4096)
PY
  IDLE_PID=$!
  PIDS+=("$IDLE_PID")
  for _ in $(seq 300); do [[ -e $TMP/$1.ready ]] && break; sleep 0.1; done
  [[ -e $TMP/$1.ready ]] || { echo "gateway_vs_nginx: idle connections not ready" >&2; exit 1; }
}
open_idle idle
sleep 1
GW_RSS_IDLE=$(rss_kib "$GW_PID")
touch "$TMP/idle.stop"
wait "$IDLE_PID" || true
sleep 1
GW_RSS_AFTER=$(rss_kib "$GW_PID")

echo
row() { printf '%-40s %10s %9s %9s %8s %s\n' "$@"; }
ratio() { awk -v g="$1" -v n="$NG_RPS" 'BEGIN { printf "%.2f", g / n }'; }
row target "req/s" "p50 ms" "p99 ms" non-2xx "ratio to nginx"
row "nginx static /ids.json (before)" "$NG1_RPS" "$NG1_P50" "$NG1_P99" "$NG1_BAD" ""
row "gateway, default (coalescing)" "$GW_RPS" "$GW_P50" "$GW_P99" "$GW_BAD" "$(ratio "$GW_RPS")"
row "gateway --prefetch 1000" "$PF_RPS" "$PF_P50" "$PF_P99" "$PF_BAD" "$(ratio "$PF_RPS")"
row "gateway --coalesce false" "$NC_RPS" "$NC_P50" "$NC_P99" "$NC_BAD" "$(ratio "$NC_RPS")"
row "nginx static /ids.json (after)" "$NG2_RPS" "$NG2_P50" "$NG2_P99" "$NG2_BAD" ""
echo "ratio gateway (default) / nginx (better run): $(ratio "$GW_RPS") (target >= 0.50)"
echo "default gateway's pool: $POOL"
echo "RSS after the runs: prefetch $((PF_RSS / 1024)) MiB, no coalescing $((NC_RSS / 1024)) MiB"
echo "gateway RSS: $((GW_RSS_LOAD / 1024)) MiB after the run, $((GW_RSS_IDLE / 1024)) MiB with $IDLE idle keep-alive connections, $((GW_RSS_AFTER / 1024)) MiB after closing them (target < 64 MiB)"

if [[ $SOAK -gt 0 ]]; then
  echo
  echo "soak: $SOAK s of wrk at -c$CONNECTIONS with $IDLE idle keep-alive connections open, RSS every 10 s (MiB):"
  open_idle soak $((SOAK + 120))
  wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "${SOAK}s" "http://127.0.0.1:$GW_PORT/v1/ids?count=1" >"$TMP/soak.txt" &
  SOAK_PID=$!
  PIDS+=("$SOAK_PID")
  samples=()
  while kill -0 "$SOAK_PID" 2>/dev/null; do
    samples+=($(($(rss_kib "$GW_PID") / 1024)))
    sleep 10
  done
  touch "$TMP/soak.stop"
  echo "${samples[*]}"
  grep -E "Requests/sec|Non-2xx|Socket errors" "$TMP/soak.txt" || true
fi
