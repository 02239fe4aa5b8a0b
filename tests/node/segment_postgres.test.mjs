// Copyright idgen authors.
//
// Dense `segment` namespaces on a real PostgreSQL 15 (one server for the
// whole file, lib/postgres.mjs): nodes under load (no duplicate, per node
// strictly increasing, dense after a clean stop), the server stopped and
// started again under a running node, the server hanging (SIGSTOP: leases end
// at their deadline), a kill -9 loop, the step growing under real load, and
// the flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { IdLedger } from './lib/cluster.mjs';
import { assertProblem, request, startGateway } from './lib/gateway_harness.mjs';
import { startPostgres } from './lib/postgres.mjs';
import { killLoop } from './lib/segment_kill_loop.mjs';
import {
  grpc,
  grpcClients,
  httpGet,
  runIdgen,
  sleep,
  startNode,
  tempDir,
  unary,
  unaryError,
  waitUntil,
  writeJson,
} from './lib/harness.mjs';

// The sustained run: 3 nodes x 8 clients for this long.
const SUSTAINED_MS = 20000;
const PASSWORD = 'pg-s3cret-never-logged';

let pg;
test.before(async () => {
  pg = await startPostgres();
});
test.after(async () => {
  await pg?.stop();
});

// The URL with a password in it: the server trusts loopback, so it is never
// checked, but the node must never show it.
const url = () => pg.url.replace('idgen@', `idgen:${PASSWORD}@`);

function config(t, name, orders = {}) {
  const dir = tempDir(t, 'idgen-segment-pg-');
  return writeJson(dir, 'namespaces.json', {
    namespaces: [
      { name: 'default' },
      // Steps small against the load: a node that stops after another leased
      // loses its buffer (two segments of at most max_step), so 2 of 3 nodes
      // lose at most 4,000 IDs: under 1% of the IDs a sustained run hands out.
      { name, scheme: 'segment', store: 'postgres', step: 500, max_step: 1000, load_at: 0.5, ...orders },
    ],
  });
}

const startPgNode = (t, cfg) =>
  startNode(t, { stateDir: tempDir(t, 'idgen-segment-pg-state-'), args: ['--config', cfg, '--segment-postgres', url()] });

const counterNext = async (name) => BigInt(await pg.sql(`SELECT next FROM idgen_segment_counters WHERE name = '${name}'`));

// One client of one node: NextIds until untilMs, every ID into the ledger,
// each answer above the previous one.
async function loadLoop({ address, namespace, ledger, stats, untilMs, count = 1000 }) {
  const { idgen, close } = grpcClients(null, address);
  let last = 0n;
  try {
    while (Date.now() < untilMs) {
      const r = await unaryError(idgen, 'NextIds', { namespace, count }, { deadlineMs: 3000 });
      if (!r.ok) {
        stats.errors.push(`${r.error.code}: ${r.error.details}`);
        await new Promise((res) => setTimeout(res, 20));
        continue;
      }
      const ids = r.response.ids.map(BigInt);
      for (const id of ids) {
        if (!(id > last)) stats.orderViolations.push(`${last} then ${id} from ${address}`);
        last = id;
      }
      ledger.add(r.response.ids);
    }
  } finally {
    close();
  }
}

test('postgres: 3 nodes x 8 clients for 20 s, no duplicate, per node increasing, dense after a clean stop', async (t) => {
  const cfg = config(t, 'orders');
  const nodes = await Promise.all([0, 1, 2].map(() => startPgNode(t, cfg)));
  const ledger = new IdLedger();
  const stats = { errors: [], orderViolations: [] };
  const untilMs = Date.now() + SUSTAINED_MS;
  const loops = [];
  for (const node of nodes) {
    for (let c = 0; c < 8; c++) loops.push(loadLoop({ address: node.address, namespace: 'orders', ledger, stats, untilMs, count: 500 }));
  }
  await Promise.all(loops);
  const info = (await nodes[0].info()).namespaces.find((n) => n.name === 'orders');
  assert.equal(info.segment.store, 'postgres');
  assert.ok(Number(info.segment.leases) >= 1, JSON.stringify(info));
  const metrics = (await httpGet(nodes[0].adminPort, '/metrics')).body;
  assert.match(metrics, /^idgen_segment_leases_total\{[^}]*idgen_segment_store="postgres"[^}]*outcome="ok"[^}]*\} \d+$/m);
  for (const node of nodes) assert.deepEqual(await node.stop(), { code: 0, signal: null });

  assert.deepEqual(stats.errors.slice(0, 5), []);
  assert.deepEqual(stats.orderViolations.slice(0, 5), [], 'IDs from one node strictly increase');
  const { count, duplicates, duplicateCount } = ledger.check();
  assert.equal(duplicateCount, 0, `duplicates: ${duplicates}`);
  assert.ok(count >= 100000, `only ${count} IDs in ${SUSTAINED_MS} ms`);
  const density = count / Number((await counterNext('orders')) - 1n);
  assert.ok(density >= 0.99 && density <= 1, `density ${density} (${count} IDs)`);
  t.diagnostic(`postgres: ${count} IDs, density ${density.toFixed(5)}`);

  // The password reached neither a log line nor /info; libpq's notices
  // (the table already exists) stay out of the log.
  for (const node of nodes) {
    assert.doesNotMatch(node.stderr, /NOTICE/);
    assert.doesNotMatch(node.stderr + node.stdout, new RegExp(PASSWORD));
    assert.match(node.stderr, /segment store postgres postgresql:\/\/idgen:\*\*\*\*@127\.0\.0\.1/);
  }
  assert.doesNotMatch(JSON.stringify(info), new RegExp(PASSWORD));
});

