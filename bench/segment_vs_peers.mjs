#!/usr/bin/env node
// Copyright idgen authors.
//
// Dense IDs three ways, one machine, loopback only, in one go: PostgreSQL 15
// `nextval` through pgbench, Redis `INCR` through redis-benchmark, and an
// idgen node's `segment` namespace (its counter in that same PostgreSQL) over
// gRPC through `idgen bench`. One table: requests/s and IDs/s with ratios to
// the peers, and the store leases per second the node made against its
// requests per second (the share of requests that reach the database).
//
//   node bench/segment_vs_peers.mjs                 # 10 s per run
//   node bench/segment_vs_peers.mjs --duration 30 --json report.json
//
// Runs, in order:
//   1. pgbench -c CLIENTS -j 2 -T S -f 'SELECT nextval(...)' (a sequence
//      with CACHE 1, PostgreSQL's default), prepared statements
//   2. redis-benchmark -t incr -c CLIENTS -P 1 over TCP, sized by a short
//      calibration run to last about S
//   3. idgen bench --mode stream --count 1 (one ID per request, CLIENTS
//      streams) on a namespace "orders" (segment, store postgres, step 1000,
//      max_step 1000000)
//   4. idgen bench --mode batch --count 1000 (NextIds of 1000, CLIENTS callers)
// Leases are read from the node's /info before and after each idgen run.
//
// Flags [defaults]: --duration [10] --warmup [2] --clients [8] --pin on|off
//   [on with 2+ CPUs: servers (PostgreSQL, Redis, the node) on CPU 1, load
//   generators on CPU 0]
//   --idgen PATH [IDGEN_BIN or build/bin/idgen] --json FILE
// A bad flag exits 2 naming it, before anything starts; exit 1 when a run
// failed. Needs PostgreSQL 15 (initdb, postgres, pgbench), redis-server,
// redis-benchmark, redis-cli, taskset. Everything started here is stopped by
// pid.
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { IDGEN_BIN, runProcess, startNode, stopProcess, tempDir, writeJson } from '../tests/node/lib/harness.mjs';
import { PG_BIN, postgresAvailable, startPostgres } from '../tests/node/lib/postgres.mjs';
import { machine, RATIO_COLUMN, renderMachine, renderTable, withRatios, writeReport } from './lib/report.mjs';
import { idgenBench, log as logAs, parseFlags, requireTools, usageExit } from './lib/run.mjs';
import { RedisPeer } from './lib/redis.mjs';

const NAME = 'segment_vs_peers';
const USAGE = 'segment_vs_peers.mjs [--duration S] [--warmup S] [--clients N] [--pin on|off] [--idgen PATH] [--json FILE]';
const log = (msg) => logAs(NAME, msg);

const flags = parseFlags(NAME, USAGE, {
  duration: { kind: 'seconds', min: 1, max: 3600, def: 10 },
  warmup: { kind: 'seconds', min: 0, max: 600, def: 2 },
  clients: { kind: 'int', min: 1, max: 1000, def: 8 },
  pin: { kind: 'choice', values: ['on', 'off'] },
  idgen: { kind: 'string', def: IDGEN_BIN },
  json: { kind: 'string' },
}, process.argv.slice(2));

const cpus = os.cpus().length;
const pin = (flags.pin ?? (cpus >= 2 ? 'on' : 'off')) === 'on';
if (pin && cpus < 2) usageExit(NAME, USAGE, '--pin on needs 2 CPUs');
const bin = flags.idgen;
if (!existsSync(bin)) usageExit(NAME, USAGE, `--idgen ${bin}: not built (scripts/build.sh)`);
if (!postgresAvailable() || !existsSync(path.join(PG_BIN, 'pgbench'))) {
  usageExit(NAME, USAGE, `PostgreSQL 15 (initdb, postgres, pgbench) not found in ${PG_BIN}`);
}
requireTools(NAME, ['redis-server', 'redis-benchmark', 'redis-cli', ...(pin ? ['taskset'] : [])]);
const SERVER_CPU = pin ? ['taskset', '-c', '1'] : [];
const CLIENT_CPU = pin ? ['taskset', '-c', '0'] : [];
const tmp = tempDir(null, 'idgen-segment-bench-');
const started = [];

