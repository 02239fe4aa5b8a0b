#!/usr/bin/env node
// Copyright idgen authors.
//
// The generator in process: runs core_bench (Google Benchmark,
// bench/core_bench.cc) with JSON output and prints one table of our
// generator beside the naive mutex snowflake measured in the same run, the
// share of the twitter layout's ceiling (4,096,000 IDs/s), ns per ID where the
// layout is not the limit, and the targets.
//
//   node bench/core_bench.mjs                      # 3 repetitions of 1 s, medians
//   node bench/core_bench.mjs --benchmark_min_time=2 --benchmark_repetitions=3 \
//        --benchmark_report_aggregates_only=true
//
// Flags [defaults]: --bin PATH [core_bench beside IDGEN_BIN] --build (build
//   core_bench first with scripts/build.sh) --json FILE; every
//   --benchmark_* argument goes to core_bench as it is. Close other heavy
//   programs first: on a 2-core machine a parallel build halves the figures.
// Exit 2 on bad flags, 1 when the build or core_bench fails.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { IDGEN_BIN, runProcess, tempDir } from '../tests/node/lib/harness.mjs';
import { machine, RATIO_COLUMN, renderMachine, renderTable, verdict, withRatios, writeReport } from './lib/report.mjs';
import { log as logAs, parseFlags, usageExit } from './lib/run.mjs';

const NAME = 'core_bench';
const USAGE = 'core_bench.mjs [--bin PATH] [--build] [--json FILE] [--benchmark_*=...]';
const log = (msg) => logAs(NAME, msg);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const argv = process.argv.slice(2);
const passThrough = argv.filter((a) => a.startsWith('--benchmark_'));
const flags = parseFlags(NAME, USAGE, {
  bin: { kind: 'string', def: path.join(path.dirname(IDGEN_BIN), 'core_bench') },
  build: { kind: 'bool', def: false },
  json: { kind: 'string' },
}, argv.filter((a) => !a.startsWith('--benchmark_')));
const benchArgs = passThrough.length
  ? passThrough
  : ['--benchmark_min_time=1', '--benchmark_repetitions=3', '--benchmark_report_aggregates_only=true'];
if (passThrough.some((a) => a.startsWith('--benchmark_out'))) {
  usageExit(NAME, USAGE, '--benchmark_out is set by this program (use --json for the report)');
}

// The median of repeated runs, or the single run, of benchmark `name`.
function pick(runs, name) {
  return runs.find((b) => b.run_name === name && b.aggregate_name === 'median') ??
    runs.find((b) => (b.run_name ?? b.name) === name && b.run_type !== 'aggregate');
}

async function main() {
  if (flags.build) {
    log('scripts/build.sh --target core_bench');
    const build = path.join(ROOT, 'scripts/build.sh');
    const r = await runProcess(build, ['--target', 'core_bench'], { timeoutMs: 3600_000 });
    if (r.code !== 0) throw new Error(`build failed:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  }
  if (!existsSync(flags.bin)) usageExit(NAME, USAGE, `--bin ${flags.bin}: not built (add --build)`);
  const out = path.join(tempDir(null, 'idgen-core-bench-'), 'core_bench.json');
  log(`${flags.bin} ${benchArgs.join(' ')}`);
  const r = await runProcess(flags.bin, [`--benchmark_out=${out}`, '--benchmark_out_format=json', ...benchArgs], {
    timeoutMs: 3600_000,
  });
  if (r.code !== 0) throw new Error(`core_bench: exit ${r.code}\n${r.stderr}`);
  const runs = JSON.parse(readFileSync(out, 'utf8')).benchmarks;

  const rows = [];
  const peers = {};
  for (const layout of ['twitter', 'wide']) {
    for (const threads of [1, 2]) {
      const ours = pick(runs, `BM_Next/${layout}/threads:${threads}/real_time`);
      const naive = pick(runs, `BM_NaiveMutexNext/${layout}/threads:${threads}/real_time`);
      if (!ours) continue;
      const key = `naive ${layout} ${threads}`;
      peers[key] = naive?.items_per_second;
      rows.push({
        name: `Next(), ${layout}, ${threads} thread${threads > 1 ? 's' : ''}`,
        ids_per_s: ours.items_per_second,
        ns_per_id: 1e9 / ours.items_per_second,
        pct_of_ceiling: layout === 'twitter' ? ours.pct_of_ceiling : null,
        cpu_share: (100 * ours.cpu_time) / ours.real_time,
        naive_ids_per_s: naive?.items_per_second ?? null,
        naive_cpu_share: naive ? (100 * naive.cpu_time) / naive.real_time : null,
        peer: key,
      });
    }
  }
  for (const layout of ['twitter', 'wide']) {
    const b = pick(runs, `BM_NextBatch/${layout}/n:1000/real_time`);
    if (!b) continue;
    rows.push({
      name: `NextBatch(1000), ${layout}`,
      ids_per_s: b.items_per_second,
      ns_per_id: 1e9 / b.items_per_second,
      pct_of_ceiling: layout === 'twitter' ? b.pct_of_ceiling : null,
      cpu_share: (100 * b.cpu_time) / b.real_time,
    });
  }
  const table = withRatios(rows, peers, { field: 'ids_per_s' });
  const m = machine();
  console.log(renderMachine(m, [
    ['Peer', 'naive mutex snowflake (BM_NaiveMutexNext), same binary, same run'],
    ['Runs', `core_bench ${benchArgs.join(' ')}`],
  ]));
  console.log();
  console.log(renderTable([
    { key: 'name', title: '' },
    { key: 'ids_per_s', title: 'IDs/s' },
    { key: 'pct_of_ceiling', title: '% of ceiling', digits: 1 },
    { key: 'ns_per_id', title: 'ns/ID', digits: 1 },
    { key: 'cpu_share', title: 'CPU %' },
    { key: 'naive_ids_per_s', title: 'naive IDs/s' },
    { key: 'naive_cpu_share', title: 'naive CPU %' },
    { ...RATIO_COLUMN, title: 'vs naive' },
  ], table));
  const clock = pick(runs, 'BM_ClockRead');
  if (clock) console.log(`clock read (the floor under every Next): ${(1e9 / clock.items_per_second).toFixed(1)} ns`);
  console.log('(% of ceiling: share of the twitter layout\'s 4,096,000 IDs/s; CPU %: of one core, over the wall time)');
  console.log();

  const targets = [];
  const twitter = table.filter((row) => row.pct_of_ceiling !== null && row.name.startsWith('Next()'));
  if (twitter.length) {
    const worst = Math.min(...twitter.map((row) => row.pct_of_ceiling));
    targets.push({
      line: `target >= 95% of the ceiling (twitter, Next()): worst ${worst.toFixed(1)}%`,
      met: worst >= 95,
    });
  }
  const wide1 = table.find((row) => row.name === 'Next(), wide, 1 thread');
  if (wide1) {
    targets.push({
      line: `target < 20 ns per ID (wide, 1 thread): ${wide1.ns_per_id.toFixed(1)} ns`,
      met: wide1.ns_per_id < 20,
    });
  }
  for (const t of targets) console.log(`${t.line} ${verdict(t.met)}`);
  writeReport(flags.json, { benchmark: NAME, machine: m, args: benchArgs, peers, rows: table, targets, runs });
}

try {
  await main();
} catch (err) {
  console.error(`${NAME}: ${err.stack ?? err}`);
  process.exit(1);
}
