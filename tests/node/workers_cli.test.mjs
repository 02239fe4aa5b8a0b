// Copyright idgen authors.
//
// `idgen workers`: who holds which worker id of a cluster on a real etcd.
// Two nodes hold two ids; after one is killed its id shows free once its
// lease runs out, with the reservation it left behind. Bad flags exit 2, an
// etcd that does not answer exits 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startEtcd } from './lib/etcd.mjs';
import { startClusterNode } from './lib/cluster.mjs';
import { runIdgen, waitUntil } from './lib/harness.mjs';

// A put through etcd's JSON gateway (keys and values in base64).
async function etcdPut(etcd, key, value) {
  const res = await fetch(`${etcd.endpoints.split(',')[0]}/v3/kv/put`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from(key).toString('base64'), value: value.toString('base64') }),
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(res.status, 200, await res.text());
}

async function workers(etcd, cluster = 't') {
  const r = await runIdgen(['workers', '--etcd', etcd.endpoints, '--cluster', cluster, '--json'], { timeoutMs: 15000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('idgen workers: holders, lease TTL left, reservations; a dead holder shows free', async (t) => {
  const etcd = await startEtcd(t);
  const a = await startClusterNode(t, { etcd, workerId: 3, args: ['--node-name', 'alpha'] });
  await startClusterNode(t, { etcd, workerId: 5, args: ['--node-name', 'beta'] });

  const listed = await workers(etcd);
  assert.equal(listed.cluster, 't');
  const byId = Object.fromEntries(listed.workers.map((w) => [w.worker_id, w]));
  assert.deepEqual(Object.keys(byId).sort(), ['3', '5']);
  assert.equal(byId[3].held, true);
  assert.equal(byId[3].holder.node, 'alpha');
  assert.equal(byId[5].holder.node, 'beta');
  assert.ok(byId[3].lease_ttl_left_s > 0 && byId[3].lease_ttl_left_s <= 2, JSON.stringify(byId[3]));
  assert.ok(byId[3].reserved_until_ms > Date.now() - 60000);

  // Values idgen did not write: a key that only looks like an id, and a
  // holder that is neither JSON nor UTF-8 (shown raw; --json used to abort).
  await etcdPut(etcd, '/idgen/t/workers/+7', Buffer.from('{}'));
  await etcdPut(etcd, '/idgen/t/workers/9', Buffer.from([0xff, 0x7b]));
  const odd = Object.fromEntries((await workers(etcd)).workers.map((w) => [w.worker_id, w]));
  assert.deepEqual(Object.keys(odd).sort(), ['3', '5', '9']);
  assert.equal(odd[9].holder.raw, '\ufffd{');

  const table = await runIdgen(['workers', '--etcd', etcd.endpoints, '--cluster', 't'], { timeoutMs: 15000 });
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^3 +alpha /m);
  assert.match(table.stdout, /^5 +beta /m);

  await a.kill9();
  const after = await waitUntil(async () => {
    const w = (await workers(etcd)).workers.find((x) => x.worker_id === 3);
    return w && !w.held ? w : false;
  }, { polls: 60, what: 'worker 3 free after its holder was killed' });
  assert.ok(after.reserved_until_ms > 0, 'the reservation outlives the holder');
  assert.equal((await workers(etcd, 'other')).workers.length, 0);
});

test('idgen workers: bad flags exit 2, an etcd that does not answer exits 1', async () => {
  for (const [args, code, pattern] of [
    [['workers', '--cluster', 't'], 2, /--etcd/],
    [['workers', '--etcd', 'ftp://x:1', '--cluster', 't'], 2, /--etcd/],
    [['workers', '--etcd', 'http://127.0.0.1:1', '--cluster', 't', '--etcd-cert', 'x.pem'], 2, /--etcd-c/],
    [['workers', '--etcd', 'http://127.0.0.1:1', '--cluster', 't', '--timeout', '0.5'], 1, /127\.0\.0\.1:1/],
  ]) {
    const r = await runIdgen(args, { timeoutMs: 15000 });
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
  }
});