// pgbench's "tps = N (without initial connection time)" and average latency.
async function pgbenchNextval(pg) {
  await pg.sql('CREATE SEQUENCE IF NOT EXISTS bench_seq');
  const script = path.join(tmp, 'nextval.sql');
  writeFileSync(script, "SELECT nextval('bench_seq');\n");
  const args = ['-n', '-M', 'prepared', '-c', String(flags.clients), '-j', '2', '-T', String(Math.ceil(flags.duration)),
    '-f', script, '-h', '127.0.0.1', '-p', String(pg.port), '-U', 'idgen', 'postgres'];
  log(`pgbench ${args.join(' ')}`);
  const r = await runProcess(path.join(PG_BIN, 'pgbench'), args, {
    prefix: CLIENT_CPU,
    timeoutMs: (flags.duration + 60) * 1000,
  });
  const tps = r.stdout.match(/tps = ([\d.]+) \(without initial connection time\)/);
  const lat = r.stdout.match(/latency average = ([\d.]+) ms/);
  if (r.code !== 0 || !tps) throw new Error(`pgbench: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return { rps: Number(tps[1]), ids_per_s: Number(tps[1]), avg_ms: lat ? Number(lat[1]) : null };
}

async function segmentLeases(node) {
  const ns = (await node.info()).namespaces.find((n) => n.name === 'orders');
  return { leases: Number(ns.segment.leases), step: Number(ns.segment.step) };
}

async function idgenRun(node, what, benchFlags) {
  const before = await segmentLeases(node);
  log(`idgen bench ${what}`);
  const r = await idgenBench(node.address, {
    duration: flags.duration,
    warmup: flags.warmup,
    namespace: 'orders',
    concurrency: flags.clients,
    ...benchFlags,
  }, { prefix: CLIENT_CPU, bin });
  const after = await segmentLeases(node);
  const seconds = flags.duration + flags.warmup;
  const leasesPerS = (after.leases - before.leases) / seconds;
  return {
    rps: r.rps,
    ids_per_s: r.ids_per_s,
    avg_ms: r.mean_us !== undefined ? r.mean_us / 1000 : null,
    leases_per_s: leasesPerS,
    lease_share: r.rps > 0 ? leasesPerS / r.rps : null,
    step: after.step,
  };
}

async function main() {
  const m = machine();
  const pg = await startPostgres(null, { args: ['-c', 'max_connections=100'], prefix: SERVER_CPU });
  started.push({ stop: () => pg.stop() });
  const pgResult = await pgbenchNextval(pg);

  const redis = new RedisPeer({ who: NAME, dir: tmp, clients: flags.clients, seconds: flags.duration,
    serverPrefix: SERVER_CPU, clientPrefix: CLIENT_CPU });
  const redisProc = await redis.start();
  started.push({ stop: () => stopProcess(redisProc) });
  // Sized by a short calibration to last about --duration (a smaller
  // calibration than RedisPeer.run's, so short runs stay short).
  log('redis: calibrating');
  const cal = await redis.incr('tcp', 20000);
  const n = Math.max(20000, Math.floor(cal.rps * flags.duration));
  log(`redis: redis-benchmark -t incr -n ${n} -c ${flags.clients} -P 1`);
  const redisResult = await redis.incr('tcp', n);
  await stopProcess(redisProc);

  const config = writeJson(tmp, 'namespaces.json', {
    namespaces: [{ name: 'default' }, { name: 'orders', scheme: 'segment', store: 'postgres', max_batch: 1000 }],
  });
  const node = await startNode(null, {
    stateDir: path.join(tmp, 'node.state'),
    bin,
    prefix: SERVER_CPU,
    args: ['--config', config, '--segment-postgres', pg.url],
  });
  started.push(node);
  const stream = await idgenRun(node, 'stream, 1 ID per request', { mode: 'stream', count: 1 });
  const batch = await idgenRun(node, 'NextIds of 1000', { mode: 'batch', count: 1000 });
  await stopProcess(node);
  await pg.stop();

  const peers = { 'pg-nextval': pgResult.ids_per_s, 'redis-incr': redisResult.rps };
  const rows = withRatios([
    { name: `PostgreSQL nextval (pgbench -c ${flags.clients})`, ...pgResult },
    { name: `Redis INCR (redis-benchmark -c ${flags.clients})`, rps: redisResult.rps, ids_per_s: redisResult.rps,
      avg_ms: null },
    { name: 'idgen segment, StreamIds 1 ID/request', ...stream, peer: 'pg-nextval' },
    { name: 'idgen segment, NextIds 1000', ...batch, peer: 'redis-incr' },
  ], peers, { field: 'ids_per_s' });
  const columns = [
    { key: 'name', title: 'run' },
    { key: 'rps', title: 'requests/s' },
    { key: 'ids_per_s', title: 'IDs/s' },
    { key: 'avg_ms', title: 'avg ms', digits: 3 },
    { key: 'leases_per_s', title: 'leases/s', digits: 2 },
    { key: 'lease_share', title: 'leases/request', format: (v) => (v === null || v === undefined ? '-' : v.toExponential(1)) },
    { ...RATIO_COLUMN, title: 'IDs/s ratio' },
  ];
  console.log(renderMachine(m, [['Pinning', pin ? 'servers on CPU 1, load on CPU 0' : 'none'],
    ['Clients', String(flags.clients)], ['Duration', `${flags.duration} s per run (+${flags.warmup} s warm-up for idgen)`]]));
  console.log('');
  console.log(renderTable(columns, rows));
  console.log('\nratios: the StreamIds row over PostgreSQL nextval, the NextIds row over Redis INCR (IDs/s)');
  writeReport(flags.json, { machine: m, flags, rows });
}

main().catch(async (err) => {
  console.error(`${NAME}: ${err.stack || err}`);
  for (const p of started.reverse()) {
    try {
      await (p.stop ? p.stop() : stopProcess(p));
    } catch {
      // already gone
    }
  }
  process.exit(1);
});
