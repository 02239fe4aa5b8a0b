// Copyright idgen authors.
//
// The kill -9 loop of the segment tests, one for every store: two node
// slots under load (three clients each, NextIds of 50), one node killed
// with SIGKILL and started again every 300 ms, six times at most in 4 s.
// Checked: no ID twice, IDs from one slot strictly increasing across its
// restarts (a node started after a kill leases above everything before),
// and the IDs skipped bounded by two segments per kill plus two for the
// final clean stops (a crash loses at most the two buffered segments).
import assert from 'node:assert/strict';

import { IdLedger } from './cluster.mjs';
import { grpcClients, unaryError } from './harness.mjs';

// startSlotNode(): a new node of the namespace; counterNext(): the store's
// next unleased value, read after every node stopped.
export async function killLoop(t, { namespace, step, startSlotNode, counterNext }) {
  const slots = [];
  for (let i = 0; i < 2; i++) slots.push({ node: await startSlotNode() });
  const ledger = new IdLedger();
  const stats = { errors: [], orderViolations: [] };
  const untilMs = Date.now() + 4000;
  const loops = [];
  for (const slot of slots) {
    for (let c = 0; c < 3; c++) {
      loops.push((async () => {
        let last = 0n;
        const clients = new Map();
        try {
          while (Date.now() < untilMs) {
            const address = slot.node.address;
            if (!clients.has(address)) clients.set(address, grpcClients(null, address));
            const r = await unaryError(clients.get(address).idgen, 'NextIds', { namespace, count: 50 }, { deadlineMs: 1000 });
            if (!r.ok) {
              stats.errors.push(r.error.code);
              await new Promise((res) => setTimeout(res, 20));
              continue;
            }
            for (const id of r.response.ids.map(BigInt)) {
              if (!(id > last)) stats.orderViolations.push(`${last} then ${id}`);
              last = id;
            }
            ledger.add(r.response.ids);
          }
        } finally {
          for (const c of clients.values()) c.close();
        }
      })());
    }
  }
  let kills = 0;
  for (let i = 0; i < 6 && Date.now() < untilMs - 700; i++) {
    await new Promise((res) => setTimeout(res, 300));
    const slot = slots[i % slots.length];
    await slot.node.kill9();
    kills++;
    slot.node = await startSlotNode();
  }
  await Promise.all(loops);
  for (const slot of slots) assert.deepEqual(await slot.node.stop(), { code: 0, signal: null });

  assert.ok(kills >= 3, `only ${kills} kills`);
  assert.deepEqual(stats.orderViolations.slice(0, 5), [], 'IDs from one node slot strictly increase');
  const { count, duplicates, duplicateCount } = ledger.check();
  assert.equal(duplicateCount, 0, `duplicates: ${duplicates}`);
  assert.ok(count > 3000, `only ${count} IDs`);
  const missing = Number((await counterNext()) - 1n) - count;
  assert.ok(missing >= 0, `more IDs (${count}) than the counter's range`);
  assert.ok(missing <= 2 * step * (kills + 1), `${missing} IDs skipped after ${kills} kills`);
  t.diagnostic(`kill -9 loop: ${count} IDs, ${kills} kills, ${missing} skipped, ${stats.errors.length} failed calls`);
}
