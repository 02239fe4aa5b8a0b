// Copyright idgen authors.
//
// Black-box integration tests of `idgen serve`: the real binary on free ports,
// driven over gRPC (@grpc/grpc-js) and the admin HTTP port.
//   - batch sizes 1..max_batch, every bad input gets the documented status and
//     the node keeps serving;
//   - 128-bit namespaces (uuidv7, ulid);
//   - grpc.health.v1 SERVING, then NOT_SERVING on SIGTERM, exit 0 within the
//     drain timeout, worker id released;
//   - bad flags exit with a message naming the problem;
//   - --realtime-priority puts the gRPC threads, and only they, under SCHED_FIFO;
//   - restart safety: kill -9, restart under libfaketime with the wall clock an
//     hour behind (must refuse) or ~1 s behind (must continue above the
//     previous maximum).
// Run: IDGEN_BIN=/path/to/idgen node --test
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import test from 'node:test';

import {
  assertGrpcError,
  assertStrictlyIncreasing,
  deadline,
  grpc,
  grpcClients,
  runIdgen,
  sleep,
  startNode,
  stopNode,
  tempDir,
  timestampOf,
  toBig,
  unary,
  unaryError,
  waitUntil,
  withTimeout,
  workerOf,
  writeJson,
} from './lib/harness.mjs';

const MAX_BATCH = 10000;

// Takes `count` default-namespace IDs in batches of at most MAX_BATCH.
async function takeIds(idgen, count) {
  const all = [];
  while (all.length < count) {
    const n = Math.min(MAX_BATCH, count - all.length);
    const res = await unary(idgen, 'NextIds', { namespace: 'default', count: n });
    assert.equal(res.ids.length, n);
    all.push(...toBig(res.ids));
  }
  return all;
}

