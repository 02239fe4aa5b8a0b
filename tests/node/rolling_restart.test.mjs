// Copyright idgen authors.
//
// A rolling restart as docs/DEPLOYMENT.md describes it: three nodes on a
// real etcd behind a gateway, restarted one at a time (SIGTERM, start again
// on the same address, wait for /health) while clients load the gateway.
// Every request succeeds (the gateway's health checks and retries cover the
// node that drains) and no ID is issued twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { startEtcd } from './lib/etcd.mjs';
import { IdLedger, startClusterNode } from './lib/cluster.mjs';
import { request, startGateway } from './lib/gateway_harness.mjs';
import { sleep } from './lib/harness.mjs';

test('rolling restart of three nodes under load through the gateway: no failed request, no duplicate', async (t) => {
  const etcd = await startEtcd(t);
  const nodes = [];
  for (let i = 0; i < 3; i++) nodes.push(await startClusterNode(t, { etcd }));
  const gw = await startGateway(t, { backends: nodes.map((n) => n.address), args: ['--call-timeout-ms', '1000'] });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  t.after(() => agent.destroy());

  const ledger = new IdLedger();
  const failures = [];
  let ok = 0;
  let done = false;
  const started = Date.now();
  const loop = async () => {
    while (!done && Date.now() - started < 30000) {
      try {
        const r = await request(gw.port, 'GET', '/v1/ids?count=50', { agent, timeoutMs: 5000 });
        if (r.status === 200) {
          ledger.add(r.json.ids);
          ok++;
        } else {
          failures.push(`${r.status} ${r.body.slice(0, 200)}`);
        }
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  const running = Promise.all(Array.from({ length: 6 }, loop));

  await sleep(300);
  for (let i = 0; i < nodes.length; i++) {
    const before = ok;
    const exit = await nodes[i].stop({ timeoutMs: 8000 });
    assert.equal(exit.code, 0, nodes[i].stderr);
    nodes[i] = await startClusterNode(t, { etcd, listen: nodes[i].address });
    await sleep(300);
    assert.ok(ok > before, `requests went on while node ${i} restarted`);
  }
  done = true;
  await running;

  assert.deepEqual(failures, [], `${failures.length} failed of ${ok + failures.length}`);
  const { count, duplicateCount, duplicates } = ledger.check();
  assert.ok(count >= 5000, `only ${count} IDs`);
  assert.equal(duplicateCount, 0, `duplicates: ${duplicates}`);
});
