// Copyright idgen authors.
//
// Black-box tests of the benchmarks (bench/*.mjs): each run for real (a
// real Redis, nginx, nodes, gateways, `idgen bench`), with 1-second runs and
// no SCHED_FIFO or stall probe, so that it is a check of the program, not a
// measurement.
//   - grpc_vs_redis over TCP and Unix sockets ends with exit 0, prints every
//     row and target line, checks every ID, and divides each row by the right
//     Redis figure (the Unix-socket rows by Redis on a socket, all others, the
//     unary row included, by Redis on TCP); TCP only prints no socket rows;
//   - gateway_vs_nginx, tls_overhead, auth_overhead, client_vs_redis, grpc_api_compare, tracing_overhead,
//     segment_vs_peers and core_bench end
//     with exit 0, a table with every row, and a JSON report whose ratios are
//     the rows' figures over their peer's; who_stalls (with perf) reports;
//   - every bad flag exits 2 naming the flag, before starting anything.
// The ratio arithmetic itself is tested in bench_report.test.mjs.
// Run: IDGEN_BIN=/path/to/idgen node --test
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

import { idgenBin, tempDir } from './lib/harness.mjs';

const hasPerf = () => spawnSync('sh', ['-c', 'command -v perf'], { stdio: 'ignore' }).status === 0;

const BENCH = fileURLToPath(new URL('../../bench/', import.meta.url));