test('NextIds: batch sizes 1..max_batch; bad input gets the right status and the node keeps serving', async (t) => {
  const node = await startNode(t, { stateDir: tempDir(t) });
  const { idgen } = grpcClients(t, node.address);
  const info = await unary(idgen, 'GetInfo', {});
  const def = info.namespaces.find((ns) => ns.name === 'default');
  assert.equal(def.max_batch, MAX_BATCH);
  assert.equal(def.scheme, 'snowflake');
  const workerId = Number(info.worker_id);

  const issued = [];
  const good = async (count = 1, namespace = 'default') => {
    const res = await unary(idgen, 'NextIds', { namespace, count });
    assert.equal(res.namespace, 'default');
    assert.equal(res.scheme, 'snowflake');
    assert.equal(res.ids.length, count, `count ${count}: got ${res.ids.length} ids`);
    assert.equal(res.ids128.length, 0);
    const ids = toBig(res.ids);
    assertStrictlyIncreasing(ids, `NextIds(count=${count})`);
    if (issued.length > 0) {
      assert.ok(
        ids[0] > issued[issued.length - 1],
        `batch of ${count} starts at or below the previous batch`,
      );
    }
    for (const id of ids) assert.equal(workerOf(id), workerId);
    issued.push(...ids);
    return ids;
  };

  for (const count of [1, 2, 100, 4095, 4096, 4097, 8192, 9999, MAX_BATCH]) {
    await good(count);
  }
  await good(7, ''); // empty namespace means "default"
  const one = await unary(idgen, 'NextId', { namespace: '' });
  assert.ok(BigInt(one.id) > issued[issued.length - 1], 'NextId not above the last batch');
  issued.push(BigInt(one.id));
  assert.equal(new Set(issued.map(String)).size, issued.length, 'duplicate ids across batches');
  const now = Date.now();
  for (const id of [issued[0], issued[issued.length - 1]]) {
    assert.ok(Math.abs(timestampOf(id) - now) < 60000, `timestamp of ${id} not near now`);
  }

  // Decode round-trips a good id.
  const last = issued[issued.length - 1];
  const dec = await unary(idgen, 'Decode', { namespace: 'default', id: String(last) });
  assert.equal(Number(dec.worker), workerId);
  assert.equal(Number(dec.timestamp_ms), timestampOf(last));
  assert.equal(BigInt(dec.sequence), last & 0xfffn);

  const bad = [
    [
      'count over max_batch',
      'NextIds',
      { namespace: 'default', count: MAX_BATCH + 1 },
      grpc.status.RESOURCE_EXHAUSTED,
    ],
    [
      'count far over max_batch',
      'NextIds',
      { namespace: 'default', count: 4294967295 },
      grpc.status.RESOURCE_EXHAUSTED,
    ],
    ['count 0', 'NextIds', { namespace: 'default', count: 0 }, grpc.status.INVALID_ARGUMENT],
    [
      'unknown namespace',
      'NextIds',
      { namespace: 'no-such-namespace', count: 1 },
      grpc.status.INVALID_ARGUMENT,
    ],
    [
      'unknown namespace (NextId)',
      'NextId',
      { namespace: 'no-such-namespace' },
      grpc.status.INVALID_ARGUMENT,
    ],
    [
      'Decode: id beyond the layout',
      'Decode',
      { namespace: 'default', id: '18446744073709551615' },
      grpc.status.INVALID_ARGUMENT,
    ],
    [
      'Decode: top bit set',
      'Decode',
      { namespace: 'default', id: '9223372036854775808' },
      grpc.status.INVALID_ARGUMENT,
    ],
    [
      'Decode: unknown namespace',
      'Decode',
      { namespace: 'no-such-namespace', id: '1' },
      grpc.status.INVALID_ARGUMENT,
    ],
    [
      'Decode: uuidv7 id128 of 3 bytes',
      'Decode',
      { namespace: 'uuidv7', id128: Buffer.from([1, 2, 3]) },
      grpc.status.INVALID_ARGUMENT,
    ],
  ];
  for (const [what, method, req, code] of bad) {
    await t.test(what, async () => {
      await assertGrpcError(unary(idgen, method, req), code);
      // The node keeps serving, and keeps increasing.
      await good(3);
    });
  }

  // StreamIds answers a bad request in-band and the stream stays open.
  const stream = idgen.StreamIds({ deadline: deadline(10000) });
  const responses = [];
  const done = new Promise((resolve, reject) => {
    stream.on('data', (r) => responses.push(r));
    stream.on('error', reject);
    stream.on('end', resolve);
  });
  for (const count of [2, 0, MAX_BATCH + 1, 3]) stream.write({ namespace: 'default', count });
  stream.write({ namespace: 'no-such-namespace', count: 1 });
  stream.write({ namespace: 'default', count: 1 });
  stream.end();
  await withTimeout(done, 10000, 'StreamIds with bad requests');
  assert.equal(responses.length, 6);
  const codes = responses.map((r) => r.error_code);
  assert.deepEqual(codes, [
    0,
    grpc.status.INVALID_ARGUMENT,
    grpc.status.RESOURCE_EXHAUSTED,
    0,
    grpc.status.INVALID_ARGUMENT,
    0,
  ]);
  for (const r of responses.filter((x) => x.error_code !== 0)) {
    assert.ok(r.error_message.length > 0, 'in-band error without a message');
    assert.equal(r.ids.length, 0);
  }
  const streamed = responses.flatMap((r) => toBig(r.ids));
  assert.equal(streamed.length, 6);
  assertStrictlyIncreasing([issued[issued.length - 1], ...streamed], 'StreamIds after unary');

  // Still healthy after all of that.
  assert.equal((await node.health()).status, 200);
  assert.equal(node.exit, undefined, 'node exited');
});

