// Copyright idgen authors.
//
// `idgen up` end to end: the AppHost starts etcd, nodes and the gateway on
// free ports, supervises them, serves the dashboard API, and leaves no
// process behind after SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import protobuf from 'protobufjs';

import { freePort, grpc, httpGet, runIdgen, tempDir, waitUntil } from './lib/harness.mjs';
import { alive, dashGet, post, resources, startUp, startUpForOtlp } from './lib/up_harness.mjs';

test('idgen up: everything healthy, IDs through the gateway, supervision, buttons, clean stop', async (t) => {
  const dir = tempDir(t, 'idgen-up-');
  const gwPort = await freePort();
  const dashPort = await freePort();
  const up = await startUp(t, [
    '--nodes', '2',
    '--state-dir', dir,
    '--gateway-listen', `127.0.0.1:${gwPort}`,
    '--dashboard-listen', `127.0.0.1:${dashPort}`,
  ]);
  assert.match(up.stdout, new RegExp(`http://127.0.0.1:${gwPort}/docs`));
  assert.match(up.stdout, new RegExp(`Dashboard +http://127.0.0.1:${dashPort}/login\\?t=[0-9a-f]{32}\n`));

  let rs = await resources(dashPort);
  assert.deepEqual(Object.keys(rs).sort(), ['etcd-0', 'gateway', 'node-0', 'node-1']);
  for (const r of Object.values(rs)) assert.equal(r.state, 'healthy', `${r.name}: ${r.health_detail}`);
  assert.equal(rs['node-0'].env.IDGEN_ETCD, rs['etcd-0'].endpoints[0].url);

  // IDs through the gateway, from nodes on etcd.
  const ids = await (await fetch(`http://127.0.0.1:${gwPort}/v1/ids?count=5`)).json();
  assert.equal(ids.ids.length, 5);
  // The default namespaces include `orders`, dense IDs on the run's etcd.
  const orders = await (await fetch(`http://127.0.0.1:${gwPort}/v1/ids?namespace=orders&count=3`)).json();
  assert.equal(orders.scheme, 'segment', JSON.stringify(orders));
  assert.deepEqual(orders.ids.map(Number), [orders.ids.map(Number)[0], orders.ids.map(Number)[0] + 1, orders.ids.map(Number)[0] + 2]);
  const info = await (await fetch(`http://127.0.0.1:${gwPort}/v1/info`)).json();
  const nsOrders = info.backends[0].info.namespaces.find((n) => n.name === 'orders');
  assert.equal(nsOrders.segment.store, 'etcd');
  assert.ok(Number(nsOrders.segment.headroom_ids) > 0, JSON.stringify(nsOrders));
  assert.deepEqual(info.backends[0].info.namespaces.map((n) => n.name), ['default', 'uuidv7', 'ulid', 'orders']);

  // The dashboard page is served from memory, to a logged-in browser.
  const page = await dashGet(dashPort, '/');
  assert.equal(page.status, 200);
  assert.match(page.body, /<title>idgen up/);

  // A node killed from outside comes back, and the restart is counted.
  const victim = rs['node-0'].pid;
  process.kill(victim, 'SIGKILL');
  await waitUntil(async () => {
    const r = (await resources(dashPort))['node-0'];
    return r.state === 'healthy' && r.pid !== victim && r.restarts === 1;
  }, { polls: 150, what: 'node-0 restarted' });

  // Its console log is there, with the AppHost's own lines.
  const logs = await dashGet(dashPort, '/api/resources/node-0/logs?after=0');
  assert.ok(logs.json.lines.some((l) => l.stream === 'apphost' && /exited: killed by signal 9/.test(l.text)));
  assert.ok(logs.json.lines.some((l) => l.stream === 'stderr' && /idgen serve: worker/.test(l.text)));
  const bad = await dashGet(dashPort, '/api/resources/node-0/logs?after=-1');
  assert.equal(bad.status, 400);
  assert.match(bad.json.detail, /after must be a whole number/);

  // The restart button.
  const before = (await resources(dashPort))['node-1'].pid;
  assert.equal((await post(dashPort, '/api/resources/node-1/restart')).status, 202);
  await waitUntil(async () => {
    const r = (await resources(dashPort))['node-1'];
    return r.state === 'healthy' && r.pid !== before && r.manual_restarts === 1;
  }, { polls: 150, what: 'node-1 restarted by the button' });
  const unknown = await post(dashPort, '/api/resources/nope/restart');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers.get('content-type'), 'application/problem+json');

  // SIGTERM: everything stops, nothing is left behind.
  rs = await resources(dashPort);
  const pids = Object.values(rs).map((r) => r.pid);
  assert.ok(pids.every((p) => p > 0 && alive(p)));
  up.child.kill('SIGTERM');
  const exit = await up.exited;
  assert.equal(exit.code, 0, up.stderr);
  assert.match(up.stderr, /stopping in reverse order/);
  const gatewayStop = up.stderr.indexOf('gateway      stopped');
  const etcdStop = up.stderr.indexOf('etcd-0       stopped');
  assert.ok(gatewayStop >= 0 && etcdStop > gatewayStop, 'gateway stopped before etcd');
  for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still alive`);
});

test('two idgen up on one machine do not interfere', async (t) => {
  const a = { dir: tempDir(t, 'idgen-up-a-'), gw: await freePort(), dash: await freePort() };
  const b = { dir: tempDir(t, 'idgen-up-b-'), gw: await freePort(), dash: await freePort() };
  // A: a three-member etcd and Prometheus scraping the node and the gateway.
  const promPort = await freePort();
  const appFile = path.join(a.dir, 'app.json');
  writeFileSync(appFile, JSON.stringify({ prometheus: { enabled: true, listen: `127.0.0.1:${promPort}` } }));
  const upA = await startUp(t, ['--nodes', '1', '--etcd-members', '3', '--app', appFile,
    '--state-dir', a.dir,
    '--gateway-listen', `127.0.0.1:${a.gw}`, '--dashboard-listen', `127.0.0.1:${a.dash}`]);
  const rsA = await resources(a.dash);
  assert.deepEqual(Object.keys(rsA).sort(), ['etcd-0', 'etcd-1', 'etcd-2', 'gateway', 'node-0', 'prometheus']);
  assert.equal(rsA['node-0'].env.IDGEN_ETCD.split(',').length, 3);
  // Prometheus scrapes every node and the gateway (each answers /metrics).
  await waitUntil(async () => {
    const r = await httpGet(promPort, '/api/v1/targets');
    const up = (r.json?.data?.activeTargets ?? []).filter((x) => x.health === 'up');
    return up.length === 2;
  }, { polls: 150, what: 'Prometheus scraping node-0 and the gateway' });
  const upB = await startUp(t, ['--nodes', '1', '--embedded', '--state-dir', b.dir,
    '--gateway-listen', `127.0.0.1:${b.gw}`, '--dashboard-listen', `127.0.0.1:${b.dash}`]);
  const rsB = await resources(b.dash);
  assert.deepEqual(Object.keys(rsB).sort(), ['gateway', 'node-0']);
  upA.child.kill('SIGTERM');
  assert.equal((await upA.exited).code, 0);
  for (const r of Object.values(await resources(b.dash))) assert.equal(r.state, 'healthy');
  const res = await fetch(`http://127.0.0.1:${b.gw}/v1/ids?count=3`);
  assert.equal(res.status, 200);
  // --embedded: `orders` on SQLite in the nodes' state dir.
  const orders = await (await fetch(`http://127.0.0.1:${b.gw}/v1/ids?namespace=orders&count=2`)).json();
  assert.deepEqual(orders.ids, ['1', '2'], JSON.stringify(orders));
  assert.ok(existsSync(path.join(b.dir, 'nodes', 'segments.db')));
  upB.child.kill('SIGTERM');
  assert.equal((await upB.exited).code, 0);
});

