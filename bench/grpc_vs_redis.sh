#!/usr/bin/env bash
# One go, one machine, loopback only: Redis `INCR` (redis-benchmark) beside an
# idgen node (`idgen bench`), printed as a table with ratios (ours / Redis).
#
#   bench/grpc_vs_redis.sh                # 10 s per run
#   DURATION=30 bench/grpc_vs_redis.sh    # longer runs
#
# Runs, in order:
#   1. redis-benchmark -t incr -c $REDIS_CLIENTS -P 1 against a Redis started here
#      (no persistence), sized to last about $DURATION seconds; repeated after
#      the idgen runs, and the better of the two is the bar for the ratios
#   2. idgen bench --mode stream --count 1       (the max one-ID request rate)
#   3. idgen bench --mode unary                  (NextId, one call per ID)
#   4. idgen bench --mode batch --count 1000     (against the worker's ceiling)
#   5. idgen bench --mode stream --count 1 --rate (half of 2.) for the p99 target
#      ($PACED_PIPELINE requests outstanding per stream at most; with 1, a
#      request due while its stream waits for an answer goes when the answer
#      arrives and is charged the wait: coordinated omission corrected)
#   6. the same paced run again with the node's gRPC threads (as with
#      `idgen serve --realtime-priority`) and the load generator under
#      SCHED_FIFO (chrt), so that no ordinary task or kernel thread can take
#      their CPU while they have work; printed beside 5., never instead of it
#   7. optional: SOAK=600 runs stream mode that long and samples the node's RSS
#   8. UDS=1 (default): Unix sockets instead of TCP loopback, for clients on the
#      same machine: redis-benchmark -s against the same Redis (also listening
#      on a socket), a second node on --listen unix:PATH, its max stream rate
#      and the paced run at half of it; their ratios are to Redis on a socket
# The node's resident size (VmRSS) is sampled every 0.5 s throughout. Before
# everything, build/bin/machine_stalls spins a pinned thread per CPU for
# $STALL_PROBE seconds and reports how often the machine itself stops a
# running thread: the floor under the tail latencies measured here (with perf,
# through bench/who_stalls.sh, which also names the tasks that ran instead).
# Each run's share of the host's steal time is printed beside it.
#
# Environment (defaults in brackets):
#   IDGEN [build/bin/idgen]  DURATION [10]  WARMUP [2]  REDIS_CLIENTS [50]
#   STREAM_CONCURRENCY [64]  STREAM_PIPELINE [1]  UNARY_CONCURRENCY [64]
#   BATCH_CONCURRENCY [4]  CONNECTIONS [1]  BENCH_THREADS [1; 0 = one per CPU]
#   PACED_PIPELINE [1]  SOAK [0 seconds]  STALL_PROBE [5 seconds; 0 = skip]
#   EXTRA_RATES [none; e.g. "10000 20000": more paced stream runs]
#   PIN [1 on 2+ CPUs: both servers on CPU 1, both load generators on CPU 0
#        (taskset), as with clients on another machine: client and server stop
#        preempting each other and the kernel cannot stack them on one CPU;
#        PIN=0 lets them float]
#   RT [1 when `chrt -f` is allowed here (root or CAP_SYS_NICE): run 6.;
#       0 = skip it. Only the paced run: with both sides SCHED_FIFO at full
#       load the kernel's own softirq threads starve and throughput collapses]
#   UDS [1: run 8.; 0 = TCP only]
#   KEEP [unset; set to keep the temp dir with logs and JSON]
# A setting that is not a number (or 0/1) where one is needed exits 2, naming
# it, before anything starts. tests/node/bench_scripts.test.mjs runs this
# script with 1-second runs.
# Needs: redis-server, redis-benchmark, redis-cli, python3, curl, chrt, taskset;
# perf (linux-perf) optional, to name the tasks in the stall probe. No internet.
# Everything started here is stopped by pid on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IDGEN=${IDGEN:-$ROOT/build/bin/idgen}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
REDIS_CLIENTS=${REDIS_CLIENTS:-50}
STREAM_CONCURRENCY=${STREAM_CONCURRENCY:-64}
STREAM_PIPELINE=${STREAM_PIPELINE:-1}
PACED_PIPELINE=${PACED_PIPELINE:-1}
UNARY_CONCURRENCY=${UNARY_CONCURRENCY:-64}
BATCH_CONCURRENCY=${BATCH_CONCURRENCY:-4}
BENCH_THREADS=${BENCH_THREADS:-1}
CONNECTIONS=${CONNECTIONS:-1}
SOAK=${SOAK:-0}
STALL_PROBE=${STALL_PROBE:-5}
STALLS=$(dirname "$IDGEN")/machine_stalls
SERVER_CPU=()
CLIENT_CPU=()
if [[ -z ${PIN:-} ]]; then
  if [[ $(nproc) -ge 2 ]]; then PIN=1; else PIN=0; fi
