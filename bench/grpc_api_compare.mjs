#!/usr/bin/env node
// Copyright idgen authors.
//
// gRPC server APIs compared: the same IdGenerator hot paths served on the
// callback API (the project's IdService, as `idgen serve` runs it), on a
// completion-queue implementation (bench/grpc_api_server.cc, N queues each
// drained by one thread) and optionally on the sync API, loaded by
// `idgen bench` on the same machine over loopback. Each row's ratio is to the
// first API of --apis in the same (mode, concurrency) cell.
//
//   node bench/grpc_api_compare.mjs                                 # defaults
//   node bench/grpc_api_compare.mjs --duration 5 --rounds 1 --concurrency 16
//   node bench/grpc_api_compare.mjs --apis callback,cq1,cq2,sync
//
// For every (mode, concurrency) cell the APIs run back to back, --rounds
// times, the order reversed every other round (A B C, C B A, ...), so that
// drift on a shared machine favours neither side. Every run gets a fresh
// server on a port the kernel picks (--port 0, read back from the server)
// and first waits (at most --load-wait s) for the 1-minute load average to
// drop below --max-load; the load at the start of each run is recorded.
// Both binaries are copied first: a rebuild elsewhere during the runs cannot
// change either side.
//
// Flags [defaults]: --apis [callback,cq1,cq2]: callback | cqN | sync
//   --modes [stream,unary] --concurrency [4,16,64] --count [1] --duration [10]
//   --warmup [1] --rounds [2] --bench-threads [1; 0 = one per CPU]
//   --max-load [1.0] --load-wait [180 s] --server-args [none, e.g.
//   --no-deadlock-detection] --idgen PATH [IDGEN_BIN or build/bin/idgen]
//   --server PATH [grpc_api_server beside idgen] --keep --json FILE
// Build first with `cmake --build build --target grpc_api_server idgen`.
// A bad flag exits 2 naming it, before anything starts; exit 1 when a run
// failed or any ID was wrong. Every server started here is stopped by pid.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { IDGEN_BIN, sleep, spawnProcess, stopProcess, tempDir, trackExit } from '../tests/node/lib/harness.mjs';
import { machine, RATIO_COLUMN, renderMachine, renderTable, withRatios, writeReport } from './lib/report.mjs';
import { cpuSeconds, idgenBench, load1, log as logAs, parseFlags, usageExit } from './lib/run.mjs';

const NAME = 'grpc_api_compare';
const USAGE =
  'grpc_api_compare.mjs [--apis callback,cqN,sync] [--modes stream,unary,batch] [--concurrency N,N] ' +
  '[--count N] [--duration S] [--warmup S] [--rounds N] [--bench-threads N] [--max-load L] ' +
  '[--load-wait S] [--server-args "ARGS"] [--idgen PATH] [--server PATH] [--keep] [--json FILE]';
const log = (msg) => logAs(NAME, msg);

const flags = parseFlags(NAME, USAGE, {
  apis: {
    kind: 'words',
    values: ['callback', 'sync', /^cq[1-9]\d?$/],
    what: 'callback, sync or cqN (N = 1..99)',
    def: ['callback', 'cq1', 'cq2'],
  },
  modes: { kind: 'words', values: ['stream', 'unary', 'batch'], def: ['stream', 'unary'] },
  concurrency: { kind: 'ints', min: 1, max: 10000, def: [4, 16, 64] },
  count: { kind: 'int', min: 1, max: 100000, def: 1 },
  duration: { kind: 'seconds', min: 1, max: 3600, def: 10 },
  warmup: { kind: 'seconds', min: 0, max: 600, def: 1 },
  rounds: { kind: 'int', min: 1, max: 100, def: 2 },
  'bench-threads': { kind: 'int', min: 0, max: 256, def: 1 },
  'max-load': { kind: 'number', min: 0, def: 1.0 },
  'load-wait': { kind: 'int', min: 0, max: 3600, def: 180 },
  'server-args': { kind: 'string', def: '' },
  idgen: { kind: 'string', def: IDGEN_BIN },
  server: { kind: 'string' },
  keep: { kind: 'bool', def: false },
  json: { kind: 'string' },
}, process.argv.slice(2));
const serverBin = flags.server ?? path.join(path.dirname(flags.idgen), 'grpc_api_server');
if (!existsSync(flags.idgen)) usageExit(NAME, USAGE, `--idgen ${flags.idgen}: not built`);
if (!existsSync(serverBin)) {
  usageExit(NAME, USAGE, `--server ${serverBin}: not built (cmake --build build --target grpc_api_server)`);
}
if (flags.modes.includes('unary') && flags.count !== 1) usageExit(NAME, USAGE, '--count must be 1 with --modes unary');

// Removed at the end, or on exit (^C) by the harness, unless --keep.
const tmp = flags.keep
  ? mkdtempSync(path.join(os.tmpdir(), 'idgen-api-compare-'))
  : tempDir(null, 'idgen-api-compare-');
const idgen = path.join(tmp, 'idgen');
const server = path.join(tmp, 'grpc_api_server');
copyFileSync(flags.idgen, idgen);
copyFileSync(serverBin, server);
let current = null; // the server running now
let failed = false;