test('postgres: a clean stop gives the tail back (the restart continues at the next ID); max_value is never passed', async (t) => {
  const cfg = config(t, 'invoices', { step: 100, max_step: 100, load_at: 0.5, max_value: 250 });
  const first = await startPgNode(t, cfg);
  const a = grpcClients(t, first.address);
  const ids = (await unary(a.idgen, 'NextIds', { namespace: 'invoices', count: 30 })).ids.map(BigInt);
  assert.deepEqual([ids[0], ids.at(-1)], [1n, 30n]);
  assert.deepEqual(await first.stop(), { code: 0, signal: null });
  // Both buffered segments went back by compare-and-set: no gap.
  assert.equal(await counterNext('invoices'), 31n);
  const second = await startPgNode(t, cfg);
  const b = grpcClients(t, second.address);
  assert.equal(BigInt((await unary(b.idgen, 'NextIds', { namespace: 'invoices', count: 1 })).ids[0]), 31n);
  // Up to max_value (250), then FAILED_PRECONDITION, never a wrap.
  let last = 31n;
  let refused;
  for (let i = 0; i < 20 && !refused; i++) {
    const r = await unaryError(b.idgen, 'NextIds', { namespace: 'invoices', count: 50 });
    if (r.ok) {
      const got = r.response.ids.map(BigInt);
      assert.ok(got[0] > last && got.at(-1) <= 250n, `${got[0]}..${got.at(-1)} after ${last}`);
      last = got.at(-1);
    } else {
      refused = r.error;
    }
  }
  assert.ok(refused, 'refused at max_value');
  assert.equal(refused.code, grpc.status.FAILED_PRECONDITION, refused.details);
  assert.ok(last <= 250n && last >= 201n, `last ID ${last}`);
});

test('postgres stopped: buffered IDs served, then REST 503 with the reason; recovery without restart', async (t) => {
  const cfg = config(t, 'tickets', { step: 100, max_step: 100, load_at: 0.5 });
  const node = await startPgNode(t, cfg);
  const gw = await startGateway(t, { backends: [node.address] });
  const take = () => request(gw.port, 'GET', '/v1/ids?namespace=tickets&count=50');
  const seg = async () => (await node.info()).namespaces.find((n) => n.name === 'tickets').segment;
  const first = await take();
  assert.equal(first.status, 200, first.body);
  assert.deepEqual(first.json.ids.slice(0, 2), ['1', '2']);
  await waitUntil(async () => Number((await seg()).buffered) === 150, { pollMs: 50, what: 'second segment leased' });

  await pg.stop();
  try {
    const served = [];
    for (let i = 0; i < 3; i++) {
      const r = await take();
      assert.equal(r.status, 200, r.body);
      served.push(...r.json.ids);
    }
    assert.equal(served.at(-1), '200', 'every buffered ID');
    await waitUntil(async () => (await seg()).store_error !== '', { pollMs: 50, what: 'a failed lease' });
    const refused = await take();
    assertProblem(refused, 503, undefined, /tickets: no IDs buffered and the postgres store cannot lease/);
    assert.doesNotMatch(refused.body, new RegExp(PASSWORD));
    const { idgen } = grpcClients(t, node.address);
    const g = await unaryError(idgen, 'NextId', { namespace: 'tickets' });
    assert.equal(g.ok, false);
    assert.equal(g.error.code, grpc.status.UNAVAILABLE, g.error.details);
    assert.doesNotMatch(JSON.stringify(await node.info()), new RegExp(PASSWORD));
  } finally {
    await pg.start();
  }
  const back = await waitUntil(async () => {
    const r = await take();
    return r.status === 200 && r.json;
  }, { polls: 100, what: 'IDs again once PostgreSQL is back' });
  assert.equal(back.ids[0], '201', 'no ID lost or repeated across the outage');
  assert.equal(node.exit, undefined, 'the node kept running');
  assert.doesNotMatch(node.stderr, new RegExp(PASSWORD));
});

