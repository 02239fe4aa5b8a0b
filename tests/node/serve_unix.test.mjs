// Copyright idgen authors.
//
// `idgen serve --listen unix:PATH`, black box: the real binary, driven over
// the Unix socket by @grpc/grpc-js and by `idgen bench`.
//   - NextIds, StreamIds and health over the socket; the socket file is
//     removed when the node stops;
//   - a second node on the same path is refused and changes nothing (the
//     first keeps serving, no worker id stays claimed); a socket left by a
//     node killed with -9 is replaced;
//   - --socket-mode (and IDGEN_SOCKET_MODE) sets the socket's permissions;
//   - bad addresses and modes exit with a message, and a file that is not a
//     socket is never removed;
//   - the REST gateway balances over two nodes on Unix sockets.
// Run: IDGEN_BIN=/path/to/idgen node --test
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';

import {
  assertStrictlyIncreasing,
  grpcClients,
  runIdgen,
  startNode,
  streamIds,
  tempDir,
  toBig,
  unary,
  workerOf,
} from './lib/harness.mjs';
import { request, startGateway } from './lib/gateway_harness.mjs';

const isSocket = (p) => {
  try {
    return lstatSync(p).isSocket();
  } catch {
    return false;
  }
};

// `idgen serve` on a Unix socket that must not start: { code, stderr }.
async function serveFails(listen, stateDir, extra = []) {
  const r = await runIdgen(
    ['serve', '--listen', listen, '--admin-listen', '127.0.0.1:0', '--state-dir', stateDir, ...extra],
    { timeoutMs: 10000 },
  );
  assert.equal(r.timedOut, false, `serve on ${listen} kept running; stderr:\n${r.stderr}`);
  assert.notEqual(r.code, 0, `serve on ${listen} started; stderr:\n${r.stderr}`);
  return r;
}

async function takeIds(address, count) {
  const { idgen } = grpcClients(undefined, address);
  try {
    const res = await unary(idgen, 'NextIds', { namespace: 'default', count });
    return toBig(res.ids);
  } finally {
    idgen.close();
  }
}

test('unix socket: NextIds, StreamIds and health over it; the file goes when the node stops', async (t) => {
  const dir = tempDir(t);
  const sock = path.join(dir, 'grpc.sock');
  const node = await startNode(t, { stateDir: path.join(dir, 'state'), listen: `unix:${sock}` });
  assert.ok(isSocket(sock), `${sock} should be a socket while the node runs`);

  const { idgen, health } = grpcClients(t, node.address);
  const batch = toBig((await unary(idgen, 'NextIds', { namespace: 'default', count: 1000 })).ids);
  assert.equal(batch.length, 1000);
  assertStrictlyIncreasing(batch, 'NextIds over the socket');

  const requests = Array.from({ length: 500 }, () => ({ namespace: 'default', count: 1 }));
  const streamed = (await streamIds(idgen, requests)).flatMap((r) => toBig(r.ids));
  assert.equal(streamed.length, 500);
  assertStrictlyIncreasing(streamed, 'StreamIds over the socket');
  assert.ok(streamed[0] > batch[batch.length - 1], 'stream IDs follow the batch');

  const check = await unary(health, 'Check', { service: '' });
  assert.equal(check.status, 'SERVING');
  const info = await unary(idgen, 'GetInfo', {});
  assert.equal(info.worker_id, '0');

  const exit = await node.stop();
  assert.equal(exit.code, 0, node.stderr);
  assert.equal(isSocket(sock), false, 'the socket file is removed on shutdown');
});

test('unix socket: a second node on a path in use is refused and changes nothing; a stale socket is replaced', async (t) => {
  const dir = tempDir(t);
  const stateDir = path.join(dir, 'state');
  const sock = path.join(dir, 'grpc.sock');
  const first = await startNode(t, { stateDir, listen: `unix:${sock}` });
  const before = await takeIds(first.address, 10);

  const refused = await serveFails(`unix:${sock}`, stateDir);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /unix:.*grpc\.sock: a process is listening on it already/);

  // The first node still owns the socket and serves on it.
  assert.ok(isSocket(sock));
  const after = await takeIds(first.address, 10);
  assert.ok(after[0] > before[before.length - 1]);

  // The refused node held no worker id: the next node in the state dir gets 1.
  const second = await startNode(t, { stateDir, listen: `unix:${path.join(dir, 'other.sock')}` });
  const { idgen } = grpcClients(t, second.address);
  assert.equal((await unary(idgen, 'GetInfo', {})).worker_id, '1');

  // kill -9 leaves the socket file behind; a new node replaces it.
  await first.kill9();
  assert.ok(isSocket(sock), 'a killed node leaves its socket file');
  const third = await startNode(t, { stateDir, listen: `unix:${sock}` });
  const ids = await takeIds(third.address, 10);
  assert.equal(ids.length, 10);
  await third.stop();
  assert.equal(isSocket(sock), false);
});