// Waits (bounded by --load-wait) for the 1-minute load to drop below
// --max-load; returns the load it starts at.
async function waitQuiet() {
  for (let waited = 0; load1() >= flags['max-load']; waited += 5) {
    if (waited >= flags['load-wait']) {
      log(`load ${load1()} still >= ${flags['max-load']} after ${flags['load-wait']} s; measuring anyway (recorded)`);
      break;
    }
    await sleep(5000);
  }
  return load1();
}

async function startServer(api) {
  const args = api.startsWith('cq') ? ['--api', 'cq', '--cqs', api.slice(2)] : ['--api', api];
  const extra = flags['server-args'].split(/\s+/).filter(Boolean);
  const proc = trackExit(spawnProcess(server, [...args, '--port', '0', ...extra]));
  current = proc;
  for (let i = 0; i < 100 && !proc.exit; i++) {
    const port = proc.out.stdout.match(/^listening on (\d+)/m)?.[1];
    if (port) return { proc, port: Number(port) };
    await sleep(100);
  }
  await stopProcess(proc);
  throw new Error(`grpc_api_server (${api}) did not start:\n${proc.out.stderr}`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main() {
  const runs = [];
  for (const mode of flags.modes) {
    for (const conc of flags.concurrency) {
      for (let round = 1; round <= flags.rounds; round++) {
        const order = round % 2 === 0 ? [...flags.apis].reverse() : flags.apis;
        for (const api of order) {
          const load = await waitQuiet();
          const { proc, port } = await startServer(api);
          log(`${mode} c=${conc} round ${round} ${api} (port ${port}, load ${load})`);
          const t0 = Date.now();
          const c0 = cpuSeconds(proc.pid);
          const r = await idgenBench(`127.0.0.1:${port}`, {
            mode,
            count: flags.count,
            concurrency: conc,
            duration: flags.duration,
            warmup: flags.warmup,
            threads: flags['bench-threads'],
          }, { bin: idgen });
          const wall = (Date.now() - t0) / 1000;
          // Server CPU over the whole bench command (warmup included), in cores.
          const cores = wall > 0 ? (cpuSeconds(proc.pid) - c0) / wall : 0;
          await stopProcess(proc);
          current = null;
          const run = {
            mode, concurrency: conc, api, round, load, rps: r.rps, p50_us: r.p50_us, p99_us: r.p99_us,
            errors: r.error_total, duplicates: r.duplicates, order_violations: r.order_violations, server_cores: cores,
          };
          runs.push(run);
          log(`  ${JSON.stringify(run)}`);
        }
      }
    }
  }

  // One row per (mode, concurrency, API); its peer is the first API's mean
  // in the same cell.
  const cell = (mode, conc) => `${mode} C=${conc}`;
  const peers = {};
  const rows = [];
  for (const mode of flags.modes) {
    for (const conc of flags.concurrency) {
      for (const api of flags.apis) {
        const rs = runs.filter((r) => r.mode === mode && r.concurrency === conc && r.api === api);
        if (rs.length === 0) continue;
        const rps = mean(rs.map((r) => r.rps));
        if (api === flags.apis[0]) peers[cell(mode, conc)] = rps;
        rows.push({
          name: `${mode} C=${conc} ${api}`,
          mode, concurrency: conc, api, rps,
          each: rs.map((r) => r.rps.toFixed(0)).join(', '),
          p50_us: median(rs.map((r) => r.p50_us)),
          p99_us: median(rs.map((r) => r.p99_us)),
          server_cores: mean(rs.map((r) => r.server_cores)),
          cpu_us_per_request: mean(rs.map((r) => (r.server_cores / r.rps) * 1e6)),
          loads: rs.map((r) => r.load.toFixed(2)).join(', '),
          peer: cell(mode, conc),
        });
      }
    }
  }
  const table = withRatios(rows, peers);
  const bad = runs.reduce((n, r) => n + r.errors + r.duplicates + r.order_violations, 0);
  const m = machine();
  console.log(renderMachine(m, [
    ['Peer', `${flags.apis[0]} API in each cell`],
    ['Runs', `${flags.rounds} x ${flags.duration} s per row, order reversed every other round; ` +
      `idgen bench --count ${flags.count} --threads ${flags['bench-threads']}`],
  ]));
  console.log();
  console.log(renderTable([
    { key: 'name', title: 'mode, concurrency, API' },
    { key: 'rps', title: 'requests/s (mean)' },
    { key: 'each', title: 'each run' },
    { ...RATIO_COLUMN, title: `vs ${flags.apis[0]}` },
    { key: 'p50_us', title: 'p50 us' },
    { key: 'p99_us', title: 'p99 us' },
    { key: 'server_cores', title: 'server CPU', digits: 2 },
    { key: 'cpu_us_per_request', title: 'CPU us/req', digits: 1 },
    { key: 'loads', title: 'load at start' },
  ], table));
  console.log('(p50/p99: medians over runs; server CPU in cores over the whole command, warmup included, so');
  console.log(' CPU us/req is approximate; load: the 1-minute load average at the start of each run)');
  console.log(`errors + duplicates + order violations over all runs: ${bad}`);
  if (bad > 0) failed = true;
  writeReport(flags.json, { benchmark: NAME, machine: m, flags, peers, rows: table, runs, bad });
}

try {
  await main();
} catch (err) {
  console.error(`${NAME}: ${err.stack ?? err}`);
  failed = true;
} finally {
  if (current) await stopProcess(current);
  if (flags.keep) console.error(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