test('postgres hanging (SIGSTOP): leases end at their deadline, requests are answered, recovery on SIGCONT', async (t) => {
  const cfg = config(t, 'hang', { step: 100, max_step: 100, load_at: 0.5 });
  const node = await startPgNode(t, cfg);
  const { idgen } = grpcClients(t, node.address);
  const seg = async () => (await node.info()).namespaces.find((n) => n.name === 'hang').segment;
  const take = () => unaryError(idgen, 'NextIds', { namespace: 'hang', count: 50 }, { deadlineMs: 3000 });
  assert.ok((await take()).ok);
  await waitUntil(async () => Number((await seg()).buffered) === 150, { pollMs: 50, what: 'second segment leased' });

  pg.signalAll('SIGSTOP');
  let last = 0n;
  try {
    // The buffered IDs, then an answer (never a hang past the call's deadline).
    for (let i = 0; i < 3; i++) {
      const r = await take();
      assert.ok(r.ok, r.error?.details);
      last = BigInt(r.response.ids.at(-1));
    }
    assert.equal(last, 200n);
    const refused = await take();
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, grpc.status.UNAVAILABLE, refused.error.details);
    // The lease in flight ends at the store's deadline, with the reason.
    const failed = await waitUntil(async () => (await seg()).store_error, { pollMs: 100, polls: 100, what: 'the lease deadline' });
    assert.match(failed, /postgres postgresql:\/\/idgen:\*\*\*\*@.*no answer within 3s/);
    assert.ok((await node.health()).status === 200, 'the node itself stays healthy');
  } finally {
    pg.signalAll('SIGCONT');
  }
  const back = await waitUntil(async () => {
    const r = await take();
    return r.ok && r.response;
  }, { polls: 100, what: 'IDs again once PostgreSQL runs again' });
  assert.ok(BigInt(back.ids[0]) > last);
});

test('kill -9 loop under load: no duplicate, per node slot increasing, gaps bounded by two segments per kill', async (t) => {
  const STEP = 200;
  const cfg = config(t, 'k9', { step: STEP, max_step: STEP, load_at: 0.5 });
  await killLoop(t, { namespace: 'k9', step: STEP, startSlotNode: () => startPgNode(t, cfg), counterNext: () => counterNext('k9') });
});

test('real load: the step grows to max_step while the segments last seconds', async (t) => {
  const cfg = config(t, 'grow', { step: 100, max_step: 1600, load_at: 0.5 });
  const node = await startPgNode(t, cfg);
  const seg = async () => (await node.info()).namespaces.find((n) => n.name === 'grow').segment;
  assert.equal(Number((await seg()).step), 100);
  const ledger = new IdLedger();
  const stats = { errors: [], orderViolations: [] };
  const untilMs = Date.now() + 1500;
  await Promise.all([0, 1, 2, 3].map(() => loadLoop({ address: node.address, namespace: 'grow', ledger, stats, untilMs })));
  // 100, 100 (the first two keep the step), then doubling at each lease.
  // The rate behind headroom_seconds needs a second after the first ID; a
  // loaded machine may start the loops late, so wait (bounded) for it.
  let grown = await seg();
  for (let i = 0; i < 30 && !(grown.headroom_seconds > 0); i++) {
    await sleep(100);
    grown = await seg();
  }
  assert.equal(Number(grown.step), 1600, JSON.stringify(grown));
  assert.ok(Number(grown.leases) >= 6, JSON.stringify(grown));
  const metrics = (await httpGet(node.adminPort, '/metrics')).body;
  assert.match(metrics, /^idgen_segment_step\{[^}]*idgen_namespace="grow"[^}]*\} 1600$/m);
  assert.match(metrics, /^idgen_segment_headroom_ids\{[^}]*idgen_namespace="grow"[^}]*\} \d+$/m);
  assert.match(metrics, /^idgen_segment_headroom_seconds\{[^}]*idgen_namespace="grow"[^}]*\} [\d.e+]+$/m);
  assert.ok(Number(grown.headroom_ids) > 9e15, JSON.stringify(grown));
  assert.ok(grown.headroom_seconds > 0, JSON.stringify(grown));
  assert.deepEqual(stats.errors.slice(0, 3), []);
});

test('flags: a bad --segment-postgres and a postgres namespace without it are refused (exit 2)', async (t) => {
  const dir = tempDir(t, 'idgen-segment-pg-flags-');
  const cfg = config(t, 'orders');
  const base = ['serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--state-dir', dir, '--config', cfg];
  const bad = await runIdgen([...base, '--segment-postgres', `postgresql://u:${PASSWORD}@h/db?nosuchoption=1`]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--segment-postgres: .*nosuchoption/);
  assert.doesNotMatch(bad.stderr, new RegExp(PASSWORD));
  const fromEnv = await runIdgen(base, { env: { IDGEN_SEGMENT_POSTGRES: 'postgresql://h/db?nosuchoption=1' } });
  assert.equal(fromEnv.code, 2, fromEnv.stderr);
  assert.match(fromEnv.stderr, /--segment-postgres/);
  const missing = await runIdgen(base);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /namespaces\[1\]\.store: .*--segment-postgres/);
});