test('bad flags and app files: a clear error before anything starts', async (t) => {
  const dir = tempDir(t, 'idgen-up-bad-');
  const badApp = path.join(dir, 'bad.json');
  writeFileSync(badApp, '{"nodes": {"count": 2, "colour": "red"}}');
  const notJson = path.join(dir, 'not.json');
  writeFileSync(notJson, '{"nodes": ');
  const busy = net.createServer();
  await new Promise((r) => busy.listen(0, '127.0.0.1', r));
  t.after(() => busy.close());
  const busyPort = busy.address().port;
  for (const [args, code, pattern] of [
    [['--nodes', '0'], 2, /--nodes/],
    [['--etcd-members', '2'], 2, /--etcd-members/],
    [['--app', path.join(dir, 'missing.json')], 2, /missing\.json cannot be read/],
    [['--app', badApp], 2, /nodes\.colour: unknown key/],
    [['--app', notJson], 2, /not valid JSON/],
    [['--gateway-listen', 'nowhere'], 2, /gateway\.listen "nowhere": expected HOST:PORT/],
    [['--dashboard-listen', `127.0.0.1:${busyPort}`, '--gateway-listen', '127.0.0.1:0'], 2,
      /dashboard address .* is in use/],
    [['--gateway-listen', `127.0.0.1:${busyPort}`], 2, /gateway address .* is in use/],
  ]) {
    const r = await runIdgen(['up', '--state-dir', dir, ...args], { timeoutMs: 20000 });
    assert.equal(r.code, code, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.doesNotMatch(r.stderr, /starting/, `${args.join(' ')} started something`);
  }
});

test('the AppHost receives OTLP over gRPC and HTTP and shows the spans', async (t) => {
  const { up, dir, dashPort, grpcPort } = await startUpForOtlp(t, 'idgen-up-otlp-');

  const root = protobuf.loadSync(fileURLToPath(new URL('./proto/otlp_test.proto', import.meta.url)));
  const TraceRequest = root.lookupType('otlptest.TraceRequest');
  const ExportResponse = root.lookupType('otlptest.ExportResponse');
  const traceId = randomBytes(16);
  const request = (service) => ({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{
        spans: [{
          traceId,
          spanId: randomBytes(8),
          name: `${service} work`,
          kind: 2,
          startTimeUnixNano: String(BigInt(Date.now()) * 1000000n),
          endTimeUnixNano: String(BigInt(Date.now() + 3) * 1000000n),
        }],
      }],
    }],
  });
  // OTLP/gRPC, with a client made from the collector's method path.
  const Client = grpc.makeGenericClientConstructor({
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      requestStream: false,
      responseStream: false,
      requestSerialize: (m) => Buffer.from(TraceRequest.encode(TraceRequest.fromObject(m)).finish()),
      responseDeserialize: (b) => ExportResponse.decode(b),
    },
  });
  const client = new Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  t.after(() => client.close());
  await new Promise((resolve, reject) =>
    client.Export(request('via-grpc'), { deadline: new Date(Date.now() + 5000) }, (err) => (err ? reject(err) : resolve())));
  // OTLP/HTTP on the dashboard port.
  const body = Buffer.from(TraceRequest.encode(TraceRequest.fromObject(request('via-http'))).finish());
  const res = await fetch(`http://127.0.0.1:${dashPort}/v1/traces`, {
    method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' },
  });
  assert.equal(res.status, 200);
  const json = await fetch(`http://127.0.0.1:${dashPort}/v1/traces`, {
    method: 'POST', body: '{}', headers: { 'content-type': 'application/json' },
  });
  assert.equal(json.status, 415);
  assert.match((await json.json()).detail, /application\/x-protobuf/);

  const trace = (await dashGet(dashPort, `/api/traces/${traceId.toString('hex')}`)).json;
  assert.deepEqual(trace.spans.map((s) => s.service).sort(), ['via-grpc', 'via-http']);
  const missing = await dashGet(dashPort, '/api/traces/00');
  assert.equal(missing.status, 404);
  // A bad parameter, even one that is not UTF-8, is a 400 that says what.
  for (const limit of ['0', 'x', '%ff']) {
    const bad = await dashGet(dashPort, `/api/traces?limit=${limit}`);
    assert.equal(bad.status, 400, `limit=${limit}`);
    assert.match(bad.json.detail, /limit must be a whole number in 1\.\.1000/);
  }
});
