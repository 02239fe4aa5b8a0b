#!/usr/bin/env node
// Copyright idgen authors.
//
// An idgen node beside Redis `INCR`, one machine, loopback only, in one go:
// redis-benchmark against a Redis started here (no persistence), then
// `idgen bench` against a node started here, then Redis again; one table
// with each row's ratio to Redis (the better of its two runs: the harder bar).
//
//   node bench/grpc_vs_redis.mjs                 # 10 s per run
//   node bench/grpc_vs_redis.mjs --duration 30 --json report.json
//
// Runs, in order:
//   1. redis-benchmark -t incr -c CLIENTS -P 1, sized by a short calibration
//      run to last about --duration (over TCP, and over a Unix socket)
//   2. idgen bench --mode stream --count 1       (the max one-ID request rate)
//   3. idgen bench --mode unary                  (NextId, one call per ID)
//   4. idgen bench --mode batch --count 1000     (against the worker's ceiling)
//   5. stream mode paced at half of 2. (--rate) for the p99 target; with
//      --paced-pipeline 1 a request due while its stream waits goes when the
//      answer arrives and is charged the wait (coordinated omission corrected)
//   6. --rt on: the same paced run with the node's gRPC threads (idgen-cq-N,
//      as `idgen serve --realtime-priority` starts them) and the load
//      generator under SCHED_FIFO (chrt), beside 5., never instead of it
//   7. --extra-rates R1,R2: more paced stream runs; --soak S: stream mode for
//      S seconds, the node's resident size sampled
//   8. --uds on (default): a second node on a Unix socket, its max stream
//      rate and the paced run at half of it, divided by Redis on a socket
// The node's resident size is sampled every 0.5 s. Before everything,
// machine_stalls (under perf through bench/who_stalls.mjs when perf is there)
// spins a pinned thread per CPU for --stall-probe seconds: how often the
// machine itself stops a running thread, the floor under the tails measured
// here. Each run's share of the host's steal time is printed beside it.
//
// Flags [defaults]: --duration [10] --warmup [2] --redis-clients [50]
//   --stream-concurrency [64] --stream-pipeline [1] --unary-concurrency [64]
//   --batch-concurrency [4] --connections [1] --bench-threads [1; 0 = one per
//   CPU] --paced-pipeline [1] --soak [0 s] --stall-probe [5 s; 0 = skip]
//   --extra-rates [none] --pin on|off [on with 2+ CPUs: servers on CPU 1,
//   load generators on CPU 0, as with clients on another machine]
//   --rt on|off [on when chrt -f is allowed here; only the paced run: with
//   both sides SCHED_FIFO at full load the kernel's softirq threads starve]
//   --uds on|off [on] --idgen PATH [IDGEN_BIN or build/bin/idgen]
//   --keep (keep the temp dir with logs) --json FILE
// A bad flag exits 2 naming it, before anything starts; exit 1 when a run
// failed. Needs redis-server, redis-benchmark, redis-cli, taskset, chrt.
// Everything started here is stopped by pid.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  IDGEN_BIN,
  runProcess,
  startNode,
  stopProcess,
  tempDir,
} from '../tests/node/lib/harness.mjs';
import {
  betterOf,
  machine,
  RATIO_COLUMN,
  ratio,
  renderMachine,
  renderTable,
  verdict,
  withRatios,
  writeReport,
} from './lib/report.mjs';
import {
  canRealtime,
  idgenBench,
  log as logAs,
  parseFlags,
  requireTools,
  rssKib,
  stealMs,
  usageExit,
} from './lib/run.mjs';
import { RedisPeer } from './lib/redis.mjs';
import { whoStalls } from './who_stalls.mjs';