test('uuidv7 and ulid namespaces return 16-byte ids128, increasing', async (t) => {
  const node = await startNode(t, { stateDir: tempDir(t) });
  const { idgen } = grpcClients(t, node.address);
  for (const ns of ['uuidv7', 'ulid']) {
    const res = await unary(idgen, 'NextIds', { namespace: ns, count: 1000 });
    assert.equal(res.scheme, ns);
    assert.equal(res.namespace, ns);
    assert.equal(res.ids.length, 0);
    assert.equal(res.ids128.length, 1000);
    for (const b of res.ids128) {
      assert.ok(Buffer.isBuffer(b));
      assert.equal(b.length, 16);
    }
    for (let i = 1; i < res.ids128.length; i++) {
      assert.ok(
        Buffer.compare(res.ids128[i - 1], res.ids128[i]) < 0,
        `${ns} ids128 not increasing at ${i}`,
      );
    }
    const one = await unary(idgen, 'NextId', { namespace: ns });
    assert.equal(one.id128.length, 16);
    assert.ok(Buffer.compare(res.ids128[999], one.id128) < 0, `${ns} NextId not above the batch`);
    // 48-bit big-endian Unix ms timestamp in both schemes.
    const ms = Number(one.id128.readUIntBE(0, 6));
    assert.ok(Math.abs(ms - Date.now()) < 60000, `${ns} timestamp ${ms} not near now`);
    if (ns === 'uuidv7') {
      assert.equal(one.id128[6] >> 4, 7, 'UUID version nibble');
      assert.equal(one.id128[8] >> 6, 0b10, 'UUID variant bits');
    }
    const dec = await unary(idgen, 'Decode', { namespace: ns, id128: one.id128 });
    assert.equal(Number(dec.timestamp_ms), ms);
  }
});

test('health: SERVING, then NOT_SERVING on SIGTERM; exit 0 within the drain timeout; worker id released', async (t) => {
  const stateDir = tempDir(t);
  const drainMs = 2000;
  const node = await startNode(t, {
    stateDir,
    workerId: 5,
    args: ['--drain-timeout-ms', String(drainMs)],
  });
  const { idgen, health } = grpcClients(t, node.address);
  for (const service of ['', 'idgen.v1.IdGenerator']) {
    const res = await unary(health, 'Check', { service });
    assert.equal(res.status, 'SERVING', `Check("${service}")`);
  }
  await assertGrpcError(
    unary(health, 'Check', { service: 'no.such.Service' }),
    grpc.status.NOT_FOUND,
  );
  const info = await unary(idgen, 'GetInfo', {});
  assert.equal(Number(info.worker_id), 5);
  assert.equal(info.serving, true);
  const before = toBig((await unary(idgen, 'NextIds', { namespace: 'default', count: 10 })).ids);

  // Watch both services; each must go SERVING -> NOT_SERVING.
  const watch = (service) => {
    const seen = [];
    const call = health.Watch({ service }, { deadline: deadline(drainMs + 8000) });
    let onFirst;
    const first = new Promise((resolve) => (onFirst = resolve));
    const sawNotServing = new Promise((resolve, reject) => {
      call.on('data', (r) => {
        seen.push(r.status);
        onFirst();
        if (r.status === 'NOT_SERVING') resolve(seen);
      });
      call.on('error', (err) =>
        reject(
          new Error(
            `Watch("${service}") ended with ${err.code} ${err.details} after ${JSON.stringify(seen)}`,
          ),
        ),
      );
      call.on('end', () =>
        reject(new Error(`Watch("${service}") ended after ${JSON.stringify(seen)}`)),
      );
    });
    sawNotServing.catch(() => {});
    return { call, seen, first, sawNotServing };
  };
  const watches = ['', 'idgen.v1.IdGenerator'].map(watch);
  await withTimeout(Promise.all(watches.map((w) => w.first)), 5000, 'first Watch message');
  for (const w of watches) assert.deepEqual(w.seen, ['SERVING']);

  const t0 = Date.now();
  process.kill(node.pid, 'SIGTERM');
  for (const w of watches) {
    const seen = await withTimeout(w.sawNotServing, drainMs + 5000, 'NOT_SERVING on Watch');
    assert.equal(seen[seen.length - 1], 'NOT_SERVING');
    w.call.cancel();
  }
  const exit = await withTimeout(node.exited, drainMs + 5000, 'exit after SIGTERM');
  const elapsed = Date.now() - t0;
  assert.deepEqual(
    { code: exit.code, signal: exit.signal },
    { code: 0, signal: null },
    node.stderr,
  );
  assert.ok(elapsed < drainMs + 2000, `exit took ${elapsed} ms, drain timeout ${drainMs} ms`);
  assert.match(node.stderr, /released/);

  // The worker id was released: a new node claims the same id at once.
  const again = await startNode(t, { stateDir, workerId: 5 });
  const { idgen: idgen2 } = grpcClients(t, again.address);
  const info2 = await unary(idgen2, 'GetInfo', {});
  assert.equal(Number(info2.worker_id), 5);
  const after = toBig((await unary(idgen2, 'NextIds', { namespace: 'default', count: 10 })).ids);
  assert.ok(
    after[0] > before[before.length - 1],
    'restarted node issued at or below the previous node',
  );
  await stopNode(again);
});

