// Copyright idgen authors.
//
// Black-box tests of bench/grpc_vs_redis.sh, the script that measures a node
// beside Redis: run for real (a real Redis, real nodes, `idgen bench`), with
// 1-second runs and no SCHED_FIFO or stall probe, so that it is a check of
// the script, not a measurement.
//   - over TCP and Unix sockets it ends with exit 0, prints every row and
//     every target line, checks every ID, and divides each row by the right
//     Redis figure (the Unix-socket rows by Redis on a socket, all others,
//     the unary row included, by Redis on TCP);
//   - TCP only (UDS=0) prints no socket rows and still reports;
//   - every bad setting exits 2 naming the setting, before starting anything.
// Run: IDGEN_BIN=/path/to/idgen node --test
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

import { idgenBin } from './lib/harness.mjs';

const SCRIPT = fileURLToPath(new URL('../../bench/grpc_vs_redis.sh', import.meta.url));

// Runs the script with `env` added; kills its process group after timeoutMs.
function runScript(env, { timeoutMs = 150000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT], {
      env: { ...process.env, IDGEN: idgenBin(), ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // TERM first: the script's trap stops what it started.
      process.kill(-child.pid, 'SIGTERM');
      setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000).unref();
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

const QUICK = { DURATION: '1', WARMUP: '0', STALL_PROBE: '0', RT: '0', KEEP: '1' };

// The kept summary.json (KEEP=1 names it on stderr); removes the kept dir.
function takeSummary(t, stderr) {
  const m = stderr.match(/JSON in (\S+summary\.json)/);
  assert.ok(m, `no summary path on stderr:\n${stderr}`);
  t.after(() => fs.rmSync(path.dirname(m[1]), { recursive: true, force: true }));
  return JSON.parse(fs.readFileSync(m[1], 'utf8'));
}

// The "req ratio" column of the table row starting with `label`.
function ratioOf(stdout, label) {
  const line = stdout.split('\n').find((l) => l.startsWith(label));
  assert.ok(line, `no row "${label}" in:\n${stdout}`);
  const numbers = line.slice(label.length).replace(/\(C=[^)]*\)/, '').trim().split(/\s+/);
  // requests/s, IDs/s, p50, p99, p999, req ratio, ...
  const ratio = Number(numbers[5]);
  assert.ok(Number.isFinite(ratio), `ratio of "${label}" is not a number: ${line}`);
  return ratio;
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

test('over TCP and Unix sockets: every row, every target, the right bar for each ratio', async (t) => {
  const r = await runScript({ ...QUICK, UDS: '1' });
  assert.equal(r.timedOut, false, `timed out:\n${r.stderr}`);
  assert.equal(r.code, 0, `exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
  const summary = takeSummary(t, r.stderr);
  const { idgen } = summary;
  for (const run of ['stream', 'unary', 'batch', 'half', 'ustream', 'uhalf']) {
    assert.ok(idgen[run], `no ${run} result in summary.json`);
    assert.equal(idgen[run].error_total, 0, `${run} had errors`);
  }
  assertEveryIdChecked(r.stdout, ['stream', 'unary', 'batch', 'half', 'ustream', 'uhalf']);
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
  const tcp = better(summary.redis);
  const unix = better(summary.redis_unix);
  assert.ok(tcp > 0 && unix > 0, 'Redis figures missing');
  // TCP rows by Redis on TCP; NextId is TCP even though its name starts with "u".
  assert.ok(close(ratioOf(r.stdout, 'idgen NextId (unary)'), idgen.unary.rps / tcp));
  assert.ok(close(ratioOf(r.stdout, 'idgen StreamIds, 1 ID/request'), idgen.stream.rps / tcp));
  assert.ok(close(ratioOf(r.stdout, 'idgen StreamIds on a Unix socket'), idgen.ustream.rps / unix));
  assert.match(r.stdout, /^node RSS MiB: start \d/m);
});

test('TCP only (UDS=0): no socket rows, the report still complete', async (t) => {
  const r = await runScript({ ...QUICK, UDS: '0' });
  assert.equal(r.timedOut, false, `timed out:\n${r.stderr}`);
  assert.equal(r.code, 0, `exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
  const summary = takeSummary(t, r.stderr);
  assert.equal(summary.redis_unix, null);
  assert.equal(summary.idgen.ustream, undefined);
  assert.doesNotMatch(r.stdout, /Unix socket/);
  assertEveryIdChecked(r.stdout, ['stream', 'unary', 'batch', 'half']);
  assert.ok(close(ratioOf(r.stdout, 'idgen NextId (unary)'), summary.idgen.unary.rps / better(summary.redis)));
  assert.match(r.stdout, /^target p99 < 1 ms at half load/m);
});

test('bad settings exit 2 naming the setting, before anything starts', async () => {
  const cases = [
    [{ DURATION: 'abc' }, /DURATION must be a number of seconds >= 1, not "abc"/],
    [{ DURATION: '0.5' }, /DURATION must be a number of seconds >= 1/],
    [{ WARMUP: '-1' }, /WARMUP must be a number of seconds >= 0/],
    [{ STREAM_CONCURRENCY: '0' }, /STREAM_CONCURRENCY must be a whole number >= 1, not "0"/],
    [{ REDIS_CLIENTS: 'many' }, /REDIS_CLIENTS must be a whole number >= 1/],
    [{ SOAK: '1e3' }, /SOAK must be a whole number >= 0/],
    [{ EXTRA_RATES: '1000 fast' }, /EXTRA_RATES must be whole request rates >= 1, not "fast"/],
    [{ UDS: '2' }, /UDS must be 0 or 1, not "2"/],
    [{ PIN: 'yes' }, /PIN must be 0 or 1/],
    [{ RT: 'on' }, /RT must be 0 or 1/],
  ];
  for (const [env, message] of cases) {
    const r = await runScript(env, { timeoutMs: 20000 });
    assert.equal(r.code, 2, `${JSON.stringify(env)}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, message, JSON.stringify(env));
    // Nothing ran: no log line, no table.
    assert.doesNotMatch(r.stderr, /\] redis:|\] idgen bench/, JSON.stringify(env));
    assert.equal(r.stdout, '');
  }
});