const NAME = 'grpc_vs_redis';
const USAGE =
  'grpc_vs_redis.mjs [--duration S] [--warmup S] [--redis-clients N] [--stream-concurrency N] ' +
  '[--stream-pipeline N] [--unary-concurrency N] [--batch-concurrency N] [--connections N] ' +
  '[--bench-threads N] [--paced-pipeline N] [--soak S] [--stall-probe S] [--extra-rates R,R] ' +
  '[--pin on|off] [--rt on|off] [--uds on|off] [--idgen PATH] [--keep] [--json FILE]';
const RT_PRIO = 10;
const log = (msg) => logAs(NAME, msg);

const flags = parseFlags(NAME, USAGE, {
  duration: { kind: 'seconds', min: 1, max: 3600, def: 10 },
  warmup: { kind: 'seconds', min: 0, max: 600, def: 2 },
  'redis-clients': { kind: 'int', min: 1, max: 10000, def: 50 },
  'stream-concurrency': { kind: 'int', min: 1, max: 10000, def: 64 },
  'stream-pipeline': { kind: 'int', min: 1, max: 1000, def: 1 },
  'unary-concurrency': { kind: 'int', min: 1, max: 10000, def: 64 },
  'batch-concurrency': { kind: 'int', min: 1, max: 10000, def: 4 },
  connections: { kind: 'int', min: 1, max: 1000, def: 1 },
  'bench-threads': { kind: 'int', min: 0, max: 256, def: 1 },
  'paced-pipeline': { kind: 'int', min: 1, max: 1000, def: 1 },
  soak: { kind: 'int', min: 0, max: 24 * 3600, def: 0 },
  'stall-probe': { kind: 'int', min: 0, max: 600, def: 5 },
  'extra-rates': { kind: 'ints', min: 1, def: [] },
  pin: { kind: 'choice', values: ['on', 'off'] },
  rt: { kind: 'choice', values: ['on', 'off'] },
  uds: { kind: 'choice', values: ['on', 'off'], def: 'on' },
  idgen: { kind: 'string', def: IDGEN_BIN },
  keep: { kind: 'bool', def: false },
  json: { kind: 'string' },
}, process.argv.slice(2));

const cpus = os.cpus().length;
const pin = (flags.pin ?? (cpus >= 2 ? 'on' : 'off')) === 'on';
if (pin && cpus < 2) usageExit(NAME, USAGE, '--pin on needs 2 CPUs');
const rt = (flags.rt ?? (canRealtime(RT_PRIO) ? 'on' : 'off')) === 'on';
if (rt && !canRealtime(RT_PRIO)) {
  usageExit(NAME, USAGE, '--rt on needs chrt -f (root or CAP_SYS_NICE); --rt off skips the SCHED_FIFO run');
}
const uds = flags.uds === 'on';
const bin = flags.idgen;
if (!existsSync(bin)) usageExit(NAME, USAGE, `--idgen ${bin}: not built (scripts/build.sh)`);
requireTools(NAME, ['redis-server', 'redis-benchmark', 'redis-cli', ...(pin ? ['taskset'] : [])]);

const SERVER_CPU = pin ? ['taskset', '-c', '1'] : [];
const CLIENT_CPU = pin ? ['taskset', '-c', '0'] : [];
// Removed at the end, or on exit (^C) by the harness, unless --keep.
const tmp = flags.keep ? mkdtempSync(path.join(os.tmpdir(), 'idgen-vs-redis-')) : tempDir(null, 'idgen-vs-redis-');
const started = []; // every process started here, stopped by pid at the end
let failed = false;

// ------------------------------------------------------------------ machine
async function stallProbe() {
  const seconds = flags['stall-probe'];
  const stalls = path.join(path.dirname(bin), 'machine_stalls');
  if (seconds === 0 || !existsSync(stalls)) return null;
  if ((await runProcess('sh', ['-c', 'command -v perf'])).code === 0) {
    log(`who_stalls (machine_stalls under perf) for ${seconds} s`);
    try {
      return whoStalls({ stalls, seconds });
    } catch (err) {
      log(`perf failed, machine_stalls alone: ${err.message.split('\n')[0]}`);
    }
  }
  log(`machine_stalls --seconds ${seconds}`);
  const r = await runProcess(stalls, ['--seconds', String(seconds)], { timeoutMs: (seconds + 30) * 1000 });
  return r.stdout.trimEnd();
}