test('bad flags: exit with a message naming the problem', async (t) => {
  const stateDir = tempDir(t);
  const base = (extra) => [
    'serve',
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    '127.0.0.1:0',
    '--state-dir',
    stateDir,
    ...extra,
  ];
  const expectExit = async (args, code, pattern) => {
    const r = await runIdgen(args, { timeoutMs: 10000 });
    assert.equal(r.timedOut, false, `idgen ${args.join(' ')} kept running; stderr:\n${r.stderr}`);
    const msg = r.stderr + r.stdout;
    if (code === 'nonzero') assert.notEqual(r.code, 0, msg);
    else assert.equal(r.code, code, msg);
    assert.match(msg, pattern);
  };

  await t.test('--worker-id -1', () => expectExit(base(['--worker-id', '-1']), 2, /worker-id/));
  await t.test('--worker-id beyond the layout', () =>
    expectExit(base(['--worker-id', '1024']), 2, /worker/i),
  );
  await t.test('--config with an unknown key', async () => {
    const cfg = writeJson(stateDir, 'bad.json', {
      namespaces: [{ name: 'default', scheme: 'snowflake', colour: 'blue' }],
    });
    await expectExit(base(['--config', cfg]), 2, /colour/);
  });
  await t.test('--config with an unknown top-level key', async () => {
    const cfg = writeJson(stateDir, 'bad2.json', { reservation_ahead_msec: 3000 });
    await expectExit(base(['--config', cfg]), 2, /reservation_ahead_msec/);
  });
  await t.test('--config that does not exist', () =>
    expectExit(base(['--config', `${stateDir}/missing.json`]), 2, /missing\.json/),
  );
  await t.test('--listen nonsense', () =>
    expectExit(
      ['serve', '--listen', 'nonsense', '--admin-listen', '127.0.0.1:0', '--state-dir', stateDir],
      2,
      /--listen.*nonsense/,
    ),
  );
  await t.test('--admin-listen with a bad port', () =>
    expectExit(
      [
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--admin-listen',
        '127.0.0.1:99999',
        '--state-dir',
        stateDir,
      ],
      2,
      /--admin-listen/,
    ),
  );
  for (const bad of ['100', '-1', 'high']) {
    await t.test(`--realtime-priority ${bad}`, () =>
      expectExit(base(['--realtime-priority', bad]), 2, /--realtime-priority.*0\.\.99/),
    );
  }
  await t.test('IDGEN_REALTIME_PRIORITY out of range', async () => {
    const r = await runIdgen(base([]), { env: { IDGEN_REALTIME_PRIORITY: '120' } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--realtime-priority.*0\.\.99, got "120"/);
  });
  await t.test('--worker-id already taken', async (tt) => {
    const holder = await startNode(tt, { stateDir, workerId: 3 });
    await expectExit(base(['--worker-id', '3']), 'nonzero', /already held/);
    // The holder is unaffected.
    assert.equal((await holder.health()).status, 200);
  });
});

// The scheduling policy and priority of each thread of `pid`, by name
// (/proc/PID/task/TID/stat fields 40 rt_priority and 41 policy).
function threadSchedules(pid) {
  const out = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3
    out.push({ name, priority: Number(fields[40 - 3]), policy: Number(fields[41 - 3]) });
  }
  return out;
}

