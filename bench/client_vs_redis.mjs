#!/usr/bin/env node
// Copyright idgen authors.
//
// The client library beside Redis `INCR`, one machine, loopback only, in one
// go: what an application gets from `idgen::client` against one node.
//   1. redis-benchmark INCR, --redis-clients (50) connections
//   2. the node's NextIds(1000) ceiling (`idgen bench --mode batch`)
//   3. IdPool::Next() from --pool-threads (4) threads, as fast as they go
//      (bench/client_pool, linked to libidgen_client as an application is)
//   4. the same paced at half of 3.: the latency of a Next() call
//   5. Client::NextId (one call per ID) from --unary-concurrency (64)
//      threads, and NextIdAsync with as many calls in flight from one
//      thread, beside `idgen bench --mode unary` at the same concurrency;
//      like the load generator, with retries off (max_attempts 1), and
//      NextIdAsync once more with the default 3 attempts
//   6. Redis again (each Redis ratio uses the better of 1. and 6.)
// With 2+ CPUs (--pin on) the node and Redis run on CPU 1, the load
// generators on CPU 0, as with clients on another machine.
//
//   node bench/client_vs_redis.mjs                # 10 s per run
//   node bench/client_vs_redis.mjs --duration 30 --json report.json
//
// Flags [defaults]: --duration [10] --redis-clients [50] --pool-threads [4]
//   --batch [10000] --low-water [5000] --unary-concurrency [64]
//   --pin on|off [on with 2+ CPUs] --idgen PATH [IDGEN_BIN or build/bin/idgen]
//   --keep --json FILE
// A bad flag exits 2 naming it, before anything starts. Needs redis-server,
// redis-benchmark, redis-cli (and taskset to pin). Every process started
// here is stopped by pid.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { IDGEN_BIN, runProcess, startNode, stopProcess, tempDir } from '../tests/node/lib/harness.mjs';
import {
  betterOf, machine, RATIO_COLUMN, renderMachine, renderTable, verdict, withRatios, writeReport,
} from './lib/report.mjs';
import { RedisPeer } from './lib/redis.mjs';
import { idgenBench, log as logAs, parseFlags, requireTools, usageExit } from './lib/run.mjs';

const NAME = 'client_vs_redis';
const USAGE =
  'client_vs_redis.mjs [--duration S] [--redis-clients N] [--pool-threads N] [--batch N] ' +
  '[--low-water N] [--unary-concurrency N] [--pin on|off] [--idgen PATH] [--keep] [--json FILE]';
const log = (msg) => logAs(NAME, msg);

const flags = parseFlags(NAME, USAGE, {
  duration: { kind: 'int', min: 1, max: 3600, def: 10 },
  'redis-clients': { kind: 'int', min: 1, max: 10000, def: 50 },
  'pool-threads': { kind: 'int', min: 1, max: 256, def: 4 },
  batch: { kind: 'int', min: 1, max: 100000, def: 10000 },
  'low-water': { kind: 'int', min: 0, max: 100000, def: 5000 },
  'unary-concurrency': { kind: 'int', min: 1, max: 1024, def: 64 },
  pin: { kind: 'choice', values: ['on', 'off'] },
  idgen: { kind: 'string', def: IDGEN_BIN },
  keep: { kind: 'bool', def: false },
  json: { kind: 'string' },
}, process.argv.slice(2));

if (flags['low-water'] > flags.batch) usageExit(NAME, USAGE, '--low-water must not exceed --batch');
const cpus = os.cpus().length;
const pin = (flags.pin ?? (cpus >= 2 ? 'on' : 'off')) === 'on';
if (pin && cpus < 2) usageExit(NAME, USAGE, '--pin on needs 2 CPUs');
const bin = flags.idgen;
if (!existsSync(bin)) usageExit(NAME, USAGE, `--idgen ${bin}: not built (scripts/build.sh)`);
const poolBin = path.join(path.dirname(bin), 'client_pool');
if (!existsSync(poolBin)) usageExit(NAME, USAGE, `${poolBin}: not built (scripts/build.sh)`);
requireTools(NAME, ['redis-server', 'redis-benchmark', 'redis-cli', ...(pin ? ['taskset'] : [])]);

const SERVER_CPU = pin ? ['taskset', '-c', '1'] : [];
const CLIENT_CPU = pin ? ['taskset', '-c', '0'] : [];
const tmp = flags.keep ? mkdtempSync(path.join(os.tmpdir(), 'idgen-client-vs-redis-'))
  : tempDir(null, 'idgen-client-vs-redis-');
const started = [];
let failed = false;