// -------------------------------------------------------------------- Redis
const redisPeer = new RedisPeer({
  who: NAME,
  dir: tmp,
  clients: flags['redis-clients'],
  seconds: flags.duration,
  serverPrefix: SERVER_CPU,
  clientPrefix: CLIENT_CPU,
});
async function startRedis() {
  const proc = await redisPeer.start();
  started.push(proc);
  return { proc, port: redisPeer.port, sock: redisPeer.sock };
}
const redisRun = (kind) => redisPeer.run(kind);

// --------------------------------------------------------------- idgen node
async function startIdgenNode(name, listen) {
  const node = await startNode(null, {
    stateDir: path.join(tmp, `${name}.state`),
    listen,
    bin,
    prefix: SERVER_CPU,
  });
  started.push(node);
  return node;
}

// The default namespace's sequence ceiling (IDs/s) from /info; 4,096,000
// (41/10/12) when the layout cannot be read.
async function ceilingOf(node) {
  try {
    const info = await node.info();
    const ns = info.namespaces.find((n) => n.name === 'default') ?? info.namespaces[0];
    const bits = ns.layout.sequence_bits ?? ns.layout.sequenceBits;
    const unit = ns.layout.unit_ms ?? ns.layout.unitMs ?? 1;
    const c = Math.floor((2 ** Number(bits) * 1000) / Number(unit));
    return Number.isFinite(c) && c > 0 ? c : 4096000;
  } catch {
    return 4096000;
  }
}

const results = {};
async function bench(name, node, benchFlags, { realtime = false, duration = flags.duration } = {}) {
  const all = {
    duration,
    warmup: flags.warmup,
    threads: flags['bench-threads'],
    connections: flags.connections,
    count: 1,
    ...benchFlags,
  };
  const prefix = [...(realtime ? ['chrt', '-f', String(RT_PRIO)] : []), ...CLIENT_CPU];
  log(`${prefix.join(' ')} idgen bench ${Object.entries(all).map(([k, v]) => `--${k} ${v}`).join(' ')}`);
  const steal0 = stealMs();
  try {
    const r = await idgenBench(node.address, all, { prefix, bin });
    r.steal_ms_per_s = (stealMs() - steal0) / (r.duration_s + flags.warmup);
    results[name] = r;
    log(`  ${JSON.stringify(r)}`);
    return r;
  } catch (err) {
    failed = true;
    console.error(err.message);
    return null;
  }
}

const halfOf = (r) => Math.max(1, Math.floor((r?.rps ?? 2) / 2));

// The node's gRPC queue threads (idgen-cq-N), by thread id.
function cqThreads(pid) {
  return readdirSync(`/proc/${pid}/task`).filter((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('idgen-cq-');
    } catch {
      return false;
    }
  });
}

async function setPolicy(tids, policyArgs) {
  for (const tid of tids) {
    const r = await runProcess('chrt', [...policyArgs, tid]);
    if (r.code !== 0) throw new Error(`chrt ${policyArgs.join(' ')} ${tid}: ${r.stderr}`);
  }
}

