// Copyright idgen authors.
//
// The README's commands outside the "Try it" block, as written: the main
// job `scripts/run.sh` (setup, build, `idgen up` on its defaults) and its
// other forms, the three-member `idgen up`, a node pointed at etcd on
// another address, the Unix-socket block and the chaos runner. Each runs in
// a network namespace this test makes, so fixed ports (8080, 18888, 50051,
// 2379) meet nothing else; probes run inside it with nsenter. (readme.test.mjs
// runs the "Try it" block; the "Two commands" test command is what CI runs,
// and its asan stage runs the preset block, which is checked here.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { idgenBin, runProcess, sleep, spawnProcess, tempDir, withTimeout } from './lib/harness.mjs';
import { blockOutput, blockScript } from './lib/readme_block.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

// The inline command `cmd` must appear in the README exactly (as code).
function readmeCommand(cmd) {
  assert.ok(README.includes('`' + cmd + '`') || README.includes(cmd + '\n'),
    `the README shows \`${cmd}\``);
  return cmd.split(/\s+/);
}

// A sh block of the README, by a line just above it.
function readmeBlock(marker) {
  const section = README.slice(README.indexOf(marker));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(m, `README has a sh block after "${marker}"`);
  return m[1].split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
}

// A directory where `build/bin/idgen` is the binary under test (the README
// runs it from the checkout's root) and `bin/idgen` the same, for PATH.
function buildDir(t) {
  const dir = tempDir(t, 'idgen-readme-');
  mkdirSync(path.join(dir, 'build', 'bin'), { recursive: true });
  symlinkSync(idgenBin(), path.join(dir, 'build', 'bin', 'idgen'));
  mkdirSync(path.join(dir, 'bin'));
  symlinkSync(idgenBin(), path.join(dir, 'bin', 'idgen'));
  return dir;
}

// Starts `argv` in a network namespace of its own (loopback up, plus
// `addresses` on lo). unshare execs, so the pid is the command's own (and,
// through scripts/run.sh's exec, idgen's). Returns { pid, out, exited, sh }:
// sh(script) runs bash inside the namespace.
async function startInNetns(t, argv, { cwd, env = process.env, addresses = [] } = {}) {
  const setup = ['ip link set lo up', ...addresses.map((a) => `ip addr add ${a} dev lo`), 'exec "$@"'];
  const p = spawnProcess('unshare', ['--net', 'bash', '-c', setup.join('\n'), 'netns', ...argv], { cwd, env });
  const pid = p.child.pid;
  t.after(async () => {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 20000);
      await p.exited;
      clearTimeout(timer);
    }
  });
  const sh = (script, timeoutMs = 30000) =>
    runProcess('nsenter', ['-t', String(pid), '-n', 'bash', '-c', script], { cwd, env, timeoutMs });
  return { pid, out: p.out, exited: p.exited, sh };
}

// Waits (bounded) until `re` is in the output, or fails with it.
async function waitFor(proc, re, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  let exit;
  proc.exited.then((e) => (exit = e));
  while (!re.test(proc.out.stdout + proc.out.stderr)) {
    if (exit || Date.now() > end) {
      assert.fail(`${what}: not seen (exit ${JSON.stringify(exit)}):\n${proc.out.stderr.slice(-4000)}\n${proc.out.stdout.slice(-4000)}`);
    }
    await sleep(200);
  }
}