test('unix socket: --socket-mode and IDGEN_SOCKET_MODE set the permissions of the socket file', async (t) => {
  const dir = tempDir(t);
  const stateDir = path.join(dir, 'state');
  const flag = path.join(dir, 'flag.sock');
  const a = await startNode(t, { stateDir, listen: `unix:${flag}`, args: ['--socket-mode', '660'] });
  assert.equal(lstatSync(flag).mode & 0o777, 0o660);
  const env = path.join(dir, 'env.sock');
  const b = await startNode(t, { stateDir, listen: `unix:${env}`, env: { IDGEN_SOCKET_MODE: '0600' } });
  assert.equal(lstatSync(env).mode & 0o777, 0o600);
  for (const node of [a, b]) {
    const { health } = grpcClients(t, node.address);
    assert.equal((await unary(health, 'Check', { service: '' })).status, 'SERVING');
  }
});

test('unix socket: bad addresses exit with a message; a file that is not a socket is left alone', async (t) => {
  const dir = tempDir(t);
  const stateDir = path.join(dir, 'state');
  const cases = [
    ['unix:', 2, /non-empty path/],
    ['unix://host/grpc.sock', 2, /has no host/],
    [`unix:${dir}/${'x'.repeat(120)}`, 2, /bytes; the kernel takes at most 107/],
    ['nonsense', 2, /expected HOST:PORT .* or unix:PATH/],
    [`unix:${dir}/missing/grpc.sock`, 1, /directory ".*missing" does not exist/],
  ];
  for (const [listen, code, pattern] of cases) {
    const r = await serveFails(listen, stateDir);
    assert.equal(r.code, code, `${listen}: ${r.stderr}`);
    assert.match(r.stderr, pattern, listen);
  }

  const modes = [
    ['unix:' + path.join(dir, 'm.sock'), ['--socket-mode', '9a'], /three octal digits/],
    ['unix:' + path.join(dir, 'm.sock'), ['--socket-mode', '1777'], /three octal digits/],
    ['127.0.0.1:0', ['--socket-mode', '660'], /applies only to --listen unix:PATH/],
  ];
  for (const [listen, extra, pattern] of modes) {
    const r = await serveFails(listen, stateDir, extra);
    assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  assert.equal(isSocket(path.join(dir, 'm.sock')), false, 'a rejected mode binds nothing');

  const file = path.join(dir, 'not-a-socket');
  writeFileSync(file, 'keep me');
  const r = await serveFails(`unix:${file}`, stateDir);
  assert.match(r.stderr, /exists and is not a socket; it is left alone/);
  assert.equal(readFileSync(file, 'utf8'), 'keep me');
});

test('unix socket: idgen bench drives a node over it', async (t) => {
  const dir = tempDir(t);
  const sock = path.join(dir, 'grpc.sock');
  const node = await startNode(t, { stateDir: path.join(dir, 'state'), listen: `unix:${sock}` });
  const r = await runIdgen(
    ['bench', '--target', node.address, '--mode', 'stream', '--count', '1', '--concurrency', '4',
      '--duration', '1', '--warmup', '0', '--json'],
    { timeoutMs: 20000 },
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.ok(out.requests > 0, r.stdout);
  assert.equal(out.ids_checked, out.ids_received);
  assert.ok(out.ids_received >= out.requests);
  assert.equal(out.duplicates, 0);
  assert.equal(out.order_violations, 0);
});

test('unix socket: the gateway balances over two nodes on sockets', async (t) => {
  const dir = tempDir(t);
  const stateDir = path.join(dir, 'state');
  const a = await startNode(t, { stateDir, listen: `unix:${path.join(dir, 'a.sock')}` });
  const b = await startNode(t, { stateDir, listen: `unix:${path.join(dir, 'b.sock')}` });
  const gw = await startGateway(t, { backends: [a.address, b.address] });
  const workers = new Set();
  for (let i = 0; i < 20; i++) {
    const res = await request(gw.port, 'GET', '/v1/ids?count=2');
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.ids.length, 2);
    for (const id of toBig(res.json.ids)) workers.add(workerOf(id));
  }
  assert.deepEqual([...workers].sort(), [0, 1], 'IDs from both nodes');

  const bad = await runIdgen(['gateway', '--listen', '127.0.0.1:0', '--backends',
    `${a.address},127.0.0.1:1`], { timeoutMs: 10000 });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /cannot be mixed/);
});