fi
if [[ $PIN != 0 ]]; then
  [[ $(nproc) -ge 2 ]] || { echo "PIN needs 2 CPUs" >&2; exit 2; }
  SERVER_CPU=(taskset -c 1)
  CLIENT_CPU=(taskset -c 0)
fi
EXTRA_RATES=${EXTRA_RATES:-}
UDS=${UDS:-1}

# Every setting is checked before anything starts: exit 2 naming the bad one.
bad_setting() { echo "grpc_vs_redis: $1 must be $2, not \"${!1}\"" >&2; exit 2; }
check_whole() {  # NAME MIN: a whole number >= MIN
  [[ ${!1} =~ ^[0-9]+$ ]] && ((10#${!1} >= $2)) || bad_setting "$1" "a whole number >= $2"
}
check_seconds() {  # NAME MIN: a decimal number of seconds >= MIN
  if [[ ! ${!1} =~ ^[0-9]+([.][0-9]+)?$ ]] || ! awk -v v="${!1}" -v m="$2" 'BEGIN { exit !(v + 0 >= m) }'; then
    bad_setting "$1" "a number of seconds >= $2"
  fi
}
check_seconds DURATION 1
check_seconds WARMUP 0
for v in REDIS_CLIENTS STREAM_CONCURRENCY STREAM_PIPELINE UNARY_CONCURRENCY BATCH_CONCURRENCY \
  CONNECTIONS PACED_PIPELINE; do
  check_whole "$v" 1
done
for v in BENCH_THREADS SOAK STALL_PROBE; do check_whole "$v" 0; done
for r in $EXTRA_RATES; do
  [[ $r =~ ^[0-9]+$ ]] && ((10#$r >= 1)) ||
    { echo "grpc_vs_redis: EXTRA_RATES must be whole request rates >= 1, not \"$r\"" >&2; exit 2; }
done
[[ $UDS == 0 || $UDS == 1 ]] || bad_setting UDS "0 or 1"
[[ -z ${PIN:-} || $PIN == 0 || $PIN == 1 ]] || bad_setting PIN "0 or 1"
[[ -z ${RT:-} || $RT == 0 || $RT == 1 ]] || bad_setting RT "0 or 1"
RT_PRIO=10
if [[ -z ${RT:-} ]]; then
  if chrt -f "$RT_PRIO" true 2>/dev/null; then RT=1; else RT=0; fi
elif [[ $RT != 0 ]] && ! chrt -f "$RT_PRIO" true 2>/dev/null; then
  echo "RT=1 needs chrt -f (root or CAP_SYS_NICE); RT=0 skips the SCHED_FIFO run" >&2
  exit 2
fi

for tool in redis-server redis-benchmark redis-cli python3 curl; do
  command -v "$tool" >/dev/null || { echo "grpc_vs_redis: $tool not found" >&2; exit 2; }
done
[[ -x $IDGEN ]] || { echo "grpc_vs_redis: $IDGEN not built (ninja -C build idgen)" >&2; exit 2; }

TMP=$(mktemp -d -t idgen-vs-redis.XXXXXX)
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
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# json FILE KEY: one field of a one-object JSON file.
json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

log() { echo "[$(date +%T)] $*" >&2; }

# ---------------------------------------------------------------- machine
if [[ $STALL_PROBE != 0 && -x $STALLS ]]; then
  # With perf, who_stalls.sh also names the tasks that ran in the gaps.
  if command -v perf >/dev/null &&
    STALLS=$STALLS SECONDS_RUN=$STALL_PROBE "$ROOT/bench/who_stalls.sh" >"$TMP/stalls.txt" 2>/dev/null; then
    log "who_stalls.sh (machine_stalls under perf) for $STALL_PROBE s"
  else
    log "machine_stalls --seconds $STALL_PROBE"
    "$STALLS" --seconds "$STALL_PROBE" >"$TMP/stalls.txt"
  fi
fi

# The hypervisor's "steal" time (ms, all CPUs) from /proc/stat: time a vCPU
# wanted to run and the host ran something else. Sampled around every run.
steal_ms() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / {printf "%.0f\n", $9 * 1000 / hz}' /proc/stat; }

# ---------------------------------------------------------------- Redis
REDIS_PORT=$(free_port)
mkdir -p "$TMP/redis"
REDIS_SOCK=$TMP/redis/redis.sock
"${SERVER_CPU[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --unixsocket "$REDIS_SOCK" --unixsocketperm 700 \
  --daemonize no --dir "$TMP/redis" --logfile "$TMP/redis/redis.log" &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
for _ in $(seq 100); do
  [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && break
  sleep 0.1
done
[[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] || { echo "redis did not start" >&2; exit 1; }

# redis-benchmark has no duration flag: a short calibration run sizes -n.
redis_bench() {  # N CONNECT-FLAGS... -> CSV line "INCR",rps,avg,min,p50,p95,p99,max
  local n=$1
  shift
  "${CLIENT_CPU[@]}" redis-benchmark "$@" -t incr -n "$n" -c "$REDIS_CLIENTS" -P 1 --csv | grep '^"INCR"'
}
# redis_run NAME CONNECT-FLAGS...: sized by calibration on the first call of
# NAME, then -n reused; sets NAME_RPS, NAME_P50, NAME_P99 (ms) and NAME_N.
redis_run() {
  local name=$1 n_var="${1}_N" line
  shift
  if [[ -z ${!n_var:-} ]]; then
    log "redis: calibrating ($*)"
    line=$(redis_bench 100000 "$@")
    printf -v "$n_var" '%s' "$(python3 -c "print(max(100000, int(float('$(echo "$line" | cut -d, -f2 | tr -d '"')') * $DURATION)))")"
  fi
  log "redis: redis-benchmark $* -t incr -n ${!n_var} -c $REDIS_CLIENTS -P 1"
  line=$(redis_bench "${!n_var}" "$@")
  printf -v "${name}_RPS" '%s' "$(echo "$line" | cut -d, -f2 | tr -d '"')"
  printf -v "${name}_P50" '%s' "$(echo "$line" | cut -d, -f5 | tr -d '"')"
  printf -v "${name}_P99" '%s' "$(echo "$line" | cut -d, -f7 | tr -d '"')"
}
redis_run REDIS -p "$REDIS_PORT"
REDIS_RSS_KB=$(awk '/^VmRSS/ {print $2}' "/proc/$REDIS_PID/status")
if [[ $UDS == 1 ]]; then redis_run UREDIS -s "$REDIS_SOCK"; fi
# Redis stays up (idle) and is measured again after the idgen runs: on a
# shared machine the two figures show how much the background moved.

# ---------------------------------------------------------------- idgen node
# start_node NAME LISTEN: a node with its own state dir and admin port, up
# and healthy; sets NODE_PID and ADMIN_PORT.
start_node() {
  local name=$1 listen=$2
  ADMIN_PORT=$(free_port)
  "${SERVER_CPU[@]}" "$IDGEN" serve --listen "$listen" --admin-listen "127.0.0.1:$ADMIN_PORT" \
    --state-dir "$TMP/$name.state" >"$TMP/$name.log" 2>&1 &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$ADMIN_PORT/health" >/dev/null 2>&1 && return 0
    kill -0 "$NODE_PID" 2>/dev/null || { cat "$TMP/$name.log" >&2; echo "node exited" >&2; exit 1; }
    sleep 0.1
  done
  cat "$TMP/$name.log" >&2
  echo "node not healthy after 10 s" >&2
  exit 1
}
TARGET=127.0.0.1:$(free_port)
start_node tcp "$TARGET"

# The default namespace's sequence ceiling (IDs/s), from /info; twitter's
# 4,096,000 if the layout cannot be read.
CEILING=$(curl -sf "http://127.0.0.1:$ADMIN_PORT/info" | python3 -c '
import json, sys
try:
    info = json.load(sys.stdin)
    ns = info["namespaces"][0]
    for n in info["namespaces"]:
        if n.get("name") == "default":
            ns = n
    lay = ns["layout"]
    bits = lay.get("sequence_bits", lay.get("sequenceBits"))
    unit = lay.get("unit_ms", lay.get("unitMs", 1))
    print(int((1 << int(bits)) * 1000 / int(unit)))
except Exception:
    print(4096000)
' 2>/dev/null || echo 4096000)

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$NODE_PID/status" 2>/dev/null || echo 0; }
RSS_START_KB=$(rss_kb)
( while kill -0 "$NODE_PID" 2>/dev/null; do
    echo "$(date +%s.%N) $(rss_kb)"
    sleep 0.5
  done ) >"$TMP/rss.txt" &
PIDS+=("$!")

FAILED=0
CLIENT_SCHED=()
bench() {  # NAME FLAGS... -> $TMP/NAME.json
  local name=$1
  shift
  log "${CLIENT_SCHED[*]} idgen bench $*"
  local steal0
  steal0=$(steal_ms)
  if ! "${CLIENT_SCHED[@]}" "${CLIENT_CPU[@]}" "$IDGEN" bench --target "$TARGET" --duration "$DURATION" --warmup "$WARMUP" \
    --threads "$BENCH_THREADS" --connections "$CONNECTIONS" --json "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"; then
    FAILED=1
    cat "$TMP/$name.err" >&2
  fi
  echo $(($(steal_ms) - steal0)) >"$TMP/$name.steal"
  log "  $(cat "$TMP/$name.json")"
}

bench stream --mode stream --count 1 --concurrency "$STREAM_CONCURRENCY" --pipeline "$STREAM_PIPELINE"
bench unary --mode unary --count 1 --concurrency "$UNARY_CONCURRENCY"
bench batch --mode batch --count 1000 --concurrency "$BATCH_CONCURRENCY"
HALF_RATE=$(python3 -c "print(max(1, int(float('$(json "$TMP/stream.json" rps 2>/dev/null || echo 2)') / 2)))")
bench half --mode stream --count 1 --concurrency "$STREAM_CONCURRENCY" --pipeline "$PACED_PIPELINE" \
  --rate "$HALF_RATE"
if [[ $RT != 0 ]]; then
  # The running node's gRPC threads (idgen-cq-N), as `idgen serve
  # --realtime-priority` would start them, then back; the load generator
  # starts under the same policy. Same node, same rate, same flags as "half".
  CQ_TIDS=$(grep -l '^idgen-cq-' /proc/"$NODE_PID"/task/*/comm | cut -d/ -f5)
  [[ -n $CQ_TIDS ]] || { echo "no idgen-cq-N thread in node $NODE_PID" >&2; exit 1; }
  for tid in $CQ_TIDS; do chrt -f -p "$RT_PRIO" "$tid" >/dev/null; done
  CLIENT_SCHED=(chrt -f "$RT_PRIO")
  bench half_rt --mode stream --count 1 --concurrency "$STREAM_CONCURRENCY" --pipeline "$PACED_PIPELINE" \
    --rate "$HALF_RATE"
  CLIENT_SCHED=()
  for tid in $CQ_TIDS; do chrt -o -p 0 "$tid" >/dev/null; done
fi
for r in $EXTRA_RATES; do
  bench "rate$r" --mode stream --count 1 --concurrency "$STREAM_CONCURRENCY" \
    --pipeline "$PACED_PIPELINE" --rate "$r"
done
RSS_AFTER_KB=$(rss_kb)
if [[ $SOAK -gt 0 ]]; then
  SOAK_START_KB=$(rss_kb)
  SOAK_T0=$(date +%s)
  DURATION=$SOAK bench soak --mode stream --count 1 --concurrency "$STREAM_CONCURRENCY" \
    --pipeline "$STREAM_PIPELINE"
  SOAK_END_KB=$(rss_kb)
  SOAK_T1=$(date +%s)
fi
RSS_MAX_KB=$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {print m}' "$TMP/rss.txt")
UHALF_RATE=0
if [[ $UDS == 1 ]]; then
  # The TCP node is done (its RSS figures above are final): stop it, so the
  # socket node has the CPU to itself as the TCP node had.
  kill -TERM "$NODE_PID" && wait "$NODE_PID" 2>/dev/null || true
  TARGET=unix:$TMP/idgen.sock
  start_node uds "$TARGET"
  bench ustream --mode stream --count 1 --concurrency "$STREAM_CONCURRENCY" --pipeline "$STREAM_PIPELINE"
  UHALF_RATE=$(python3 -c "print(max(1, int(float('$(json "$TMP/ustream.json" rps 2>/dev/null || echo 2)') / 2)))")
  bench uhalf --mode stream --count 1 --concurrency "$STREAM_CONCURRENCY" --pipeline "$PACED_PIPELINE" \
    --rate "$UHALF_RATE"
fi
REDIS2_N=$REDIS_N
redis_run REDIS2 -p "$REDIS_PORT"
if [[ $UDS == 1 ]]; then
  UREDIS2_N=$UREDIS_N
  redis_run UREDIS2 -s "$REDIS_SOCK"
fi
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
export PIN RT WARMUP TMP REDIS_RPS REDIS_P50 REDIS_P99 REDIS2_RPS REDIS2_P50 REDIS2_P99 LOADAVG REDIS_N REDIS_CLIENTS REDIS_RSS_KB CEILING HALF_RATE
export UDS UHALF_RATE UREDIS_RPS="${UREDIS_RPS:-0}" UREDIS_P50="${UREDIS_P50:-0}" UREDIS_P99="${UREDIS_P99:-0}"
export UREDIS2_RPS="${UREDIS2_RPS:-0}" UREDIS2_P50="${UREDIS2_P50:-0}" UREDIS2_P99="${UREDIS2_P99:-0}"
export RSS_START_KB RSS_AFTER_KB RSS_MAX_KB SOAK SOAK_START_KB="${SOAK_START_KB:-0}"
export SOAK_END_KB="${SOAK_END_KB:-0}" DURATION EXTRA_RATES SOAK_T0="${SOAK_T0:-0}" SOAK_T1="${SOAK_T1:-0}"
export RSS_FILE="$TMP/rss.txt"
python3 - <<'EOF'
import json, os
e = os.environ
tmp = e["TMP"]
def load(name):
    try:
        return json.load(open(f"{tmp}/{name}.json"))
    except Exception:
        return None
# The better of the two Redis runs is the bar: the harder target.
redis_rps = max(float(e["REDIS_RPS"]), float(e["REDIS2_RPS"]))
uds = e["UDS"] == "1"
uredis_rps = max(float(e["UREDIS_RPS"]), float(e["UREDIS2_RPS"]))
rows = []
for pfx, how, bar in (("", "", redis_rps), ("U", " on a socket", uredis_rps)):
    if pfx and not uds:
        continue
    for tag, sfx in (("before", ""), ("after", "2")):
        v = lambda k: float(e[f"{pfx}REDIS{sfx}_{k}"])
        rows.append((f"redis INCR{how} (-c {e['REDIS_CLIENTS']}, -P 1), {tag}", v("RPS"), v("RPS"),
                     v("P50") * 1000, v("P99") * 1000, None, 0, None, None, bar))
labels = {
    "stream": "idgen StreamIds, 1 ID/request",
    "unary": "idgen NextId (unary)",
    "batch": "idgen NextIds, 1000 IDs/request",
    "half": f"idgen StreamIds at --rate {e['HALF_RATE']}",
    "half_rt": "  the same, both sides SCHED_FIFO",
    "soak": f"idgen StreamIds soak {e['SOAK']} s",
    "ustream": "idgen StreamIds on a Unix socket",
    "uhalf": f"  the same at --rate {e['UHALF_RATE']}",
}
socket_runs = {"ustream", "uhalf"}  # divided by Redis on a socket ("unary" is TCP)
for r in e["EXTRA_RATES"].split():
    labels[f"rate{r}"] = f"idgen StreamIds at --rate {r}"
res = {}
for name, label in labels.items():
    r = load(name)
    if r is None:
        continue
    res[name] = r
    conc = f"C={r['concurrency']}" + (f"x{r['pipeline']}" if r.get("pipeline", 1) > 1 else "")
    try:
        r["steal_ms_per_s"] = int(open(f"{tmp}/{name}.steal").read()) / (r["duration_s"] + float(e["WARMUP"]))
    except Exception:
        r["steal_ms_per_s"] = None
    rows.append((f"{label} ({conc})", r["rps"], r["ids_per_s"], r["p50_us"], r["p99_us"],
                 r["p999_us"], r.get("error_total", 0), r.get("service_p99_us"), r["steal_ms_per_s"],
                 uredis_rps if name in socket_runs else redis_rps))
print()
print(f"{'':44} {'requests/s':>11} {'IDs/s':>11} {'p50 us':>8} {'p99 us':>8} {'p999 us':>8}"
      f" {'req ratio':>9} {'errors':>7}  {'p99 from send':>13} {'steal ms/s':>10}")
nan = float("nan")
opt = lambda v: v if v is not None else nan
for name, rps, ids, p50, p99, p999, errors, svc99, steal, bar in rows:
    print(f"{name:44} {rps:11.0f} {ids:11.0f} {p50:8.1f} {p99:8.1f} "
          f"{opt(p999):8.1f} {rps / bar:9.2f} {errors:7d}  "
          f"{opt(svc99):13.1f} {opt(steal):10.1f}")
print("(p99 counts from the intended send time in paced runs, wrk2-style; 'from send' does not.")
if uds:
    print(" Unix-socket rows are divided by Redis on a socket, the others by Redis on TCP.")
print(" steal: ms per second, all CPUs, in which the host ran something else instead of this VM)")
print()
for name, r in res.items():
    print(f"{name:7} checked {r['ids_checked']} IDs: {r['duplicates']} duplicates, "
          f"{r['order_violations']} order violations")
kb = lambda k: int(e[k]) / 1024
print(f"node RSS MiB: start {kb('RSS_START_KB'):.1f}, max {kb('RSS_MAX_KB'):.1f}, "
      f"after runs {kb('RSS_AFTER_KB'):.1f}   (redis after its run: {kb('REDIS_RSS_KB'):.1f})")
if int(e["SOAK"]) > 0:
    print(f"soak RSS MiB: {kb('SOAK_START_KB'):.1f} -> {kb('SOAK_END_KB'):.1f}")
    # One sample per minute of the soak, to show whether it grows.
    t0, t1 = float(e["SOAK_T0"]), float(e["SOAK_T1"])
    samples, next_t = [], t0
    for line in open(e["RSS_FILE"]):
        t, v = line.split()
        if t0 <= float(t) <= t1 and float(t) >= next_t:
            samples.append(f"{int(v) / 1024:.1f}")
            next_t += 60
    print("soak RSS MiB, one sample a minute: " + " ".join(samples))
print(f"load average at the end: {e['LOADAVG']}; ratios use the better Redis run, {redis_rps:.0f}/s"
      + (f" (on a socket {uredis_rps:.0f}/s)" if uds else ""))
print("servers pinned to CPU 1, load generators to CPU 0" if e["PIN"] != "0" else "nothing pinned (PIN=0)")
print(f"SCHED_FIFO (priority 10) for the node's gRPC threads and the load generator in the half_rt run only" if e["RT"] != "0"
      else "no SCHED_FIFO run (RT=0)")
if os.path.exists(f"{tmp}/stalls.txt"):
    print("machine stalls before the runs (a spinning pinned thread per CPU, and who ran in the gaps):")
    for line in open(f"{tmp}/stalls.txt"):
        print("  " + line.rstrip())
print()
ceiling = int(e["CEILING"])
verdict = lambda ok: "MET" if ok else "MISSED"
if "stream" in res:
    s = res["stream"]
    print(f"target stream 1-ID rps > redis INCR: {s['rps']:.0f} vs {redis_rps:.0f} "
          f"({s['rps'] / redis_rps:.2f}x) {verdict(s['rps'] > redis_rps)}")
for name, how in (("half", "normal priority"), ("half_rt", "SCHED_FIFO")):
    if name in res:
        h = res[name]
        print(f"target p99 < 1 ms at half load ({h['rps']:.0f} req/s, pipeline {h.get('pipeline', 1)}, "
              f"{how}): p99 {h['p99_us']:.0f} us, p999 {h['p999_us']:.0f} us "
              f"(from send {h['service_p99_us']:.0f} us) {verdict(h['p99_us'] < 1000)}")
if "batch" in res:
    b = res["batch"]
    print(f"target batch-1000 >= 95% of {ceiling} IDs/s: {b['ids_per_s']:.0f} "
          f"({100 * b['ids_per_s'] / ceiling:.1f}%) {verdict(b['ids_per_s'] >= 0.95 * ceiling)}")
if "unary" in res:
    print(f"unary NextId / redis INCR: {res['unary']['rps'] / redis_rps:.2f}")
if "ustream" in res:
    u = res["ustream"]
    print(f"on Unix sockets: stream 1-ID rps {u['rps']:.0f} vs redis INCR {uredis_rps:.0f} "
          f"({u['rps'] / uredis_rps:.2f}x)" + (f"; {u['rps'] / res['stream']['rps']:.2f}x the TCP stream rate"
                                                if "stream" in res else ""))
if "uhalf" in res:
    h = res["uhalf"]
    print(f"on Unix sockets: p99 at half load ({h['rps']:.0f} req/s): {h['p99_us']:.0f} us, "
          f"p999 {h['p999_us']:.0f} us (from send {h['service_p99_us']:.0f} us), "
          f"{'under' if h['p99_us'] < 1000 else 'over'} 1 ms")
summary = {"redis": {"rps": float(e["REDIS_RPS"]), "p50_us": float(e["REDIS_P50"]) * 1000,
                     "p99_us": float(e["REDIS_P99"]) * 1000, "n": int(e["REDIS_N"]),
                     "rps_after": float(e["REDIS2_RPS"]), "p99_us_after": float(e["REDIS2_P99"]) * 1000},
           "redis_unix": {"rps": float(e["UREDIS_RPS"]), "p99_us": float(e["UREDIS_P99"]) * 1000,
                          "rps_after": float(e["UREDIS2_RPS"]),
                          "p99_us_after": float(e["UREDIS2_P99"]) * 1000} if uds else None,
           "loadavg": e["LOADAVG"],
           "idgen": res, "ceiling_ids_per_s": ceiling,
           "rss_kb": {"start": int(e["RSS_START_KB"]), "max": int(e["RSS_MAX_KB"]),
                      "after": int(e["RSS_AFTER_KB"])}}
json.dump(summary, open(f"{tmp}/summary.json", "w"), indent=1)
EOF
if [[ -n ${KEEP:-} ]]; then echo "JSON in $TMP/summary.json" >&2; fi
exit "$FAILED"