// A running `idgen up` in its namespace: IDs and dense IDs from the printed
// REST URL, the Swagger page, the dashboard's login URL; then Ctrl-C stops
// everything (no listener left in the namespace, no process of the run
// left). Returns the /v1/info answer.
async function checkUpAndStop(up) {
  await waitFor(up, /Press Ctrl-C to stop/, 240000, 'idgen up ready');
  const text = up.out.stdout;
  const rest = /(http:\/\/127\.0\.0\.1:8080)\/v1\/ids/.exec(text);
  assert.ok(rest, `the REST URL is printed:\n${text}`);
  const login = /(http:\/\/127\.0\.0\.1:18888\/login\?t=[0-9A-Za-z._~-]+)/.exec(text);
  assert.ok(login, `the dashboard's login URL is printed:\n${text}`);

  const ids = await up.sh(`curl -sf '${rest[1]}/v1/ids?count=5'`);
  assert.equal(ids.code, 0, ids.stderr);
  assert.equal(JSON.parse(ids.stdout).ids.length, 5);
  const orders = await up.sh(`curl -sf '${rest[1]}/v1/ids?namespace=orders&count=3'`);
  assert.equal(orders.code, 0, orders.stderr);
  const dense = JSON.parse(orders.stdout).ids.map(Number);
  assert.deepEqual(dense, [dense[0], dense[0] + 1, dense[0] + 2]);
  const docs = await up.sh(`curl -sf '${rest[1]}/docs'`);
  assert.match(docs.stdout, /swagger-ui/i);
  const loggedIn = await up.sh(`curl -s -o /dev/null -w '%{http_code}' '${login[1]}'`);
  assert.equal(loggedIn.stdout, '303', 'the printed login URL logs a browser in');
  const info = JSON.parse((await up.sh(`curl -sf '${rest[1]}/v1/info'`)).stdout);

  // The run's processes: every listener's owner in the namespace.
  const listeners = await up.sh('ss -Hltnp');
  const pids = [...new Set([...listeners.stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
  assert.ok(pids.length >= 3, listeners.stdout);
  process.kill(up.pid, 'SIGINT');
  const exit = await withTimeout(up.exited, 60000, 'idgen up stopping after Ctrl-C');
  assert.equal(exit.code, 0, `Ctrl-C: exit ${JSON.stringify(exit)}\n${up.out.stderr.slice(-3000)}`);
  assert.match(up.out.stderr, /SIGINT, stopping in reverse order/);
  assert.match(up.out.stderr, /idgen up: stopped/);
  for (const pid of pids) {
    let alive = true;
    try { process.kill(pid, 0); } catch { alive = false; }
    assert.equal(alive, false, `pid ${pid} of the run is still there after Ctrl-C`);
  }
  return info;
}

test('README: scripts/run.sh sets up, builds and runs idgen up on its defaults; Ctrl-C stops it', async (t) => {
  const argv = readmeCommand('scripts/run.sh');
  const up = await startInNetns(t, argv, { cwd: ROOT });
  const info = await checkUpAndStop(up);
  assert.equal(info.backends.length, 3, 'three nodes by default');
  assert.match(up.out.stdout, /\[setup\] done/);
  assert.match(up.out.stdout, /\[build\] done/);
});

test('README: scripts/run.sh with arguments runs those (up --nodes 5 --embedded; layout sonyflake)', async (t) => {
  const layoutRun = await startInNetns(t, readmeCommand('scripts/run.sh layout sonyflake'), { cwd: ROOT });
  const layout = await withTimeout(layoutRun.exited, 300000, 'scripts/run.sh layout sonyflake');
  assert.equal(layout.code, 0, layoutRun.out.stderr);
  assert.match(layoutRun.out.stdout, /^sonyflake: 39\/16\/8 bits/m);
  assert.match(layoutRun.out.stdout, /^workers +65536$/m);

  const argv = readmeCommand('scripts/run.sh up --nodes 5 --embedded');
  const up = await startInNetns(t, argv, { cwd: ROOT });
  const info = await checkUpAndStop(up);
  assert.equal(info.backends.length, 5);
  assert.match(up.out.stdout, /^ {2}node-4 +healthy/m);
  assert.doesNotMatch(up.out.stdout, /etcd-0/, 'embedded: no etcd');
});

test('README: build/bin/idgen up --nodes 3 --etcd-members 3', async (t) => {
  const dir = buildDir(t);
  const argv = readmeCommand('build/bin/idgen up --nodes 3 --etcd-members 3');
  const up = await startInNetns(t, argv, { cwd: dir });
  const info = await checkUpAndStop(up);
  assert.equal(info.backends.length, 3);
  const workers = info.backends.map((b) => b.info.worker_id);
  assert.equal(new Set(workers).size, 3, `three worker ids: ${workers}`);
  for (let i = 0; i < 3; i++) assert.match(up.out.stdout, new RegExp(`etcd-${i}`));
});

test('README: idgen serve --etcd http://10.0.0.9:2379 --cluster prod', async (t) => {
  const dir = buildDir(t);
  const env = { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}` };
  const argv = readmeCommand('idgen serve --etcd http://10.0.0.9:2379 --cluster prod');
  // The namespace's loopback gets 10.0.0.9, and an etcd listens there.
  const etcd = await startInNetns(t, ['etcd', '--data-dir', path.join(dir, 'etcd'),
    '--listen-client-urls', 'http://10.0.0.9:2379', '--advertise-client-urls', 'http://10.0.0.9:2379',
    '--listen-peer-urls', 'http://127.0.0.1:2380'], { cwd: dir, addresses: ['10.0.0.9/32'] });
  await waitFor(etcd, /ready to serve client requests|serving insecure client requests/, 30000, 'etcd ready');
  const node = await runProcess('nsenter', ['-t', String(etcd.pid), '-n', 'bash', '-c',
    `${argv.join(' ')} & node=$!
     for i in $(seq 1 100); do idgen info --target 127.0.0.1:50051 > info.txt 2>&1 && break; sleep 0.2; done
     cat info.txt; kill -TERM $node; wait $node; echo "node exit $?"`], { cwd: dir, env, timeoutMs: 60000 });
  assert.match(node.stdout, /worker id +\d+/, node.stdout + node.stderr);
  assert.match(node.stdout, /node exit 0/);
  const keys = await etcd.sh('ETCDCTL_API=3 etcdctl --endpoints http://10.0.0.9:2379 get --prefix --keys-only /');
  assert.match(keys.stdout, /prod/, `the node's keys are under the cluster "prod":\n${keys.stdout}`);
});

test('README: the Unix-socket block runs as written', async (t) => {
  const lines = readmeBlock('Clients on the same machine can skip TCP');
  assert.ok(lines.some((l) => /--listen unix:/.test(l)));
  const dir = buildDir(t);
  writeFileSync(path.join(dir, 'unix.sh'), blockScript(lines));
  const run = await startInNetns(t, ['bash', path.join(dir, 'unix.sh')], { cwd: dir });
  const exit = await withTimeout(run.exited, 120000, 'the Unix-socket block');
  const out = run.out.stdout;
  assert.equal(exit.code, 0, `${out}\n${run.out.stderr}`);
  const part = (re) => blockOutput(out, lines, re);
  assert.match(part(/idgen bench/), /unix:/);
  assert.equal(JSON.parse(part(/curl -s/)).ids.length, 3);
});

test('README: the preset block is what the test command runs for ASan', () => {
  const block = readmeBlock('so each\ncan be made by hand');
  const testSh = readFileSync(path.join(ROOT, 'scripts', 'test.sh'), 'utf8');
  const commands = block.join(' ').split('&&').map((c) => c.trim());
  assert.equal(commands.length, 3);
  for (const c of commands) assert.ok(testSh.includes(c), `scripts/test.sh runs \`${c}\``);
});
