#!/usr/bin/env bash
# Who takes the CPU away? Runs build/bin/machine_stalls (one spinning thread
# pinned to each CPU) under `perf record -e sched:sched_switch` and lists, per
# CPU and per task, how often that task ran while a spinner was switched out
# for longer than $MIN_US, and for how long. Gaps no task accounts for
# (machine_stalls counts them, the trace shows nothing) are the hypervisor's.
#
#   bench/who_stalls.sh                 # 8 s, gaps over 300 us
#   SECONDS_RUN=20 MIN_US=500 bench/who_stalls.sh
#
# Needs perf (Debian: linux-perf) and permission to trace (root, or
# kernel.perf_event_paranoid <= -1). Loopback-free, bounded by SECONDS_RUN.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STALLS=${STALLS:-$ROOT/build/bin/machine_stalls}
SECONDS_RUN=${SECONDS_RUN:-8}
MIN_US=${MIN_US:-300}

[[ $SECONDS_RUN =~ ^[1-9][0-9]*$ && $SECONDS_RUN -le 600 ]] ||
  { echo "who_stalls: SECONDS_RUN must be 1..600, got '$SECONDS_RUN'" >&2; exit 2; }
[[ $MIN_US =~ ^[1-9][0-9]*$ ]] || { echo "who_stalls: MIN_US must be a positive integer, got '$MIN_US'" >&2; exit 2; }
command -v perf >/dev/null || { echo "who_stalls: perf not found (apt-get install linux-perf)" >&2; exit 2; }
[[ -x $STALLS ]] || { echo "who_stalls: $STALLS not built (ninja -C build machine_stalls)" >&2; exit 2; }

TMP=$(mktemp -d -t idgen-who-stalls.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

perf record -q -e sched:sched_switch -a -o "$TMP/perf.data" -- \
  "$STALLS" --seconds "$SECONDS_RUN" >"$TMP/stalls.txt" 2>"$TMP/perf.err" ||
  { cat "$TMP/perf.err" >&2; exit 1; }
cat "$TMP/stalls.txt"
perf script -i "$TMP/perf.data" -F cpu,time,trace 2>/dev/null >"$TMP/switches.txt"

# A spinner's gap on a CPU runs from the switch away from it to the switch back;
# every task switched in meanwhile is charged the part of the gap it ran.
python3 - "$TMP/switches.txt" "$MIN_US" "$SECONDS_RUN" <<'EOF'
import collections, re, sys
path, min_us, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
line_re = re.compile(r"\[(\d+)\]\s+([\d.]+):.*prev_comm=(.*?) prev_pid=.*next_comm=(.*?) next_pid=")
gap_start, running, since, shares = {}, {}, {}, {}
stats = collections.defaultdict(lambda: [0, 0.0, 0.0])  # (cpu, task) -> count, total us, max us
for line in open(path):
    m = line_re.search(line)
    if not m:
        continue
    cpu, t, prev, nxt = int(m[1]), float(m[2]), m[3], m[4]
    if cpu in running and cpu in gap_start:
        shares[cpu][running[cpu]] += (t - since[cpu]) * 1e6
    running[cpu], since[cpu] = nxt, t
    if prev == "machine_stalls" and nxt != "machine_stalls":
        gap_start[cpu], shares[cpu] = t, collections.defaultdict(float)
    elif nxt == "machine_stalls" and cpu in gap_start:
        gap = (t - gap_start.pop(cpu)) * 1e6
        if gap >= min_us:
            for task, us in shares[cpu].items():
                s = stats[(cpu, task)]
                s[0] += 1; s[1] += us; s[2] = max(s[2], us)
print(f"\ntasks that ran in spinner gaps over {min_us:.0f} us ({seconds:.0f} s traced):")
print(f"{'cpu':>3}  {'task':24} {'gaps/s':>7} {'total ms':>9} {'longest us':>11}")
for (cpu, task), (n, total, longest) in sorted(stats.items(), key=lambda kv: -kv[1][1]):
    print(f"{cpu:>3}  {task:24} {n / seconds:7.2f} {total / 1000:9.1f} {longest:11.0f}")
if not stats:
    print("  none: every gap over the threshold ran no other task (the hypervisor's, if any)")
EOF
