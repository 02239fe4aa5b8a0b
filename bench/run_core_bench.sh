#!/usr/bin/env bash
# Builds and runs core_bench (Google Benchmark), then prints a short summary:
# our generator beside the naive mutex snowflake, the share of the twitter
# layout's ceiling (4,096,000 IDs/s) reached, and ns per ID where the layout is
# not the limit.
#
#   bench/run_core_bench.sh                      3 repetitions of 1 s, medians
#   bench/run_core_bench.sh --benchmark_filter=Next --benchmark_min_time=2
#
# Arguments go to core_bench. The JSON results land in build/bench/core_bench.json.
# Close other heavy programs first: on a 2-core machine a parallel build halves
# the figures.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/bench/core_bench.json"
LOG="$ROOT/build/bench/build.log"
mkdir -p "$ROOT/build/bench"

echo "[bench] building core_bench (log: $LOG)"
if ! "$ROOT/scripts/build.sh" --target core_bench >"$LOG" 2>&1; then
  tail -40 "$LOG"
  echo "[bench] build failed" >&2
  exit 1
fi

args=("$@")
if [[ "${#args[@]}" -eq 0 ]]; then
  args=(--benchmark_min_time=1 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true)
fi
echo "[bench] $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "[bench] build/bin/core_bench ${args[*]}"
"$ROOT/build/bin/core_bench" --benchmark_out="$OUT" --benchmark_out_format=json "${args[@]}"

if ! command -v node >/dev/null 2>&1; then
  echo "[bench] node not found: no summary (results in $OUT)"
  exit 0
fi

# shellcheck disable=SC2016  # JavaScript, not shell
node -e '
const fs = require("fs");
const runs = JSON.parse(fs.readFileSync(process.argv[1], "utf8")).benchmarks;
// The median of repeated runs, or the single run.
function get(name) {
  const med = runs.find((b) => b.run_name === name && b.aggregate_name === "median");
  return med || runs.find((b) => (b.run_name || b.name) === name && b.run_type !== "aggregate");
}
const fmtRate = (r) => (r >= 1e6 ? (r / 1e6).toFixed(2) + "M/s" : (r / 1e3).toFixed(1) + "k/s");
const ns = (r) => (1e9 / r).toFixed(1) + " ns/ID";
function cell(name, wide) {
  const b = get(name);
  if (!b || b.error_occurred) return "-";
  const r = b.items_per_second;
  return wide ? `${fmtRate(r)} (${ns(r)})` : `${fmtRate(r)} (${b.pct_of_ceiling.toFixed(1)}%)`;
}
const pad = (s, n) => String(s).padEnd(n);
console.log("\nSummary (median; % = share of the twitter ceiling of 4,096,000 IDs/s)");
console.log(pad("Next()", 34) + pad("ours", 24) + "naive mutex");
for (const [layout, wide] of [["twitter", false], ["wide", true]]) {
  for (const t of [1, 2]) {
    const label = `${layout === "twitter" ? "twitter 41/10/12" : "wide 41/2/20"}, ${t} thread${t > 1 ? "s" : ""}`;
    console.log(pad(label, 34) + pad(cell(`BM_Next/${layout}/threads:${t}/real_time`, wide), 24) +
                cell(`BM_NaiveMutexNext/${layout}/threads:${t}/real_time`, wide));
  }
}
console.log(pad("NextBatch(1000), twitter", 34) + cell("BM_NextBatch/twitter/n:1000/real_time", false));
console.log(pad("NextBatch(1000), wide", 34) + cell("BM_NextBatch/wide/n:1000/real_time", true));
const busy = (name) => {
  const b = get(name);
  return b ? ((100 * b.cpu_time) / b.real_time).toFixed(0) + "% of a core" : "-";
};
console.log(pad("CPU used, twitter, 1 thread", 34) + pad(busy("BM_Next/twitter/threads:1/real_time"), 24) +
            busy("BM_NaiveMutexNext/twitter/threads:1/real_time"));
const clock = get("BM_ClockRead");
if (clock) console.log(pad("clock read (floor of every Next)", 34) + ns(clock.items_per_second));

const verdict = (ok) => (ok ? "met" : "NOT met");
const t1 = get("BM_Next/twitter/threads:1/real_time");
const t2 = get("BM_Next/twitter/threads:2/real_time");
const w1 = get("BM_Next/wide/threads:1/real_time");
if (t1 && t2) {
  const worst = Math.min(t1.pct_of_ceiling, t2.pct_of_ceiling);
  console.log(`target >= 95% of the ceiling (twitter, 1 and 2 threads): ${verdict(worst >= 95)} (worst ${worst.toFixed(1)}%)`);
}
if (w1) {
  const perId = 1e9 / w1.items_per_second;
  console.log(`target < 20 ns per ID (wide, 1 thread): ${verdict(perId < 20)} (${perId.toFixed(1)} ns)`);
}
' "$OUT"
