// Copyright idgen authors.
//
// Resilience of `idgen gateway` toward its backends, with real nodes:
//   - two backends, one SIGKILLed under load: requests keep succeeding after
//     at most a brief blip, and no ID is ever issued twice;
//   - both killed: 503 problem+json within the call deadline, never a hang;
//     /health turns 503; a restarted backend is used again.
// Run: IDGEN_BIN=/path/to/idgen node --test
import assert from 'node:assert/strict';
import http from 'node:http';
import test from 'node:test';

import { sleep, startNode, waitUntil } from './lib/harness.mjs';
import {
  assertProblem,
  request,
  startGateway,
  startNodes,
} from './lib/gateway_harness.mjs';

// Runs `workers` request loops until `until()` is true (bounded by maxMs);
// returns every response (status, ids, time).
async function load(port, agent, { workers = 8, until, maxMs = 20000 }) {
  const results = [];
  const start = performance.now();
  const loop = async () => {
    while (!until() && performance.now() - start < maxMs) {
      const t0 = performance.now();
      try {
        const r = await request(port, 'GET', '/v1/ids?count=10', { agent, timeoutMs: 5000 });
        results.push({ at: t0, ms: performance.now() - t0, status: r.status, ids: r.json?.ids ?? [], json: r.json });
      } catch (err) {
        results.push({ at: t0, ms: performance.now() - t0, status: 0, ids: [], error: String(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
  return results;
}

test('one of two backends killed under load: requests keep succeeding, no duplicate IDs', async (t) => {
  const [a, b] = await startNodes(t, 2);
  const gw = await startGateway(t, {
    backends: [a.address, b.address],
    args: ['--call-timeout-ms', '1000'],
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  t.after(() => agent.destroy());

  // Both backends take traffic (round robin).
  const warm = await load(gw.port, agent, { workers: 4, until: () => false, maxMs: 500 });
  assert.ok(warm.every((r) => r.status === 200), 'all warm-up requests succeed');
  const workers = new Set();
  for (const r of warm.slice(-20)) {
    const d = await request(gw.port, 'GET', `/v1/ids/${r.ids[0]}/decode`);
    workers.add(d.json.worker);
  }
  assert.deepEqual([...workers].sort(), [1, 2], 'round-robin reaches both backends');

  let killedAt = 0;
  let done = false;
  const running = load(gw.port, agent, { workers: 8, until: () => done, maxMs: 20000 });
  await sleep(500);
  killedAt = performance.now();
  await a.kill9();
  await sleep(2000);
  done = true;
  const results = await running;

  const before = results.filter((r) => r.at < killedAt);
  const after = results.filter((r) => r.at >= killedAt);
  assert.ok(before.length > 50 && after.length > 50, `${before.length} before, ${after.length} after`);
  const failed = after.filter((r) => r.status !== 200);
  // A brief blip is allowed: failures only in the first 500 ms after the kill.
  for (const f of failed) {
    assert.ok(f.at - killedAt < 500, `failure ${f.status} ${JSON.stringify(f.json ?? f.error)} ${Math.round(f.at - killedAt)} ms after the kill`);
  }
  const late = after.filter((r) => r.at - killedAt > 500);
  assert.ok(late.length > 50 && late.every((r) => r.status === 200), 'all succeed after the blip');
  // A dead backend costs no latency once out of the rotation.
  const slow = late.filter((r) => r.ms > 250);
  assert.ok(slow.length <= late.length / 100, `${slow.length} of ${late.length} late requests took >250 ms`);
  console.log(
    `failover: ${before.length} requests before the kill, ${after.length} after, ` +
      `${failed.length} failed (all within 500 ms of the kill)`,
  );

  const all = results.flatMap((r) => r.ids).concat(warm.flatMap((r) => r.ids));
  assert.equal(new Set(all).size, all.length, 'no ID was issued twice');
});

test('both backends killed: 503 problem+json within the deadline; a restarted one serves again', async (t) => {
  const [a, b] = await startNodes(t, 2);
  const gw = await startGateway(t, {
    backends: [a.address, b.address],
    args: ['--call-timeout-ms', '800'],
  });
  assert.equal((await request(gw.port, 'GET', '/v1/ids')).status, 200);
  await Promise.all([a.kill9(), b.kill9()]);
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const res = await request(gw.port, 'GET', '/v1/ids?count=1', { timeoutMs: 5000 });
    const ms = performance.now() - t0;
    assertProblem(res, 503, 'backend-unavailable');
    assert.equal(res.json.grpc_status, 'UNAVAILABLE');
    assert.equal(res.headers['retry-after'], '1');
    assert.ok(ms < 1000, `503 took ${Math.round(ms)} ms (deadline 800 ms)`);
  }
  // Each of those calls was tried again (--retry-attempts 3 by default) and
  // every retry is counted.
  const metrics = await request(gw.port, 'GET', '/metrics');
  const retried = metrics.body.match(/^idgen_gateway_retries_total\{[^}]*rpc_method="NextIds"[^}]*\} (\d+)/m);
  assert.ok(retried, 'idgen_gateway_retries_total{rpc_method="NextIds"} is exported');
  assert.ok(Number(retried[1]) >= 10, `${retried[1]} retries counted for 10 failed calls`);
  const health = await request(gw.port, 'GET', '/health');
  assertProblem(health, 503, 'not-serving');
  assert.equal(health.json.backends.length, 2);
  assert.ok(health.json.backends.every((x) => x.status === 'UNREACHABLE'));
  const info = await request(gw.port, 'GET', '/v1/info');
  assertProblem(info, 503, 'backend-unavailable');
  assert.equal((await request(gw.port, 'GET', '/alive')).status, 200, 'alive while backends are down');

  // A node back on one of the addresses is picked up again.
  await startNode(t, { listen: a.address, stateDir: a.stateDir, workerId: 1 });
  await waitUntil(async () => (await request(gw.port, 'GET', '/v1/ids')).status === 200, {
    pollMs: 100,
    polls: 50,
    what: 'gateway serving again after a backend restart',
  });
  // /health asks each backend on its own channel, which reconnects to the
  // restarted node on its own backoff (at most 1 s): ready again shortly.
  await waitUntil(async () => (await request(gw.port, 'GET', '/health')).status === 200, {
    pollMs: 100,
    polls: 30,
    what: 'gateway /health ready again after a backend restart',
  });
});