test('every flag of serve, gateway and up has its IDGEN_* variable (units and containers set flags through them)', async () => {
  for (const cmd of ['serve', 'gateway', 'up']) {
    const r = await runIdgen([cmd, '--help']);
    assert.equal(r.code, 0, r.stderr);
    const options = r.stdout.split('\n').filter((l) => /^\s+--[a-z]/.test(l) && !/^\s+--help\b/.test(l));
    assert.ok(options.length >= 10, `${cmd}: ${options.length} options in --help`);
    for (const line of options) assert.match(line, /\(Env:IDGEN_[A-Z0-9_]+\)/, `${cmd}: ${line.trim()}`);
  }
});

test('--realtime-priority: the gRPC threads, and only they, run SCHED_FIFO; the node serves', async (t) => {
  const node = await startNode(t, {
    stateDir: tempDir(t),
    args: ['--realtime-priority', '6', '--grpc-threads', '2'],
  });
  const threads = threadSchedules(node.pid);
  const queues = threads.filter((th) => th.name.startsWith('idgen-cq-'));
  assert.equal(queues.length, 2, JSON.stringify(threads));
  for (const th of threads) {
    const fifo = th.name.startsWith('idgen-cq-');
    assert.deepEqual([th.policy, th.priority], fifo ? [1, 6] : [0, 0], th.name);
  }
  const { idgen } = grpcClients(t, node.address);
  const ids = await takeIds(idgen, 5);
  assert.equal(ids.length, 5);
});

// ---------------------------------------------------------------------------
// Restart safety, black box.

async function issueThenKill(t, stateDir, args = []) {
  const node = await startNode(t, { stateDir, workerId: 0, args });
  const { idgen, close } = grpcClients(null, node.address);
  const ids = await takeIds(idgen, 20000);
  close();
  assertStrictlyIncreasing(ids, 'first run');
  const max = ids[ids.length - 1];
  const exit = await node.kill9();
  assert.equal(exit.signal, 'SIGKILL');
  return max;
}

test('restart safety: kill -9, restart with the wall clock an hour behind -> refuses, never reuses time', async (t) => {
  const stateDir = tempDir(t);
  const max = await issueThenKill(t, stateDir);

  const node = await startNode(t, { stateDir, workerId: 0, faketime: '-1h', waitFor: 'alive' });
  const { idgen, health } = grpcClients(t, node.address);
  // The fake clock is really in effect for the node.
  const info = await node.info();
  assert.ok(
    Number(info.started_at_ms) < Date.now() - 3500 * 1000,
    `started_at_ms ${info.started_at_ms} is not an hour in the past: faketime not applied?`,
  );
  assert.equal(info.serving, false, JSON.stringify(info));
  assert.equal(Number(info.worker_id), 0);
  assert.ok(
    BigInt(info.reserved_until_ms) > BigInt(timestampOf(max)),
    'reservation not above the previous run',
  );

  const h = await node.health();
  assert.equal(h.status, 503, h.body);
  assert.equal(h.json?.status, 'not_serving');
  assert.match(h.json?.reason ?? '', /clock/i);
  for (const service of ['', 'idgen.v1.IdGenerator']) {
    assert.equal((await unary(health, 'Check', { service })).status, 'NOT_SERVING');
  }

  // Try for a while, every API that issues: each must refuse (UNAVAILABLE);
  // any id that does come back must be above the previous maximum.
  const returned = [];
  const deadlineAt = Date.now() + 1500;
  let attempts = 0;
  while (Date.now() < deadlineAt) {
    attempts++;
    const r = await unaryError(idgen, 'NextIds', { namespace: 'default', count: 100 });
    if (r.ok) returned.push(...toBig(r.response.ids));
    else assert.equal(r.error.code, grpc.status.UNAVAILABLE, r.error.details);
    if (!r.ok) assert.match(r.error.details, /clock/i);
    const r1 = await unaryError(idgen, 'NextId', { namespace: 'default' });
    if (r1.ok) returned.push(BigInt(r1.response.id));
    else assert.equal(r1.error.code, grpc.status.UNAVAILABLE, r1.error.details);
    await sleep(50);
  }
  const streamed = await new Promise((resolve, reject) => {
    const call = idgen.StreamIds({ deadline: deadline(5000) });
    const out = [];
    call.on('data', (r) => out.push(r));
    call.on('error', reject);
    call.on('end', () => resolve(out));
    call.write({ namespace: 'default', count: 10 });
    call.end();
  });
  assert.equal(streamed.length, 1);
  for (const r of streamed) {
    returned.push(...toBig(r.ids));
    if (r.ids.length === 0) assert.equal(r.error_code, grpc.status.UNAVAILABLE);
  }
  for (const id of returned) assert.ok(id > max, `reissued time: ${id} <= previous max ${max}`);
  assert.equal(
    returned.length,
    0,
    `node issued ${returned.length} ids while its clock is an hour behind`,
  );
  assert.ok(attempts > 3);

  // Still not serving; the reason still names the clock.
  const h2 = await node.health();
  assert.equal(h2.status, 503);
  const info2 = await node.info();
  const def = info2.namespaces.find((ns) => ns.name === 'default');
  assert.ok(BigInt(def.last_issued_ms) >= BigInt(timestampOf(max)));
  // Once it has been asked, the namespace's clock state says why.
  assert.equal(def.clock.state, 'refusing', JSON.stringify(def.clock));
  assert.ok(Number(def.clock.lag_ms) > 3500 * 1000, JSON.stringify(def.clock));
  assert.equal(node.exit, undefined, 'node exited instead of refusing');
});