async function clientPool(target, args) {
  const all = ['--target', target, '--seconds', String(flags.duration), ...args];
  log(`client_pool ${all.join(' ')}`);
  const r = await runProcess(poolBin, all, { prefix: CLIENT_CPU, timeoutMs: (flags.duration + 60) * 1000 });
  if (r.code !== 0) throw new Error(`client_pool ${all.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function main() {
  const redis = new RedisPeer({
    who: NAME, dir: tmp, clients: flags['redis-clients'], seconds: flags.duration,
    serverPrefix: SERVER_CPU, clientPrefix: CLIENT_CPU,
  });
  started.push(await redis.start());
  const runs = {};
  runs.redis1 = await redis.run('tcp');

  const node = await startNode(null, { stateDir: path.join(tmp, 'state'), bin, prefix: SERVER_CPU });
  started.push(node);
  const bench = (extra) => {
    log(`idgen bench ${JSON.stringify(extra)}`);
    return idgenBench(node.address, { duration: flags.duration, warmup: 1, ...extra }, { prefix: CLIENT_CPU, bin });
  };
  runs.ceiling = await bench({ mode: 'batch', count: 1000, concurrency: 4 });
  const poolArgs = ['--mode', 'pool', '--threads', String(flags['pool-threads']),
    '--batch', String(flags.batch), '--low-water', String(flags['low-water'])];
  runs.pool = await clientPool(node.address, poolArgs);
  const half = Math.max(1, Math.floor(runs.pool.ids_per_s / 2));
  runs.paced = await clientPool(node.address, [...poolArgs, '--rate', String(half)]);
  const unaryArgs = ['--threads', String(flags['unary-concurrency']), '--max-attempts', '1'];
  runs.unary = await clientPool(node.address, ['--mode', 'unary', ...unaryArgs]);
  runs.async = await clientPool(node.address, ['--mode', 'async', ...unaryArgs]);
  runs.asyncRetries = await clientPool(node.address, ['--mode', 'async', '--threads', String(flags['unary-concurrency'])]);
  runs.benchUnary = await bench({ mode: 'unary', concurrency: flags['unary-concurrency'] });
  runs.redis2 = await redis.run('tcp');

  // ------------------------------------------------------------------ report
  for (const r of [runs.pool, runs.paced, runs.unary, runs.async, runs.asyncRetries]) {
    if (r.duplicates !== 0 || r.errors !== 0) throw new Error(`client_pool: ${JSON.stringify(r)}`);
  }
  const peers = {
    redis: betterOf(runs.redis1.rps, runs.redis2.rps),
    ceiling: runs.ceiling.ids_per_s,
    'bench-unary': runs.benchUnary.ids_per_s,
  };
  const redisRow = (name, r) => ({ name, ids_per_s: r.rps, p50_us: r.p50_us, p99_us: r.p99_us, peer: 'redis' });
  const rows = withRatios([
    redisRow(`redis INCR -c ${flags['redis-clients']} (before)`, runs.redis1),
    { name: 'node NextIds(1000) ceiling', ...runs.ceiling, peer: 'redis' },
    { name: `IdPool::Next(), ${flags['pool-threads']} threads`, ...runs.pool, peer: 'redis' },
    { name: `IdPool::Next() paced at ${half}/s`, ...runs.paced, peer: 'redis' },
    { name: `Client::NextId, ${flags['unary-concurrency']} threads, retries off`, ...runs.unary, peer: 'redis' },
    { name: `Client::NextIdAsync, ${flags['unary-concurrency']} in flight, retries off`, ...runs.async, peer: 'redis' },
    { name: `Client::NextIdAsync, ${flags['unary-concurrency']} in flight, 3 attempts`, ...runs.asyncRetries,
      peer: 'redis' },
    { name: `idgen bench unary, concurrency ${flags['unary-concurrency']}`, ...runs.benchUnary, peer: 'redis' },
    redisRow(`redis INCR -c ${flags['redis-clients']} (after)`, runs.redis2),
  ], peers, { field: 'ids_per_s' });
  const m = machine();
  console.log(renderMachine(m, [
    ['Peer', `redis-benchmark -t incr -c ${flags['redis-clients']} -P 1 (better of two runs)`],
    ['Placement', pin ? 'node and Redis on CPU 1, load generators on CPU 0' : 'not pinned'],
    ['Pool', `batch ${flags.batch}, low water ${flags['low-water']}; ${flags.duration} s per run`],
  ]));
  console.log();
  console.log(renderTable([
    { key: 'name', title: 'run' },
    { key: 'ids_per_s', title: 'IDs/s' },
    { key: 'p50_us', title: 'p50 us', digits: 2 },
    { key: 'p99_us', title: 'p99 us', digits: 2 },
    { ...RATIO_COLUMN, title: 'vs redis' },
  ], rows));
  console.log();
  const poolVsRedis = runs.pool.ids_per_s / peers.redis;
  const poolVsCeiling = runs.pool.ids_per_s / peers.ceiling;
  // The library's one-ID call rate, configured as the load generator runs
  // (retries off): the better of its blocking and callback forms.
  const unaryVsBench = Math.max(runs.unary.ids_per_s, runs.async.ids_per_s) / peers['bench-unary'];
  const targets = [
    [`IdPool::Next() >= 10x Redis INCR: ${poolVsRedis.toFixed(1)}x`, poolVsRedis >= 10],
    [`IdPool::Next() >= 0.8x the node's NextIds(1000) ceiling: ${poolVsCeiling.toFixed(2)}x`, poolVsCeiling >= 0.8],
    [`p99 of Next() at half rate < 10 us: ${runs.paced.p99_us.toFixed(2)} us ` +
      `(from when due: ${runs.paced.p99_due_us.toFixed(0)} us)`, runs.paced.p99_us < 10],
    [`Client::NextId (better form, retries off) >= 1.0x the load generator's unary mode: ${unaryVsBench.toFixed(2)}x`,
      unaryVsBench >= 1],
  ];
  for (const [line, met] of targets) console.log(`target ${line} ${verdict(met)}`);
  writeReport(flags.json, {
    benchmark: NAME, machine: m, flags, rows, runs,
    pool_vs_redis: poolVsRedis, pool_vs_ceiling: poolVsCeiling, unary_vs_bench: unaryVsBench,
    targets: targets.map(([line, met]) => ({ line, met })),
  });
}

try {
  await main();
} catch (err) {
  failed = true;
  console.error(`${NAME}: ${err.stack ?? err}`);
} finally {
  await Promise.allSettled(started.map((p) => (p.stop ? p.stop({ timeoutMs: 5000 }) : stopProcess(p))));
  if (flags.keep) log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
