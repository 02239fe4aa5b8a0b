// Copyright idgen authors.
//
// Cluster coordination on a real etcd (Debian's etcd-server, started here on
// free loopback ports): fenced worker-id leases and time reservations under
// the faults that break other ID services. Nodes run with the minimum lease
// TTL (2 s) so faults play out in seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startEtcd } from './lib/etcd.mjs';
import { IdLedger, loadLoop, newStats, startClusterNode } from './lib/cluster.mjs';
import {
  grpc,
  grpcClients,
  httpGet,
  runIdgen,
  sleep,
  timestampOf,
  unary,
  unaryError,
  waitUntil,
} from './lib/harness.mjs';

const ready = async (node) => (await node.health()).status === 200;

test('three nodes claim three ids; a fourth waits not-ready until one stops', async (t) => {
  const etcd = await startEtcd(t);
  const nodes = [];
  for (let i = 0; i < 3; i++) nodes.push(await startClusterNode(t, { etcd, maxWorkers: 3 }));
  const ids = await Promise.all(nodes.map(async (n) => (await n.info()).worker_id));
  assert.deepEqual([...new Set(ids.map(Number))].sort(), [0, 1, 2], `worker ids: ${ids}`);
  for (const n of nodes) assert.equal((await n.info()).lease.backend, 'etcd');

  const fourth = await startClusterNode(t, { etcd, maxWorkers: 3, waitFor: 'alive' });
  const health = await fourth.health();
  assert.equal(health.status, 503);
  assert.match(health.json.reason, /all 3 worker ids .* are held by live nodes/);
  const info = await fourth.info();
  assert.equal(Number(info.worker_id), -1);
  assert.equal(info.lease.state, 'acquiring');
  const { idgen } = grpcClients(t, fourth.address);
  const refused = await unaryError(idgen, 'NextIds', { count: 1 });
  assert.equal(refused.error?.code, grpc.status.UNAVAILABLE);
  await waitUntil(async () => Number((await fourth.info()).lease.exhausted_attempts) >= 2, {
    what: 'exhausted attempts counted',
  });
  // ... and exported as a metric, for alerting.
  const metrics = await httpGet(fourth.adminPort, '/metrics');
  const exhausted = /^idgen_lease_exhausted_attempts_total(?:\{[^}]*\})? (\d+)/m.exec(metrics.body);
  assert.ok(exhausted && Number(exhausted[1]) >= 2, metrics.body.slice(0, 2000));

  const freed = Number((await nodes[1].info()).worker_id);
  await nodes[1].stop(); // graceful: revokes the lease, the id is free at once
  await waitUntil(() => ready(fourth), { polls: 50, what: 'fourth node ready' });
  assert.equal(Number((await fourth.info()).worker_id), freed);
  const res = await unary(idgen, 'NextIds', { count: 5 });
  assert.equal(res.ids.length, 5);
});

test('kill -9 and restart under load: at least a million IDs, all unique', async (t) => {
  const etcd = await startEtcd(t);
  const slots = [];
  for (let i = 0; i < 3; i++) slots.push({ node: await startClusterNode(t, { etcd }) });
  const ledger = new IdLedger();
  const stats = newStats();
  const untilMs = Date.now() + 60000;
  let done = false;
  const loops = [];
  for (const slot of slots) {
    for (let c = 0; c < 2; c++) {
      loops.push(loadLoop({ target: () => slot.node.address, ledger, stats, untilMs, stop: () => done }));
    }
  }
  let kills = 0;
  // Kill a node every ~1.5 s and start a new one in its place, until a
  // million IDs were collected and at least 6 kills happened (bounded).
  for (let round = 0; round < 30 && Date.now() < untilMs - 5000; round++) {
    await sleep(1500);
    const slot = slots[round % slots.length];
    await slot.node.kill9();
    kills++;
    slot.node = await startClusterNode(t, { etcd, waitFor: 'alive' });
    if (kills >= 6 && stats.ids >= 1_000_000) break;
  }
  done = true;
  await Promise.all(loops);
  const result = ledger.check();
  assert.ok(kills >= 6, `only ${kills} kills`);
  assert.ok(result.count >= 1_000_000, `collected ${result.count} IDs (${JSON.stringify(stats)})`);
  assert.equal(result.duplicateCount, 0, `duplicates: ${result.duplicates}`);
});

