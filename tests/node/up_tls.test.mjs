// Copyright idgen authors.
//
// `idgen up` is secure by default: a CA made in the state dir, mutual TLS
// between etcd, the nodes, the gateway, Prometheus and the AppHost's own
// telemetry receivers; every internal port refuses plaintext and callers
// without a certificate from the run's CA; the REST API works (over HTTPS
// with --gateway-tls); --insecure turns it all off, with a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';

import {
  freePort, grpc, httpGet, idgenServiceDefinition, plaintextExchange, runIdgen, tempDir, unary, waitUntil,
} from './lib/harness.mjs';
import { dashGet, resources, startUp } from './lib/up_harness.mjs';

function client(t, address, creds) {
  const Client = grpc.makeGenericClientConstructor(idgenServiceDefinition());
  const c = new Client(address, creds, { 'grpc.ssl_target_name_override': 'localhost' });
  t.after(() => c.close());
  return c;
}

const nextIds = (c) => unary(c, 'NextIds', { count: 2 }, { deadlineMs: 3000 });

function httpsGet(url, ca) {
  return new Promise((resolve, reject) => {
    https.get(url, { ca, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

test('idgen up: mutual TLS on every internal link, REST over HTTPS with --gateway-tls', async (t) => {
  const dir = tempDir(t, 'idgen-up-tls-');
  const gw = await freePort();
  const dash = await freePort();
  const up = await startUp(t, ['--nodes', '1', '--gateway-tls', '--state-dir', dir,
    '--gateway-listen', `127.0.0.1:${gw}`, '--dashboard-listen', `127.0.0.1:${dash}`]);
  const tlsDir = path.join(dir, 'tls');
  assert.equal(statSync(tlsDir).mode & 0o777, 0o700);
  for (const key of ['ca.key', 'node.key', 'etcd.key', 'gateway.key', 'apphost.key']) {
    assert.equal(statSync(path.join(tlsDir, key)).mode & 0o777, 0o600, key);
  }
  const ca = readFileSync(path.join(tlsDir, 'ca.crt'));
  assert.match(up.stdout, new RegExp(`REST API +https://127.0.0.1:${gw}/v1/ids`));
  assert.match(up.stdout, /CA file .*ca\.crt/);
  assert.match(up.stdout, /Internal links: mutual TLS/);

  const rs = await resources(dash);
  for (const r of Object.values(rs)) assert.equal(r.state, 'healthy', `${r.name}: ${r.health_detail}`);
  assert.match(rs['node-0'].env.IDGEN_ETCD, /^https:\/\//);
  for (const secret of ['node.key', 'ca.key']) {
    assert.doesNotMatch(JSON.stringify(rs), new RegExp(readFileSync(path.join(tlsDir, secret), 'utf8').split('\n')[1]));
  }

  // REST over HTTPS, verified with the run's CA (as curl --cacert would).
  const ids = await httpsGet(`https://127.0.0.1:${gw}/v1/ids?count=3`, ca);
  assert.equal(ids.status, 200, ids.body);
  assert.equal(JSON.parse(ids.body).ids.length, 3);

  // Every internal port refuses plaintext.
  const etcdClient = new URL(rs['etcd-0'].endpoints[0].url).port;
  const admin = new URL(rs['node-0'].endpoints.find((e) => e.name === 'admin').url).port;
  const grpcAddress = rs['node-0'].endpoints.find((e) => e.name === 'grpc').url;
  const otlpHttps = Number(/OTLP\/HTTPS \(mTLS\) https:\/\/127\.0\.0\.1:(\d+)/.exec(up.stderr)?.[1]);
  const otlpGrpc = Number(/OTLP\/gRPC \(mTLS\) 127\.0\.0\.1:(\d+)/.exec(up.stderr)?.[1]);
  assert.ok(otlpHttps > 0 && otlpGrpc > 0, up.stderr);
  const ports = JSON.parse(readFileSync(path.join(dir, 'ports.json'), 'utf8'));
  // Chosen below the kernel's ephemeral range, so no outgoing connection can
  // take one before its service binds it.
  const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  assert.ok(ephemeralLow - 10000 >= 1000, `ip_local_port_range starts at ${ephemeralLow}: no room below it`);
  for (const [name, port] of Object.entries(ports)) {
    assert.ok(port >= 10000 && port < ephemeralLow, `${name}: port ${port} not below the ephemeral range (${ephemeralLow})`);
  }
  for (const [what, port] of [['etcd client', etcdClient], ['etcd peer', ports['etcd-0.peer']],
    ['node admin', admin], ['OTLP/HTTPS', otlpHttps]]) {
    const answer = await plaintextExchange(Number(port));
    assert.doesNotMatch(answer, /^HTTP\/1\.[01] 200/, `${what} answered plaintext: ${answer}`);
  }
  await assert.rejects(nextIds(client(t, grpcAddress, grpc.credentials.createInsecure())),
    (e) => e.code === grpc.status.UNAVAILABLE, 'node gRPC in plaintext');
  // TLS without a client certificate of the run's CA is refused too; the
  // gateway's certificate is accepted (the positive control).
  await assert.rejects(nextIds(client(t, grpcAddress, grpc.credentials.createSsl(ca))),
    (e) => e.code === grpc.status.UNAVAILABLE, 'node gRPC without a client certificate');
  await assert.rejects(httpGet(admin, '/health', 2000, { ca }), 'admin without a client certificate');
  const gatewayCert = { ca, cert: readFileSync(path.join(tlsDir, 'gateway.crt')), key: readFileSync(path.join(tlsDir, 'gateway.key')) };
  const ok = await nextIds(client(t, grpcAddress, grpc.credentials.createSsl(ca, gatewayCert.key, gatewayCert.cert)));
  assert.equal(ok.ids.length, 2);
  assert.equal((await httpGet(admin, '/health', 2000, gatewayCert)).status, 200);

  // Telemetry reaches the dashboard over OTLP/HTTPS (mutual TLS).
  await waitUntil(async () => {
    const traces = await dashGet(dash, '/api/traces?limit=50');
    return Array.isArray(traces.json) && traces.json.some((tr) => tr.services.includes('idgen-gateway'));
  }, { polls: 100, what: 'gateway spans on the dashboard' });

  up.child.kill('SIGTERM');
  assert.equal((await up.exited).code, 0, up.stderr);

  // The same state dir cannot be switched to plaintext: etcd remembers its
  // peers' https URLs.
  const mixed = await runIdgen(['up', '--insecure', '--nodes', '1', '--state-dir', dir,
    '--gateway-listen', `127.0.0.1:${await freePort()}`, '--dashboard-listen', `127.0.0.1:${await freePort()}`],
  { timeoutMs: 20000 });
  assert.equal(mixed.code, 2, mixed.stderr);
  assert.match(mixed.stderr, /made with TLS; run the same way again, or use another --state-dir/);
});

test('idgen up --insecure: plaintext links, said loudly', async (t) => {
  const dir = tempDir(t, 'idgen-up-insecure-');
  const gw = await freePort();
  const dash = await freePort();
  const up = await startUp(t, ['--embedded', '--nodes', '1', '--insecure', '--state-dir', dir,
    '--gateway-listen', `127.0.0.1:${gw}`, '--dashboard-listen', `127.0.0.1:${dash}`]);
  assert.match(up.stderr, /WARNING: --insecure: etcd, the nodes and the gateway talk in plaintext/);
  assert.match(up.stdout, /Internal links: PLAINTEXT \(--insecure\)/);
  const rs = await resources(dash);
  const admin = new URL(rs['node-0'].endpoints.find((e) => e.name === 'admin').url).port;
  assert.equal((await httpGet(admin, '/health')).status, 200);
  const res = await fetch(`http://127.0.0.1:${gw}/v1/ids?count=2`);
  assert.equal(res.status, 200);
  const bad = await runIdgen(['up', '--insecure', '--gateway-tls', '--state-dir', tempDir(t, 'idgen-up-bad-')],
    { timeoutMs: 10000 });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /gateway\.tls: needs the run's certificates, which insecure turns off/);
});
