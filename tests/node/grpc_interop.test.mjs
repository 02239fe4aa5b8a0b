// Copyright idgen authors.
//
// Interop with an independent client: @grpc/grpc-js + @grpc/proto-loader
// (64-bit values as strings, compared as BigInt) against two real `idgen
// serve` nodes that share ONE state directory. The nodes must claim different
// worker ids on their own; 100k IDs taken from both (NextIds batches, NextId
// and a StreamIds stream of count-1 requests) must be unique across both and
// strictly increasing per node; both nodes report SERVING.
// Run: IDGEN_BIN=/path/to/idgen node --test
import assert from 'node:assert/strict';
import test from 'node:test';

import {
  assertStrictlyIncreasing,
  grpcClients,
  startNode,
  streamIds,
  tempDir,
  timestampOf,
  toBig,
  unary,
  withTimeout,
  workerOf,
} from './lib/harness.mjs';

const TOTAL = 100000;
const PER_NODE = TOTAL / 2;
const STREAM_PER_NODE = 10000; // count-1 requests on one StreamIds stream
const NEXTID_PER_NODE = 200; // unary NextId calls

// Takes PER_NODE ids from one node, in issue order: batches, single NextId
// calls, a stream of count-1 requests, then batches again.
async function takeFromNode(idgen) {
  const ids = [];
  const batches = async (n) => {
    const sizes = [1, 7, 1000, 4096, 4097, 10000, 333];
    let i = 0;
    while (n > 0) {
      const count = Math.min(sizes[i++ % sizes.length], n);
      const res = await unary(idgen, 'NextIds', { namespace: 'default', count });
      assert.equal(res.ids.length, count);
      assert.equal(res.scheme, 'snowflake');
      for (const s of res.ids)
        assert.equal(typeof s, 'string', '64-bit ids must arrive as strings');
      ids.push(...toBig(res.ids));
      n -= count;
    }
  };
  const batchTotal = PER_NODE - STREAM_PER_NODE - NEXTID_PER_NODE;
  await batches(Math.floor(batchTotal / 2));
  for (let i = 0; i < NEXTID_PER_NODE; i++) {
    const res = await unary(idgen, 'NextId', { namespace: 'default' });
    ids.push(BigInt(res.id));
  }
  const requests = Array.from({ length: STREAM_PER_NODE }, () => ({
    namespace: 'default',
    count: 1,
  }));
  const responses = await streamIds(idgen, requests, { window: 512, timeoutMs: 40000 });
  for (const r of responses) {
    assert.equal(r.error_code, 0, r.error_message);
    assert.equal(r.ids.length, 1);
    ids.push(BigInt(r.ids[0]));
  }
  await batches(batchTotal - Math.floor(batchTotal / 2));
  assert.equal(ids.length, PER_NODE);
  return ids;
}

test(
  'two nodes sharing a state dir: 100k ids via grpc-js are unique, per-node increasing, distinct workers; health SERVING',
  { timeout: 60000 },
  async (t) => {
    const stateDir = tempDir(t);
    // Started one after the other so that each claims its id from the shared
    // state dir while the other holds its own.
    const a = await startNode(t, { stateDir, args: ['--node-name', 'node-a'] });
    const b = await startNode(t, { stateDir, args: ['--node-name', 'node-b'] });
    const nodes = [a, b].map((node) => ({ node, ...grpcClients(t, node.address) }));

    const infos = await Promise.all(nodes.map(({ idgen }) => unary(idgen, 'GetInfo', {})));
    assert.deepEqual(
      infos.map((i) => i.node),
      ['node-a', 'node-b'],
    );
    const workers = infos.map((i) => Number(i.worker_id));
    for (const w of workers) assert.ok(Number.isInteger(w) && w >= 0 && w < 1024, `worker id ${w}`);
    assert.notEqual(workers[0], workers[1], 'two nodes on one state dir got the same worker id');
    for (const info of infos) {
      assert.equal(info.serving, true);
      assert.equal(info.lease.backend, 'file');
      assert.equal(info.lease.state, 'held');
    }

    const t0 = Date.now();
    const perNode = await withTimeout(
      Promise.all(nodes.map(({ idgen }) => takeFromNode(idgen))),
      50000,
      'taking 100k ids',
    );
    const elapsed = Date.now() - t0;
    t.diagnostic(`took ${TOTAL} ids from 2 nodes in ${elapsed} ms`);

    const all = new Set();
    perNode.forEach((ids, n) => {
      assertStrictlyIncreasing(ids, `node ${n}`);
      for (const id of ids) {
        assert.ok(id > 0n && id < 1n << 63n, `id ${id} outside the 63-bit layout`);
        assert.equal(
          workerOf(id),
          workers[n],
          `id ${id} of node ${n} carries worker ${workerOf(id)}`,
        );
        all.add(id);
      }
    });
    assert.equal(all.size, TOTAL, `${TOTAL - all.size} duplicate ids across the two nodes`);
    // The worker field (bits 12..21) differs between the nodes.
    assert.notEqual(workerOf(perNode[0][0]), workerOf(perNode[1][0]));
    // Timestamps are now-ish (k-ordered by time across nodes).
    const now = Date.now();
    for (const ids of perNode) {
      for (const id of [ids[0], ids[ids.length - 1]]) {
        assert.ok(Math.abs(timestampOf(id) - now) < 60000, `timestamp of ${id} not near now`);
      }
    }

    // Decode agrees with the bit layout on both nodes.
    for (const [n, { idgen }] of nodes.entries()) {
      const id = perNode[n][perNode[n].length - 1];
      const dec = await unary(idgen, 'Decode', { namespace: 'default', id: String(id) });
      assert.equal(Number(dec.worker), workers[n]);
      assert.equal(Number(dec.timestamp_ms), timestampOf(id));
    }

    // Health on both: gRPC (overall and per service) and admin HTTP.
    for (const { node, health } of nodes) {
      for (const service of ['', 'idgen.v1.IdGenerator']) {
        const res = await unary(health, 'Check', { service });
        assert.equal(res.status, 'SERVING', `${node.address} Check("${service}")`);
      }
      const h = await node.health();
      assert.equal(h.status, 200, h.body);
      assert.deepEqual(h.json, { status: 'serving' });
      assert.equal((await node.info()).serving, true);
    }
  },
);