async function main() {
  const stalls = await stallProbe();
  const redis = await startRedis();
  const redisBefore = await redisRun('tcp');
  const redisRssKib = rssKib(redis.proc.pid);
  const uredisBefore = uds ? await redisRun('unix') : null;
  // Redis stays up (idle) and is measured again after the idgen runs: on a
  // shared machine the two figures show how much the background moved.

  const node = await startIdgenNode('tcp');
  const ceiling = await ceilingOf(node);
  const rss = { start: rssKib(node.pid), samples: [] };
  const sampler = setInterval(() => rss.samples.push([Date.now(), rssKib(node.pid)]), 500);

  const stream = { mode: 'stream', concurrency: flags['stream-concurrency'], pipeline: flags['stream-pipeline'] };
  const paced = { mode: 'stream', concurrency: flags['stream-concurrency'], pipeline: flags['paced-pipeline'] };
  const s = await bench('stream', node, stream);
  await bench('unary', node, { mode: 'unary', concurrency: flags['unary-concurrency'] });
  await bench('batch', node, { mode: 'batch', count: 1000, concurrency: flags['batch-concurrency'] });
  const halfRate = halfOf(s);
  await bench('half', node, { ...paced, rate: halfRate });
  if (rt) {
    // As `idgen serve --realtime-priority` would start them, then back.
    const tids = cqThreads(node.pid);
    if (tids.length === 0) throw new Error(`no idgen-cq-N thread in node ${node.pid}`);
    await setPolicy(tids, ['-f', '-p', String(RT_PRIO)]);
    await bench('half_rt', node, { ...paced, rate: halfRate }, { realtime: true });
    await setPolicy(tids, ['-o', '-p', '0']);
  }
  for (const r of flags['extra-rates']) await bench(`rate${r}`, node, { ...paced, rate: r });
  rss.after = rssKib(node.pid);
  if (flags.soak > 0) {
    rss.soakStart = rssKib(node.pid);
    rss.soakT0 = Date.now();
    await bench('soak', node, stream, { duration: flags.soak });
    rss.soakEnd = rssKib(node.pid);
    rss.soakT1 = Date.now();
  }
  clearInterval(sampler);
  rss.max = Math.max(rss.start, ...rss.samples.map(([, v]) => v));

  let uhalfRate = 0;
  if (uds) {
    // The TCP node is done: stop it, so the socket node has the CPU to
    // itself as the TCP node had.
    await stopProcess(node);
    const unode = await startIdgenNode('uds', `unix:${path.join(tmp, 'idgen.sock')}`);
    const us = await bench('ustream', unode, stream);
    uhalfRate = halfOf(us);
    await bench('uhalf', unode, { ...paced, rate: uhalfRate });
  }
  const redisAfter = await redisRun('tcp');
  const uredisAfter = uds ? await redisRun('unix') : null;
  const loadEnd = os.loadavg().map((l) => l.toFixed(2)).join(' ');

  // ------------------------------------------------------------------ report
  const peers = { 'redis-tcp': betterOf(redisBefore.rps, redisAfter.rps) };
  if (uds) peers['redis-unix'] = betterOf(uredisBefore.rps, uredisAfter.rps);
  const redisLabel = `redis INCR (-c ${flags['redis-clients']}, -P 1)`;
  const rows = [
    { name: `${redisLabel}, before`, ...redisBefore, ids_per_s: redisBefore.rps, peer: 'redis-tcp' },
    { name: `${redisLabel}, after`, ...redisAfter, ids_per_s: redisAfter.rps, peer: 'redis-tcp' },
  ];
  if (uds) {
    rows.push(
      { name: 'redis INCR on a socket, before', ...uredisBefore, ids_per_s: uredisBefore.rps, peer: 'redis-unix' },
      { name: 'redis INCR on a socket, after', ...uredisAfter, ids_per_s: uredisAfter.rps, peer: 'redis-unix' },
    );
  }
  // Each idgen run and the Redis it is divided by, named here, once.
  const runs = [
    ['stream', 'idgen StreamIds, 1 ID/request', 'redis-tcp'],
    ['unary', 'idgen NextId (unary)', 'redis-tcp'],
    ['batch', 'idgen NextIds, 1000 IDs/request', 'redis-tcp'],
    ['half', `idgen StreamIds at --rate ${halfRate}`, 'redis-tcp'],
    ['half_rt', '  the same, both sides SCHED_FIFO', 'redis-tcp'],
    ...flags['extra-rates'].map((r) => [`rate${r}`, `idgen StreamIds at --rate ${r}`, 'redis-tcp']),
    ['soak', `idgen StreamIds soak ${flags.soak} s`, 'redis-tcp'],
    ['ustream', 'idgen StreamIds on a Unix socket', 'redis-unix'],
    ['uhalf', `  the same at --rate ${uhalfRate}`, 'redis-unix'],
  ];
  for (const [run, label, peer] of runs) {
    const r = results[run];
    if (!r) continue;
    const conc = `C=${r.concurrency}${(r.pipeline ?? 1) > 1 ? `x${r.pipeline}` : ''}`;
    rows.push({
      name: `${label} (${conc})`,
      run,
      rps: r.rps,
      ids_per_s: r.ids_per_s,
      p50_us: r.p50_us,
      p99_us: r.p99_us,
      p999_us: r.p999_us,
      errors: r.error_total ?? 0,
      service_p99_us: r.service_p99_us,
      steal_ms_per_s: r.steal_ms_per_s,
      peer,
    });
  }
  const table = withRatios(rows, peers);
  const m = machine();
  console.log(renderMachine(m, [
    ['Peer', `redis-server, redis-benchmark -t incr -c ${flags['redis-clients']} -P 1`],
    ['Runs', `${flags.duration} s each after ${flags.warmup} s warmup; ` +
      `idgen bench --threads ${flags['bench-threads']} --connections ${flags.connections}`],
    ['Pinning', pin ? 'servers on CPU 1, load generators on CPU 0' : 'none (--pin off)'],
    ['SCHED_FIFO', rt
      ? `priority ${RT_PRIO}, node gRPC threads and load generator, half_rt run only`
      : 'no run (--rt off)'],
  ]));
  console.log();
  console.log(renderTable([
    { key: 'name', title: '' },
    { key: 'rps', title: 'requests/s' },
    { key: 'ids_per_s', title: 'IDs/s' },
    { key: 'p50_us', title: 'p50 us', digits: 1 },
    { key: 'p99_us', title: 'p99 us', digits: 1 },
    { key: 'p999_us', title: 'p999 us', digits: 1 },
    { ...RATIO_COLUMN, title: 'vs redis' },
    { key: 'errors', title: 'errors' },
    { key: 'service_p99_us', title: 'p99 from send', digits: 1 },
    { key: 'steal_ms_per_s', title: 'steal ms/s', digits: 1 },
  ], table));
  console.log("(p99 counts from the intended send time in paced runs, wrk2-style; 'from send' does not.");
  if (uds) console.log(' Unix-socket rows are divided by Redis on a socket, the others by Redis on TCP.');
  console.log(' steal: ms per second, all CPUs, in which the host ran something else instead of this VM)');
  console.log();
  for (const [run, r] of Object.entries(results)) {
    console.log(`${run.padEnd(7)} checked ${r.ids_checked} IDs: ${r.duplicates} duplicates, ` +
      `${r.order_violations} order violations`);
  }
  const mib = (k) => (k / 1024).toFixed(1);
  console.log(`node RSS MiB: start ${mib(rss.start)}, max ${mib(rss.max)}, after runs ${mib(rss.after)}   ` +
    `(redis after its run: ${mib(redisRssKib)})`);
  if (flags.soak > 0) {
    console.log(`soak RSS MiB: ${mib(rss.soakStart)} -> ${mib(rss.soakEnd)}`);
    const perMinute = [];
    let next = rss.soakT0;
    for (const [t, v] of rss.samples) {
      if (t >= next && t <= rss.soakT1) {
        perMinute.push(mib(v));
        next += 60000;
      }
    }
    console.log(`soak RSS MiB, one sample a minute: ${perMinute.join(' ')}`);
  }
  console.log(`load average at the end: ${loadEnd}; ` +
    `ratios use the better Redis run, ${peers['redis-tcp'].toFixed(0)}/s` +
    (uds ? ` (on a socket ${peers['redis-unix'].toFixed(0)}/s)` : ''));
  if (stalls) {
    console.log('machine stalls before the runs (a spinning pinned thread per CPU, and who ran in the gaps):');
    for (const line of stalls.split('\n')) console.log(`  ${line}`);
  }
  console.log();

  const targets = [];
  const x = (v) => (v === null ? 'n/a' : `${v.toFixed(2)}x`);
  const target = (line, ok) => {
    targets.push({ line, met: ok });
    console.log(ok === undefined ? line : `${line} ${verdict(ok)}`);
  };
  const tcpBar = peers['redis-tcp'];
  if (results.stream) {
    const q = ratio(results.stream.rps, tcpBar);
    target(`target stream 1-ID rps > redis INCR: ${results.stream.rps.toFixed(0)} vs ${tcpBar.toFixed(0)} (${x(q)})`,
      q !== null && q > 1);
  }
  for (const [run, how] of [['half', 'normal priority'], ['half_rt', 'SCHED_FIFO']]) {
    const h = results[run];
    if (!h) continue;
    target(`target p99 < 1 ms at half load (${h.rps.toFixed(0)} req/s, pipeline ${h.pipeline ?? 1}, ${how}): ` +
      `p99 ${h.p99_us.toFixed(0)} us, p999 ${h.p999_us.toFixed(0)} us (from send ${h.service_p99_us.toFixed(0)} us)`,
    h.p99_us < 1000);
  }
  if (results.batch) {
    const share = ratio(results.batch.ids_per_s, ceiling);
    const pct = (100 * (share ?? 0)).toFixed(1);
    target(`target batch-1000 >= 95% of ${ceiling} IDs/s: ${results.batch.ids_per_s.toFixed(0)} (${pct}%)`,
      share !== null && share >= 0.95);
  }
  if (results.unary) target(`unary NextId / redis INCR: ${x(ratio(results.unary.rps, tcpBar))}`);
  if (results.ustream) {
    const u = results.ustream;
    const vsTcp = results.stream ? `; ${x(ratio(u.rps, results.stream.rps))} the TCP stream rate` : '';
    const bar = peers['redis-unix'];
    target(`on Unix sockets: stream 1-ID rps ${u.rps.toFixed(0)} vs redis INCR ${bar.toFixed(0)} ` +
      `(${x(ratio(u.rps, bar))})${vsTcp}`);
  }
  if (results.uhalf) {
    const h = results.uhalf;
    target(`on Unix sockets: p99 at half load (${h.rps.toFixed(0)} req/s): ${h.p99_us.toFixed(0)} us, ` +
      `p999 ${h.p999_us.toFixed(0)} us ` +
      `(from send ${h.service_p99_us.toFixed(0)} us), ${h.p99_us < 1000 ? 'under' : 'over'} 1 ms`);
  }

  writeReport(flags.json, {
    benchmark: NAME,
    machine: m,
    flags: { ...flags, pin: pin ? 'on' : 'off', rt: rt ? 'on' : 'off' },
    peers,
    redis: { ...redisBefore, rps_after: redisAfter.rps, p99_us_after: redisAfter.p99_us },
    redis_unix: uds ? { ...uredisBefore, rps_after: uredisAfter.rps, p99_us_after: uredisAfter.p99_us } : null,
    rows: table,
    idgen: results,
    ceiling_ids_per_s: ceiling,
    rss_kib: { start: rss.start, max: rss.max, after: rss.after },
    stalls,
    targets,
    load_end: loadEnd,
  });
}

try {
  await main();
} catch (err) {
  console.error(`${NAME}: ${err.stack ?? err}`);
  failed = true;
} finally {
  await Promise.allSettled(started.map((p) => stopProcess(p, { timeoutMs: 5000 })));
  if (flags.keep) console.error(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