test('restart safety: kill -9, restart with the wall clock ~1 s behind (within the borrow bound) -> serves above the previous max', async (t) => {
  const stateDir = tempDir(t);
  // Keep the reservation only 500 ms ahead, so that after the restart the
  // distance between the fake clock and the stored reservation (~1 s + at
  // most 500 ms) is inside the 2 s borrow bound: the node must serve at once,
  // on logical time.
  const cfg = writeJson(stateDir, 'idgen.json', {
    reservation_ahead_ms: 500,
    namespaces: [
      {
        name: 'default',
        scheme: 'snowflake',
        layout: 'twitter',
        max_batch: MAX_BATCH,
        clock: { max_wait_ms: 5, max_borrow_ms: 2000 },
      },
    ],
  });
  const max = await issueThenKill(t, stateDir, ['--config', cfg]);

  const spawnedAt = Date.now();
  const node = await startNode(t, {
    stateDir,
    workerId: 0,
    args: ['--config', cfg],
    faketime: '-1',
    polls: 60,
  });
  const fakeNowAtFirstCall = Date.now() - 1000;
  const { idgen } = grpcClients(t, node.address);
  const info = await node.info();
  const startedAt = Number(info.started_at_ms);
  assert.ok(
    startedAt >= spawnedAt - 1000 - 50 && startedAt <= Date.now() - 1000 + 50,
    `started_at_ms ${startedAt} is not ~1 s in the past: faketime not applied?`,
  );
  const ids = await takeIds(idgen, 20000);
  assertStrictlyIncreasing(ids, 'after restart');
  assert.ok(ids[0] > max, `first id after restart ${ids[0]} <= previous max ${max}`);
  for (const id of ids) assert.equal(workerOf(id), 0);
  for (let i = 0; i < 20; i++) {
    const one = BigInt((await unary(idgen, 'NextId', { namespace: 'default' })).id);
    assert.ok(one > ids[ids.length - 1]);
    ids.push(one);
  }
  // If the fake clock was clearly behind the previous run's last timestamp
  // when we asked, those ids can only have come from logical time.
  if (timestampOf(max) - fakeNowAtFirstCall > 100) {
    const def = (await node.info()).namespaces.find((ns) => ns.name === 'default');
    assert.ok(
      BigInt(def.clock.logical_ids) > 0n || BigInt(def.clock.borrowed_ms) > 0n,
      `expected logical-time issuance, clock: ${JSON.stringify(def.clock)}`,
    );
  }
  assert.equal((await node.health()).status, 200);
});