// Runs bench/NAME.mjs ARGS; kills it after timeoutMs (TERM, then KILL).
function runBench(name, args, { timeoutMs = 150000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(BENCH, `${name}.mjs`), ...args], {
      env: { ...process.env, IDGEN_BIN: idgenBin() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // TERM first: the program stops what it started.
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

// Runs a benchmark with --json into a temp dir; asserts exit 0; returns the
// run and its report.
async function runWithReport(t, name, args) {
  const file = path.join(tempDir(t, 'idgen-bench-test-'), 'report.json');
  const r = await runBench(name, [...args, '--json', file]);
  assert.equal(r.timedOut, false, `timed out:\n${r.stderr}`);
  assert.equal(r.code, 0, `exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(readFileSync(file, 'utf8'));
  // Every report starts with the machine, as the printed header does.
  for (const key of ['cpu', 'cores', 'kernel', 'load', 'memory_gib']) assert.ok(key in report.machine, key);
  for (const label of ['CPU:', 'Kernel:', 'Load average:', 'Memory:']) {
    assert.match(r.stdout, new RegExp(`^${label}`, 'm'), `no "${label}" in the header`);
  }
  return { r, report };
}

// The number in column `index` (0 = first after the label) of the table row
// starting with `label`.
function columnOf(stdout, label, index) {
  const line = stdout.split('\n').find((l) => l.startsWith(label));
  assert.ok(line, `no row "${label}" in:\n${stdout}`);
  const cells = line.slice(label.length).trim().split(/\s+/);
  const value = Number(cells[index]);
  assert.ok(Number.isFinite(value), `column ${index} of "${label}" is not a number: ${line}`);
  return value;
}

function assertEveryIdChecked(stdout, runs) {
  for (const run of runs) {
    const re = new RegExp(`^${run}\\s+checked (\\d+) IDs: 0 duplicates, 0 order violations$`, 'm');
    const m = stdout.match(re);
    assert.ok(m, `no clean check line for ${run} in:\n${stdout}`);
    assert.ok(Number(m[1]) > 0, `${run} checked no IDs`);
  }
}

const close = (a, b) => Math.abs(a - b) <= 0.011;
const better = (r) => Math.max(r.rps, r.rps_after);
const rowOf = (report, run) => {
  const row = report.rows.find((x) => x.run === run);
  assert.ok(row, `no row for ${run} in the report`);
  return row;
};

const QUICK_REDIS = ['--duration', '1', '--warmup', '0', '--stall-probe', '0', '--rt', 'off'];

test('grpc_vs_redis over TCP and Unix sockets: every row, every target, the right bar for each ratio', async (t) => {
  const { r, report } = await runWithReport(t, 'grpc_vs_redis', [...QUICK_REDIS, '--uds', 'on']);
  const { idgen } = report;
  const runs = ['stream', 'unary', 'batch', 'half', 'ustream', 'uhalf'];
  for (const run of runs) {
    assert.ok(idgen[run], `no ${run} result in the report`);
    assert.equal(idgen[run].error_total, 0, `${run} had errors`);
  }
  assertEveryIdChecked(r.stdout, runs);
  for (const target of [
    'target stream 1-ID rps > redis INCR:',
    'target p99 < 1 ms at half load',
    'target batch-1000 >= 95% of',
    'unary NextId / redis INCR:',
    'on Unix sockets: stream 1-ID rps',
    'on Unix sockets: p99 at half load',
  ]) {
    assert.ok(r.stdout.includes(target), `no "${target}" line in:\n${r.stdout}`);
  }
  const tcp = better(report.redis);
  const unix = better(report.redis_unix);
  assert.ok(tcp > 0 && unix > 0, 'Redis figures missing');
  // TCP rows by Redis on TCP; NextId is TCP even though its name starts with "u".
  assert.ok(close(rowOf(report, 'unary').ratio, idgen.unary.rps / tcp));
  assert.ok(close(rowOf(report, 'stream').ratio, idgen.stream.rps / tcp));
  assert.ok(close(rowOf(report, 'ustream').ratio, idgen.ustream.rps / unix));
  assert.ok(close(rowOf(report, 'uhalf').ratio, idgen.uhalf.rps / unix));
  // The printed table says the same: requests/s, IDs/s, p50, p99, p999, ratio.
  assert.ok(close(columnOf(r.stdout, 'idgen NextId (unary) (C=64)', 5), idgen.unary.rps / tcp));
  assert.ok(close(columnOf(r.stdout, 'idgen StreamIds on a Unix socket (C=64)', 5), idgen.ustream.rps / unix));
  assert.match(r.stdout, /^node RSS MiB: start \d/m);
});

test('grpc_vs_redis TCP only (--uds off): no socket rows, the report still complete', async (t) => {
  const { r, report } = await runWithReport(t, 'grpc_vs_redis', [...QUICK_REDIS, '--uds', 'off']);
  assert.equal(report.redis_unix, null);
  assert.equal(report.idgen.ustream, undefined);
  assert.doesNotMatch(r.stdout, /Unix socket|on a socket/);
  assertEveryIdChecked(r.stdout, ['stream', 'unary', 'batch', 'half']);
  assert.ok(close(rowOf(report, 'unary').ratio, report.idgen.unary.rps / better(report.redis)));
  assert.match(r.stdout, /^target p99 < 1 ms at half load/m);
});

test('gateway_vs_nginx: nginx twice, three gateways, ratios to the better nginx run, the RSS lines', async (t) => {
  const { r, report } = await runWithReport(t, 'gateway_vs_nginx', ['--duration', '1', '--idle', '100']);
  const bar = Math.max(rowOf(report, 'nginx1').rps, rowOf(report, 'nginx2').rps);
  assert.ok(bar > 0);
  for (const run of ['gateway', 'prefetch', 'nocoalesce']) {
    const row = rowOf(report, run);
    assert.ok(row.rps > 0, `${run} served nothing`);
    assert.equal(row.non2xx, 0, `${run} answered non-2xx`);
    assert.ok(close(row.ratio, row.rps / bar), `${run}: ${row.ratio} vs ${row.rps / bar}`);
  }
  assert.ok(close(columnOf(r.stdout, 'gateway, default (coalescing)', 4), rowOf(report, 'gateway').rps / bar));
  assert.match(r.stdout, /^target gateway \(default\) >= 0\.50 of nginx/m);
  assert.match(r.stdout, /^default gateway RSS: \d+ MiB with 100 idle keep-alive connections/m);
  assert.match(r.stdout, /^default gateway's pool: \d+ requests in \d+ backend calls/m);
});

test('tls_overhead: each secured figure over its plaintext self, the gateway over nginx HTTPS, handshakes', async (t) => {
  const { r, report } = await runWithReport(t, 'tls_overhead', ['--duration', '1', '--handshake-seconds', '1']);
  const byName = (rows, pattern) => rows.find((x) => pattern.test(x.name));
  for (const [kind, field] of [['StreamIds', 'ids_per_s'], ['NextIds', 'ids_per_s']]) {
    const rows = report.node.filter((x) => x.name.startsWith(kind));
    assert.equal(rows.length, 3, kind);
    const bar = Math.max(rows[0][field], rows[2][field]);
    assert.ok(rows[1][field] > 0, `${kind} over mutual TLS served nothing`);
    assert.ok(close(rows[1].ratio, rows[1][field] / bar), `${kind}: ${rows[1].ratio}`);
  }
  const nginxBar = Math.max(report.rest[0].rps, report.rest[3].rps);
  const https = byName(report.rest, /gateway HTTPS/);
  const http = byName(report.rest, /gateway HTTP,/);
  assert.ok(https.rps > 0 && http.rps > 0);
  assert.equal(https.non2xx + http.non2xx, 0);
  assert.ok(close(https.ratio, https.rps / nginxBar));
  assert.ok(close(report.gateway_https_vs_http, https.rps / http.rps));
  for (const row of report.handshakes) assert.ok(row.handshakes_per_s > 0, row.name);
  assert.match(r.stdout, /^target StreamIds over mutual TLS >= 0\.80 of plaintext: [\d.]+ (MET|MISSED)$/m);
  assert.match(r.stdout, /^target gateway HTTPS >= 0\.50 of nginx HTTPS: [\d.]+ (MET|MISSED)$/m);
  assert.match(r.stdout, /^node \(gRPC, client certificate\)\s+\d+/m);
});

test('auth_overhead: an API key and a JWT beside no authentication, on the node and the gateway', async (t) => {
  const { r, report } = await runWithReport(t, 'auth_overhead', ['--duration', '1']);
  for (const [rows, field] of [[report.node, 'ids_per_s'], [report.rest, 'rps']]) {
    assert.deepEqual(rows.map((x) => x.name.split(', ')[1].split(' (')[0]),
      ['no authentication', 'API key + quota', 'JWT + quota', 'no authentication']);
    const bar = Math.max(rows[0][field], rows[3][field]);
    for (const row of rows.slice(1, 3)) {
      assert.ok(row[field] > 0, `${row.name} served nothing`);
      assert.ok(close(row.ratio, row[field] / bar), `${row.name}: ${row.ratio}`);
    }
  }
  for (const row of report.rest) assert.equal(row.non2xx, 0, row.name);
  for (const what of ['StreamIds with a key', 'StreamIds with a JWT', 'REST with a key', 'REST with a JWT']) {
    assert.match(r.stdout, new RegExp(`^target ${what} >= 0\\.90 of without: [\\d.]+ (MET|MISSED)$`, 'm'));
  }
});

test('client_vs_redis: Redis twice, the pool, paced pool, unary client beside the load generator', async (t) => {
  const { r, report } = await runWithReport(t, 'client_vs_redis', ['--duration', '1', '--pool-threads', '2',
    '--unary-concurrency', '8']);
  const bar = Math.max(report.runs.redis1.rps, report.runs.redis2.rps);
  assert.ok(bar > 0);
  const pool = report.rows.find((x) => x.name.startsWith('IdPool::Next(), 2 threads'));
  assert.ok(pool.ids_per_s > 0);
  assert.ok(close(pool.ratio, pool.ids_per_s / bar), `${pool.ratio}`);
  assert.ok(close(report.pool_vs_ceiling, report.runs.pool.ids_per_s / report.runs.ceiling.ids_per_s));
  assert.ok(close(report.unary_vs_bench,
    Math.max(report.runs.unary.ids_per_s, report.runs.async.ids_per_s) / report.runs.benchUnary.ids_per_s));
  for (const run of ['pool', 'paced', 'unary', 'async', 'asyncRetries']) {
    assert.equal(report.runs[run].duplicates, 0, run);
    assert.equal(report.runs[run].errors, 0, run);
  }
  assert.match(r.stdout, /^target IdPool::Next\(\) >= 10x Redis INCR: [\d.]+x (MET|MISSED)$/m);
  assert.match(r.stdout, /^target p99 of Next\(\) at half rate < 10 us: [\d.]+ us/m);
});

test('grpc_api_compare: one row per API in each cell, each divided by the first API of the cell', async (t) => {
  const { r, report } = await runWithReport(t, 'grpc_api_compare', [
    '--duration', '1', '--warmup', '0', '--rounds', '1', '--concurrency', '4',
    '--apis', 'callback,cq1', '--max-load', '1000', '--load-wait', '0',
  ]);
  assert.equal(report.bad, 0);
  assert.equal(report.rows.length, 4, 'stream and unary, two APIs each');
  for (const mode of ['stream', 'unary']) {
    const base = report.rows.find((x) => x.mode === mode && x.api === 'callback');
    const cq = report.rows.find((x) => x.mode === mode && x.api === 'cq1');
    assert.equal(base.ratio, 1);
    assert.ok(close(cq.ratio, cq.rps / base.rps), `${mode}: ${cq.ratio}`);
  }
  assert.match(r.stdout, /^unary C=4 cq1\s/m);
  assert.match(r.stdout, /^errors \+ duplicates \+ order violations over all runs: 0$/m);
});

test('tracing_overhead: off and traced runs, the traced median over the untraced one', async (t) => {
  const { r, report } = await runWithReport(t, 'tracing_overhead', [
    '--modes', 'unary', '--duration', '1', '--warmup', '0', '--rounds', '1',
  ]);
  const off = report.rows.find((x) => x.side === 'off');
  const on = report.rows.find((x) => x.side === 'on');
  assert.ok(off.rps > 0 && on.rps > 0);
  assert.ok(close(on.ratio, on.rps / off.rps));
  assert.ok(report.sink.requests > 0, 'the traced runs exported nothing');
  assert.match(r.stdout, /^unary, every call traced\s/m);
});

test('core_bench: ours beside the naive snowflake of the same run, divided by it', async (t) => {
  const { r, report } = await runWithReport(t, 'core_bench', [
    '--benchmark_filter=BM_Next/twitter/threads:1|BM_NaiveMutexNext/twitter/threads:1|BM_Next/wide/threads:1',
    '--benchmark_min_time=0.05',
  ]);
  const twitter = report.rows.find((x) => x.name === 'Next(), twitter, 1 thread');
  assert.ok(twitter.ids_per_s > 0 && twitter.naive_ids_per_s > 0);
  assert.ok(close(twitter.ratio, twitter.ids_per_s / twitter.naive_ids_per_s));
  const wide = report.rows.find((x) => x.name === 'Next(), wide, 1 thread');
  assert.equal(wide.ratio, null, 'no naive wide run in the filter: n/a, not a crash');
  assert.match(r.stdout, /^target >= 95% of the ceiling/m);
  assert.match(r.stdout, /^target < 20 ns per ID \(wide, 1 thread\)/m);
});

test('segment_vs_peers: pgbench nextval, Redis INCR, the segment namespace over gRPC, leases per request', async (t) => {
  const { r, report } = await runWithReport(t, 'segment_vs_peers', ['--duration', '1', '--warmup', '0']);
  const [pg, redis, stream, batch] = report.rows;
  assert.match(pg.name, /^PostgreSQL nextval/);
  assert.ok(pg.ids_per_s > 0 && redis.ids_per_s > 0);
  assert.ok(stream.rps > 0 && batch.ids_per_s > 0);
  assert.ok(close(stream.ratio, stream.ids_per_s / pg.ids_per_s));
  assert.ok(close(batch.ratio, batch.ids_per_s / redis.ids_per_s));
  assert.ok(stream.leases_per_s >= 0 && stream.lease_share < 1, JSON.stringify(stream));
  assert.match(r.stdout, /^idgen segment, NextIds 1000\s/m);
});

test('who_stalls: the machine_stalls report and who ran in the gaps', { skip: !hasPerf() && 'no perf' }, async () => {
  const r = await runBench('who_stalls', ['--seconds', '1'], { timeoutMs: 90000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^cpu 0: stalls per second over 0\.2 ms/m);
  assert.match(r.stdout, /^tasks that ran in spinner gaps over 300 us \(1 s traced\):$/m);
});

test('bad flags exit 2 naming the flag, before anything starts', async () => {
  const cases = [
    ['grpc_vs_redis', ['--duration', 'abc'], /--duration must be a number of seconds in 1\.\.3600, not "abc"/],
    ['grpc_vs_redis', ['--duration', '0.5'], /--duration must be a number of seconds/],
    ['grpc_vs_redis', ['--warmup', '-1'], /--warmup/],
    ['grpc_vs_redis', ['--stream-concurrency', '0'], /--stream-concurrency must be a whole number in 1\.\.10000, not "0"/],
    ['grpc_vs_redis', ['--redis-clients', 'many'], /--redis-clients must be a whole number/],
    ['grpc_vs_redis', ['--soak', '1e3'], /--soak must be a whole number/],
    ['grpc_vs_redis', ['--extra-rates', '1000,fast'], /--extra-rates must be whole numbers >= 1, comma-separated, not "fast"/],
    ['grpc_vs_redis', ['--uds', '2'], /--uds must be on or off, not "2"/],
    ['grpc_vs_redis', ['--pin', 'yes'], /--pin must be on or off/],
    ['grpc_vs_redis', ['--rt', '1'], /--rt must be on or off/],
    ['grpc_vs_redis', ['--speed', 'max'], /Unknown option '--speed'/],
    ['gateway_vs_nginx', ['--duration', '0'], /--duration must be a whole number in 1\.\.3600, not "0"/],
    ['gateway_vs_nginx', ['--idle', 'lots'], /--idle must be a whole number/],
    ['gateway_vs_nginx', ['--nginx', '/nonexistent/nginx'], /--nginx \/nonexistent\/nginx: not found/],
    ['tls_overhead', ['--handshake-seconds', '0'], /--handshake-seconds must be a whole number in 1\.\.600, not "0"/],
    ['tls_overhead', ['--nginx', '/nonexistent/nginx'], /--nginx \/nonexistent\/nginx: not found/],
    ['client_vs_redis', ['--low-water', '20000'], /--low-water must not exceed --batch/],
    ['client_vs_redis', ['--pool-threads', '0'], /--pool-threads must be a whole number in 1\.\.256, not "0"/],
    ['grpc_api_compare', ['--apis', 'callback,cqx'], /--apis must be callback, sync or cqN \(N = 1\.\.99\), not "cqx"/],
    ['grpc_api_compare', ['--modes', 'stream,bidi'], /--modes must be one of stream, unary, batch, not "bidi"/],
    ['grpc_api_compare', ['--concurrency', '4,,16'], /--concurrency must be whole numbers in 1\.\.10000, comma-separated, not ""/],
    ['grpc_api_compare', ['--max-load', 'low'], /--max-load must be a number >= 0, not "low"/],
    ['tracing_overhead', ['--rounds', '0'], /--rounds must be a whole number in 1\.\.100, not "0"/],
    ['tracing_overhead', ['--modes', 'all'], /--modes must be one of unary, stream, batch, not "all"/],
    ['core_bench', ['--bin', '/nonexistent/core_bench'], /--bin \/nonexistent\/core_bench: not built/],
    ['core_bench', ['--benchmark_out=x.json'], /--benchmark_out is set by this program/],
    ['core_bench', ['--repetitions', '3'], /Unknown option '--repetitions'/],
    ['segment_vs_peers', ['--clients', '0'], /--clients must be a whole number in 1\.\.1000, not "0"/],
    ['segment_vs_peers', ['--duration', 'x'], /--duration must be a number of seconds/],
    ['who_stalls', ['--seconds', '0'], /--seconds must be a whole number in 1\.\.600, not "0"/],
    ['who_stalls', ['--min-us', 'x'], /--min-us must be a whole number/],
  ];
  for (const [name, args, message] of cases) {
    const what = `${name} ${args.join(' ')}`;
    const r = await runBench(name, args, { timeoutMs: 20000 });
    assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, message, what);
    assert.match(r.stderr, /usage: /, what);
    // Nothing ran: no log line, no table.
    assert.doesNotMatch(r.stderr, /\] \w+: /, what);
    assert.equal(r.stdout, '', what);
  }
});
