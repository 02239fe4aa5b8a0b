// Copyright idgen authors.
//
// The short chaos run of the test command: the README's chaos command
// (tests/chaos/chaos.mjs for 45 s on three nodes and a three-member etcd,
// faults every ~2 s). Its report must
// show IDs checked, faults injected and no duplicate; then 20 s more with
// --tls (mutual TLS on every link). Long runs are recorded in
// docs/OPERATIONS.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../chaos/chaos.mjs', import.meta.url));

function run(args, timeoutMs, cwd = undefined) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RUNNER, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

// The README's chaos command ("node tests/chaos/chaos.mjs --duration 45 --json
// chaos.json"), as written, in a directory of its own.
function readmeChaosArgs() {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const m = /`node tests\/chaos\/chaos\.mjs ([^`]*)`/.exec(readme);
  assert.ok(m, 'the README shows the chaos command');
  return m[1].split(/\s+/);
}

test('chaos runner, the README\'s command: 45 s of mixed faults, no duplicate', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'idgen-chaos-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const args = readmeChaosArgs();
  assert.deepEqual(args, ['--duration', '45', '--json', 'chaos.json']);
  const { code, out } = await run(args, 180000, dir);
  t.diagnostic(out.split('\n').slice(-12).join('\n'));
  assert.equal(code, 0, out);
  const report = JSON.parse(readFileSync(path.join(dir, 'chaos.json'), 'utf8'));
  assert.equal(report.duplicates, 0);
  assert.ok(report.ids_checked >= 100000, `only ${report.ids_checked} IDs checked`);
  // Three at least: faults on etcd run one at a time, and an outage (every
  // member stopped for 3 s, then the cluster's recovery) can take 11 s of
  // the 45; a run that drew mostly etcd faults got 5.
  assert.ok(report.faults_injected >= 3, `only ${report.faults_injected} faults`);
  assert.ok(report.calls_ok > 0);
  assert.equal(report.segment.duplicates, 0);
  assert.equal(report.segment.order_violations, 0, report.segment.order_violation_examples.join('; '));
  assert.ok(report.segment.ids_checked >= 10000, `only ${report.segment.ids_checked} segment IDs checked`);
});

test('chaos runner over mutual TLS (--tls): 20 s of mixed faults, no duplicate', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'idgen-chaos-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const reportFile = path.join(dir, 'report.json');
  const { code, out } = await run(
    ['--duration', '20', '--fault-every-ms', '1500', '--tls', '--json', reportFile],
    120000,
  );
  t.diagnostic(out.split('\n').slice(-12).join('\n'));
  assert.equal(code, 0, out);
  assert.match(out, /mutual TLS on every link/);
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  assert.equal(report.tls, true);
  assert.equal(report.duplicates, 0);
  assert.ok(report.ids_checked >= 50000, `only ${report.ids_checked} IDs checked`);
  // Two at least: an etcd outage (every member stopped for 3 s, then the
  // TLS cluster's recovery) can take a third of the 20 s, and faults on
  // etcd run one at a time.
  assert.ok(report.faults_injected >= 2, `only ${report.faults_injected} faults`);
});

test('chaos runner: bad flags exit 2 with a reason', async () => {
  for (const [args, pattern] of [
    [[], /--duration is required/],
    [['--duration', 'soon'], /--duration must be a whole number/],
    [['--duration', '30', '--etcd-members', '2'], /1 or 3/],
    [['--duration', '30', '--bogus', '1'], /bogus/],
    [['--duration', '30', '--tls', 'yes'], /tls|Unexpected argument/],
  ]) {
    const { code, out } = await run(args, 10000);
    assert.equal(code, 2, `${args}: ${out}`);
    assert.match(out, pattern);
  }
});