test('zombie: a paused node resumed after its id was taken over issues nothing twice', async (t) => {
  const etcd = await startEtcd(t);
  const zombie = await startClusterNode(t, { etcd, workerId: 7 });
  const ledger = new IdLedger();
  const zombieStats = newStats();
  const heirStats = newStats();
  const { idgen: zc } = grpcClients(t, zombie.address);
  ledger.add((await unary(zc, 'NextIds', { count: 1000 })).ids);

  process.kill(zombie.pid, 'SIGSTOP');
  let heir;
  try {
    // The lease (2 s) expires at etcd; then the id is free for another node.
    await sleep(3500);
    heir = await startClusterNode(t, { etcd, workerId: 7 });
    // A client keeps asking the zombie while it is paused and after it
    // resumes; the heir issues under the same worker id meanwhile.
    const untilMs = Date.now() + 8000;
    const zombieLoop = loadLoop({
      target: () => zombie.address,
      ledger,
      stats: zombieStats,
      untilMs,
      deadlineMs: 500,
    });
    const heirLoop = loadLoop({ target: () => heir.address, ledger, stats: heirStats, untilMs });
    await sleep(1500);
    process.kill(zombie.pid, 'SIGCONT');
    await Promise.all([zombieLoop, heirLoop]);
    // After resuming, the zombie noticed it was fenced and claimed another id.
    const info = await zombie.info();
    assert.ok(Number(info.lease.losses) >= 1, JSON.stringify(info.lease));
    assert.notEqual(Number(info.worker_id), 7);
    // It answered errors (paused, then fenced), not IDs under a lost claim.
    assert.ok(zombieStats.errors > 0, JSON.stringify(zombieStats));
  } finally {
    try {
      process.kill(zombie.pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
  assert.ok(heirStats.ids > 0, 'the heir issued IDs');
  const result = ledger.check();
  assert.equal(result.duplicateCount, 0, `duplicates: ${result.duplicates}`);
});

test('etcd stopped: nodes turn not-ready within the TTL, issue nothing past their reservation, recover when it is back', async (t) => {
  const etcd = await startEtcd(t);
  const nodes = [await startClusterNode(t, { etcd }), await startClusterNode(t, { etcd })];
  const pids = nodes.map((n) => n.pid);
  const clients = nodes.map((n) => grpcClients(t, n.address).idgen);
  const ledger = new IdLedger();
  for (const c of clients) ledger.add((await unary(c, 'NextIds', { count: 100 })).ids);

  const stoppedAt = Date.now();
  await etcd.members[0].stop();
  const reserved = await Promise.all(nodes.map(async (n) => Number((await n.info()).reserved_until_ms)));
  // Keep asking while etcd is down: every answer must be inside the
  // reservation the node had when etcd went away.
  const outage = Date.now() + 4000;
  while (Date.now() < outage) {
    for (let i = 0; i < nodes.length; i++) {
      const r = await unaryError(clients[i], 'NextIds', { count: 100 }, { deadlineMs: 500 });
      if (r.ok) {
        ledger.add(r.response.ids);
        for (const id of r.response.ids) {
          assert.ok(timestampOf(BigInt(id)) <= reserved[i], `ID ${id} past reservation ${reserved[i]}`);
        }
      }
    }
    await sleep(50);
  }
  for (const n of nodes) {
    const h = await n.health();
    assert.equal(h.status, 503, `still ready ${Date.now() - stoppedAt} ms into the outage`);
  }

  await etcd.members[0].start();
  await etcd.waitHealthy();
  for (const n of nodes) await waitUntil(() => ready(n), { polls: 100, what: 'node ready again' });
  assert.deepEqual(nodes.map((n) => n.pid), pids, 'the nodes were not restarted');
  for (const c of clients) ledger.add((await unary(c, 'NextIds', { count: 1000 })).ids);
  for (const n of nodes) assert.ok(Number((await n.info()).lease.claims) >= 2);
  assert.equal(ledger.check().duplicateCount, 0);
});

test('a node restarted an hour behind never reuses time', async (t) => {
  const etcd = await startEtcd(t);
  const first = await startClusterNode(t, { etcd, workerId: 3 });
  let { idgen } = grpcClients(t, first.address);
  const before = (await unary(idgen, 'NextIds', { count: 1000 })).ids.map(BigInt);
  const maxBefore = before.reduce((a, b) => (a > b ? a : b));
  await first.kill9(); // a crash: nothing settled
  await sleep(2500); // the lease expires; id 3 is free again

  const behind = await startClusterNode(t, { etcd, workerId: 3, faketime: '-1h', waitFor: 'alive' });
  ({ idgen } = grpcClients(t, behind.address));
  const h = await behind.health();
  assert.equal(h.status, 503);
  assert.match(h.json.reason, /behind/);
  for (let i = 0; i < 20; i++) {
    const r = await unaryError(idgen, 'NextIds', { count: 100 }, { deadlineMs: 1000 });
    if (r.ok) for (const id of r.response.ids) assert.ok(BigInt(id) > maxBefore, `reused time: ${id}`);
    else assert.equal(r.error.code, grpc.status.UNAVAILABLE, r.error.details);
  }
  await behind.stop({ timeoutMs: 2000 });
});

test('a three-member etcd cluster loses its leader under load: the service keeps issuing', async (t) => {
  const etcd = await startEtcd(t, { members: 3 });
  const nodes = [];
  for (let i = 0; i < 2; i++) nodes.push(await startClusterNode(t, { etcd, ttl: 5 }));
  const ledger = new IdLedger();
  const stats = newStats();
  let done = false;
  const loops = nodes.map((n) =>
    loadLoop({ target: () => n.address, ledger, stats, untilMs: Date.now() + 30000, stop: () => done }),
  );
  await sleep(1000);
  const leader = await etcd.leader();
  assert.ok(leader, 'no etcd leader found');
  const okBefore = stats.ok;
  await leader.kill9();
  const killedAt = Date.now();
  await sleep(6000); // longer than the TTL: a node that could not renew would be fenced
  const okDuring = stats.ok - okBefore;
  for (const n of nodes) assert.equal((await n.health()).status, 200, `not ready after leader loss`);
  for (const n of nodes) assert.equal(Number((await n.info()).lease.losses), 0, 'a lease was lost');
  done = true;
  await Promise.all(loops);
  assert.ok(okDuring > 100, `only ${okDuring} successful calls in the 6 s after the leader died`);
  assert.ok(stats.longestGapMs < 3000, `longest gap ${stats.longestGapMs} ms since ${killedAt}`);
  assert.equal(ledger.check().duplicateCount, 0);
});

test('bad cluster flags exit 2 with a reason, before anything starts', async () => {
  for (const [args, pattern] of [
    [['--etcd', 'http://127.0.0.1:1', '--lease-ttl', '1'], /--lease-ttl.*>= 2/],
    [['--etcd', 'http://127.0.0.1:1', '--lease-ttl', 'ten'], /--lease-ttl.*whole number/],
    [['--cluster', 'x'], /--cluster requires --etcd|--etcd/],
    [['--etcd', 'https://127.0.0.1:2379'], /is https:\/\/: pass --etcd-cacert/],
    [['--etcd', 'etcd.example'], /expected http:\/\/HOST:PORT/],
    [['--etcd', 'http://127.0.0.1:2379,'], /expected http:\/\/HOST:PORT/],
    [['--etcd', 'http://127.0.0.1:2379', '--cluster', 'a/b'], /cluster name "a\/b"/],
  ]) {
    const r = await runIdgen(['serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
  }
});

test('GetInfo shows the etcd lease: id, TTL left, reservation', async (t) => {
  const etcd = await startEtcd(t);
  const node = await startClusterNode(t, { etcd, ttl: 3 });
  const info = await node.info();
  assert.equal(info.lease.backend, 'etcd');
  assert.equal(info.lease.state, 'held');
  assert.ok(BigInt(info.lease.lease_id) > 0n, info.lease.lease_id);
  const ttlLeft = Number(info.lease.ttl_left_ms);
  assert.ok(ttlLeft > 0 && ttlLeft <= 3000, `ttl_left_ms ${ttlLeft}`);
  assert.ok(Number(info.reserved_until_ms) > Date.now(), 'reservation ahead of the clock');
  assert.equal(Number(info.lease.claims), 1);
  assert.equal(Number(info.lease.losses), 0);
  // etcd call latency is measured per operation.
  const counted = (body, op) =>
    new RegExp(`idgen_etcd_call_duration_seconds_count\\{[^}]*etcd_op="${op}"[^}]*\\} [1-9]`).test(body);
  const metrics = (await httpGet(node.adminPort, '/metrics')).body;
  for (const op of ['Txn', 'LeaseGrant']) assert.ok(counted(metrics, op), op);
  // Keepalives run every TTL/3 (1 s here).
  await waitUntil(async () => counted((await httpGet(node.adminPort, '/metrics')).body, 'LeaseKeepAlive'), {
    polls: 50,
    what: 'a measured LeaseKeepAlive',
  });
});
