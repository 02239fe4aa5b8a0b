// Copyright idgen authors.
//
// Several clusters, one layout: `idgen serve --worker-ids LO-HI`. Two
// clusters, each on its own etcd (Debian's etcd-server on free loopback
// ports), with disjoint ranges serve under load and never issue the same ID;
// a node whose range overlaps its cluster's recorded one, or does not fit
// the layout, is refused at start (exit 2) and changes nothing; the embedded
// (state dir) mode keeps the range too.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startEtcd } from './lib/etcd.mjs';
import { IdLedger, loadLoop, newStats, startClusterNode } from './lib/cluster.mjs';
import { runIdgen, startNode, tempDir } from './lib/harness.mjs';

const LOAD_MS = 2500;

test('two clusters on two etcds with ranges 0-511 and 512-1023: no duplicate under load; overlaps refused', async (t) => {
  const [etcdA, etcdB] = await Promise.all([startEtcd(t), startEtcd(t)]);
  // The same cluster name on both etcds, as two regions of one service would have.
  const ranges = { a: [0, 511], b: [512, 1023] };
  const nodes = [];
  for (const [etcd, [lo, hi]] of [[etcdA, ranges.a], [etcdA, ranges.a], [etcdB, ranges.b], [etcdB, ranges.b]]) {
    nodes.push({ lo, hi, node: await startClusterNode(t, { etcd, cluster: 'prod', args: ['--worker-ids', `${lo}-${hi}`] }) });
  }
  for (const { lo, hi, node } of nodes) {
    const info = await node.info();
    const worker = Number(info.worker_id);
    assert.ok(worker >= lo && worker <= hi, `worker ${worker} outside ${lo}-${hi}`);
    assert.equal(Number(info.worker_id_min), lo);
    assert.equal(Number(info.worker_id_max), hi);
  }

  const ledger = new IdLedger();
  const stats = newStats();
  const untilMs = Date.now() + LOAD_MS;
  await Promise.all(nodes.flatMap(({ node }) =>
    [0, 1].map(() => loadLoop({ target: () => node.address, ledger, stats, count: 500, untilMs }))));
  const { count, duplicateCount, duplicates } = ledger.check();
  assert.ok(count >= 20000, `only ${count} IDs in ${LOAD_MS} ms (${JSON.stringify(stats)})`);
  assert.equal(stats.errors, 0, JSON.stringify(stats.byCode));
  assert.equal(duplicateCount, 0, `duplicates: ${duplicates}`);

  // Refused at start, exit 2, with the reason; the running nodes keep serving.
  const base = ['serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--cluster', 'prod',
    '--state-dir', tempDir(t, 'idgen-unused-state-')];
  const overlap = await runIdgen([...base, '--etcd', etcdA.endpoints, '--worker-ids', '256-767']);
  assert.equal(overlap.code, 2, overlap.stderr);
  assert.match(overlap.stderr, /--worker-ids 256-767 differs from 0-511.*\/idgen\/prod\/worker-ids/);
  const none = await runIdgen([...base, '--etcd', etcdB.endpoints]);
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr, /start this node with --worker-ids 512-1023/);
  const outside = await runIdgen([...base, '--etcd', etcdB.endpoints, '--worker-ids', '512-2047']);
  assert.equal(outside.code, 2, outside.stderr);
  assert.match(outside.stderr, /--worker-ids 512-2047 does not fit the layout: .* worker ids 0-1023/);
  const empty = await runIdgen([...base, '--etcd', etcdB.endpoints, '--worker-ids', '900-800']);
  assert.equal(empty.code, 2, empty.stderr);
  assert.match(empty.stderr, /--worker-ids 900-800 is empty/);
  for (const { node } of nodes) assert.equal((await node.health()).status, 200);
});

test('embedded mode: the range holds in the state dir, from the flag or IDGEN_WORKER_IDS', async (t) => {
  const stateDir = tempDir(t, 'idgen-range-state-');
  const first = await startNode(t, { stateDir, args: ['--worker-ids', '700-701'] });
  const second = await startNode(t, { stateDir, env: { IDGEN_WORKER_IDS: '700-701' } });
  const ids = [Number((await first.info()).worker_id), Number((await second.info()).worker_id)].sort();
  assert.deepEqual(ids, [700, 701]);
  // The client library's `idgen info` and the Python client show the range.
  const cli = await runIdgen(['info', '--target', first.address, '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  const shown = JSON.parse(cli.stdout);
  assert.deepEqual([shown.worker_id_min, shown.worker_id_max], [700, 701]);
  const text = await runIdgen(['info', '--target', first.address]);
  assert.match(text.stdout, /worker id +70[01] \(of 700-701\)/);
  const third = await startNode(t, { stateDir, args: ['--worker-ids', '700-701'], waitFor: 'alive' });
  const health = await third.health();
  assert.equal(health.status, 503);
  assert.match(health.json.reason, /all 2 worker ids .*\(700-701\) are held/);
  const other = await runIdgen(['serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0',
    '--state-dir', stateDir, '--worker-ids', '0-700']);
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /--worker-ids 0-700 differs from 700-701/);
});
