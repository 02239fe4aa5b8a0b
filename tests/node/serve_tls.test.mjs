// Copyright idgen authors.
//
// `idgen serve` with TLS and mutual TLS on its gRPC listener, against real
// clients: @grpc/grpc-js over TLS, Node's tls module for the handshake, and
// plaintext. Certificates come from the openssl command (lib/certs.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';

import { grpc, httpGet, idgenServiceDefinition, runIdgen, runProcess, startNode, tempDir, unary, waitUntil } from './lib/harness.mjs';
import { caDatabase, issue, makeCa, makeLeaf, pem, publishCrl, revoke } from './lib/certs.mjs';
import { request, runGateway, startGateway } from './lib/gateway_harness.mjs';

function pki(t) {
  const dir = tempDir(t, 'idgen-tls-');
  const ca = makeCa(dir);
  const server = makeLeaf(dir, ca, 'server');
  const client = makeLeaf(dir, ca, 'client', { cn: 'gateway-1', kind: 'client' });
  const other = makeCa(dir, 'other-ca', 'someone else');
  const stranger = makeLeaf(dir, other, 'stranger', { kind: 'client' });
  // What the harness uses to reach a TLS node's admin port (HTTPS, same
  // certificate and client authentication as gRPC).
  const adminTls = { ca: pem(ca.cert), cert: pem(client.cert), key: pem(client.key) };
  return { dir, ca, server, client, stranger, adminTls };
}

function tlsArgs(p, extra = []) {
  return ['--tls-cert', p.server.cert, '--tls-key', p.server.key, '--tls-client-ca', p.ca.cert, ...extra];
}

function client(t, address, creds) {
  const Client = grpc.makeGenericClientConstructor(idgenServiceDefinition());
  const c = new Client(address, creds, { 'grpc.ssl_target_name_override': 'localhost' });
  t.after(() => c.close());
  return c;
}

async function nextIds(c) {
  return unary(c, 'NextIds', { count: 2 }, { deadlineMs: 3000 });
}

// The serial number of the certificate the node presents on a new handshake.
function servedSerial(port, p) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      ca: pem(p.ca.cert),
      cert: pem(p.client.cert),
      key: pem(p.client.key),
      servername: 'localhost',
      ALPNProtocols: ['h2'],
    });
    s.setTimeout(3000, () => s.destroy(new Error('TLS handshake timed out')));
    s.once('secureConnect', () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(serial);
    });
    s.once('error', reject);
  });
}

test('mutual TLS: a client with a certificate from the client CA gets IDs', async (t) => {
  const p = pki(t);
  const node = await startNode(t, { stateDir: tempDir(t), args: tlsArgs(p), adminTls: p.adminTls });
  const c = client(t, node.address, grpc.credentials.createSsl(pem(p.ca.cert), pem(p.client.key), pem(p.client.cert)));
  const res = await nextIds(c);
  assert.equal(res.ids.length, 2);
  // The certificate's expiry is a metric.
  const metrics = await httpGet(node.adminPort, '/metrics', 2000, p.adminTls);
  const m = /^idgen_tls_cert_not_after_seconds\{listener="grpc"\} (\d+)$/m.exec(metrics.body);
  assert.ok(m, 'idgen_tls_cert_not_after_seconds is exported');
  const left = Number(m[1]) - Date.now() / 1000;
  assert.ok(left > 0 && left <= 86400 + 60, `expires in ${left} s (the certificate is for one day)`);
});

test('mutual TLS: no certificate, a stranger certificate, or plaintext is refused', async (t) => {
  const p = pki(t);
  const node = await startNode(t, { stateDir: tempDir(t), args: tlsArgs(p), adminTls: p.adminTls });
  for (const [what, creds] of [
    ['no client certificate', grpc.credentials.createSsl(pem(p.ca.cert))],
    ['a certificate from another CA', grpc.credentials.createSsl(pem(p.ca.cert), pem(p.stranger.key), pem(p.stranger.cert))],
    ['plaintext', grpc.credentials.createInsecure()],
  ]) {
    await assert.rejects(nextIds(client(t, node.address, creds)), (err) => {
      assert.equal(err.code, grpc.status.UNAVAILABLE, `${what}: ${err.message}`);
      return true;
    }, what);
  }
});

test('server-only TLS (--tls-client-auth none) serves clients without certificates', async (t) => {
  const p = pki(t);
  const node = await startNode(t, {
    stateDir: tempDir(t),
    args: ['--tls-cert', p.server.cert, '--tls-key', p.server.key],
    adminTls: { ca: pem(p.ca.cert) },
  });
  const res = await nextIds(client(t, node.address, grpc.credentials.createSsl(pem(p.ca.cert))));
  assert.equal(res.ids.length, 2);
  await assert.rejects(nextIds(client(t, node.address, grpc.credentials.createInsecure())));
});

test('a renewed certificate is served without a restart', async (t) => {
  const p = pki(t);
  // The node reads copies that the test replaces.
  const live = { cert: path.join(p.dir, 'live.pem'), key: path.join(p.dir, 'live.key') };
  copyFileSync(p.server.cert, live.cert);
  copyFileSync(p.server.key, live.key);
  const node = await startNode(t, {
    stateDir: tempDir(t),
    args: ['--tls-cert', live.cert, '--tls-key', live.key, '--tls-client-ca', p.ca.cert, '--tls-reload-seconds', '1'],
    adminTls: p.adminTls,
  });
  const before = await servedSerial(node.grpcPort, p);
  assert.equal(before.toUpperCase(), p.server.serial.toUpperCase());
  const renewed = makeLeaf(p.dir, p.ca, 'renewed');
  copyFileSync(renewed.key, live.key);
  copyFileSync(renewed.cert, live.cert);
  for (const port of [node.grpcPort, node.adminPort]) {
    await waitUntil(async () => (await servedSerial(port, p)).toUpperCase() === renewed.serial.toUpperCase(), {
      pollMs: 250,
      polls: 40,
      what: `the renewed certificate on a new handshake with port ${port}`,
    });
  }
  // And calls still work on it.
  const c = client(t, node.address, grpc.credentials.createSsl(pem(p.ca.cert), pem(p.client.key), pem(p.client.cert)));
  assert.equal((await nextIds(c)).ids.length, 2);
});

test('beyond loopback: mutual TLS needs no --insecure; TLS without client certificates does', async (t) => {
  const p = pki(t);
  const dir = tempDir(t);
  const node = await startNode(t, { stateDir: dir, listen: '0.0.0.0:0', args: tlsArgs(p), adminTls: p.adminTls });
  assert.doesNotMatch(node.stderr, /--insecure/);
  await node.stop();
  const r = await runIdgen(['serve', '--listen', '0.0.0.0:0', '--admin-listen', '127.0.0.1:0', '--state-dir', dir,
    '--tls-cert', p.server.cert, '--tls-key', p.server.key]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /over TLS to any client, without client certificates.*--insecure/s);
});

test('unusable TLS files and flags are refused at start with exit 2 naming them', async (t) => {
  const p = pki(t);
  const dir = tempDir(t);
  const shared = path.join(p.dir, 'shared.key');
  copyFileSync(p.server.key, shared);
  chmodSync(shared, 0o644);
  const cases = [
    [['--tls-cert', p.server.cert], /--tls-cert needs --tls-key/],
    [['--tls-key', p.server.key], /need --tls-cert/],
    [['--tls-cert', p.server.cert, '--tls-key', p.client.key], /does not belong to the certificate/],
    [['--tls-cert', path.join(dir, 'missing.pem'), '--tls-key', p.server.key], /--tls-cert ".*missing\.pem": cannot be read/],
    [['--tls-cert', p.server.key, '--tls-key', p.server.key], /--tls-cert ".*": no PEM certificate/],
    [['--tls-cert', p.server.cert, '--tls-key', p.server.key, '--tls-client-auth', 'require'], /needs --tls-client-ca/],
    [['--tls-cert', p.server.cert, '--tls-key', p.server.key, '--tls-client-auth', 'maybe'], /--tls-client-auth "maybe": expected none, request or require/],
    [['--tls-reload-seconds', '0'], /--tls-reload-seconds/],
    [['--listen', `unix:${path.join(dir, 's.sock')}`, '--tls-cert', p.server.cert, '--tls-key', p.server.key], /Unix socket/],
    [['--tls-cert', p.server.cert, '--tls-key', shared], /--tls-key ".*shared\.key" may be read by group or others \(mode 0644\)/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runIdgen(['serve', '--admin-listen', '127.0.0.1:0', '--state-dir', dir, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code} ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
  }
});

test('a gateway calls mutual-TLS nodes with --backend-tls-*; without them it answers 503 saying why', async (t) => {
  const p = pki(t);
  const node = await startNode(t, { stateDir: tempDir(t), args: tlsArgs(p), adminTls: p.adminTls });
  const gw = await startGateway(t, {
    backends: [node.address],
    args: ['--backend-tls-ca', p.ca.cert, '--backend-tls-cert', p.client.cert, '--backend-tls-key', p.client.key,
      '--backend-tls-server-name', 'localhost'],
  });
  const ok = await request(gw.port, 'GET', '/v1/ids?count=3');
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.json.ids.length, 3);

  const plain = await startGateway(t, { backends: [node.address], args: ['--health-check', 'false'] });
  const refused = await request(plain.port, 'GET', '/v1/ids?count=3');
  assert.equal(refused.status, 503, refused.body);
  assert.match(refused.headers['content-type'], /application\/problem\+json/);
  assert.match(refused.json.detail, /it may serve TLS; give the gateway --backend-tls-ca/, refused.body);
  // TLS, but no client certificate for a node that requires one.
  const noCert = await startGateway(t, { backends: [node.address],
    args: ['--health-check', 'false', '--backend-tls-ca', p.ca.cert, '--backend-tls-server-name', 'localhost'] });
  const refused2 = await request(noCert.port, 'GET', '/v1/ids?count=3');
  assert.equal(refused2.status, 503, refused2.body);
  assert.match(refused2.json.detail, /it may require a client certificate; give the gateway --backend-tls-cert/,
    refused2.body);
});

test('bad --backend-tls-* flags exit 2 naming them', async (t) => {
  const p = pki(t);
  for (const [args, pattern] of [
    [['--backend-tls-cert', p.client.cert], /need --backend-tls-ca/],
    [['--backend-tls-ca', p.ca.cert, '--backend-tls-cert', p.client.cert], /--backend-tls-cert and --backend-tls-key go together/],
    [['--backend-tls-ca', p.client.key], /--backend-tls-ca ".*client\.key"/],
    [['--backend-tls-ca', p.ca.cert, '--backend-tls-cert', p.client.cert, '--backend-tls-key', p.server.key], /--backend-tls-key ".*" does not belong/],
  ]) {
    const r = await runGateway(['--listen', '127.0.0.1:0', '--backends', '127.0.0.1:1', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
});

test('--tls-allowed-clients: only named certificates take IDs; a refused gateway answers 502 saying why', async (t) => {
  const p = pki(t);
  const intruder = makeLeaf(p.dir, p.ca, 'intruder', { cn: 'gateway-2', kind: 'client' });
  const node = await startNode(t, {
    stateDir: tempDir(t),
    args: [...tlsArgs(p), '--tls-allowed-clients', 'gateway-1, other'],
    adminTls: p.adminTls,
  });
  const allowed = client(t, node.address, grpc.credentials.createSsl(pem(p.ca.cert), pem(p.client.key), pem(p.client.cert)));
  assert.equal((await nextIds(allowed)).ids.length, 2);
  const refused = client(t, node.address, grpc.credentials.createSsl(pem(p.ca.cert), pem(intruder.key), pem(intruder.cert)));
  await assert.rejects(nextIds(refused), (err) => {
    assert.equal(err.code, grpc.status.PERMISSION_DENIED);
    assert.match(err.details, /CN\/SAN: gateway-2\) is not among this node's --tls-allowed-clients/);
    return true;
  });
  await waitUntil(() => /PERMISSION_DENIED from .*gateway-2/.test(node.stderr), {
    pollMs: 100,
    polls: 30,
    what: 'the node logs the refused identity',
  });
  // The health service stays open to any verified client (load balancers).
  const Health = grpc.makeGenericClientConstructor({
    Check: {
      path: '/grpc.health.v1.Health/Check',
      requestStream: false,
      responseStream: false,
      requestSerialize: () => Buffer.alloc(0),
      requestDeserialize: () => ({}),
      responseSerialize: () => Buffer.alloc(0),
      responseDeserialize: (b) => b,
    },
  });
  const health = new Health(node.address, grpc.credentials.createSsl(pem(p.ca.cert), pem(intruder.key), pem(intruder.cert)), {
    'grpc.ssl_target_name_override': 'localhost',
  });
  t.after(() => health.close());
  const answer = await new Promise((resolve, reject) =>
    health.Check({}, { deadline: Date.now() + 3000 }, (e, r) => (e ? reject(e) : resolve(r))),
  );
  assert.deepEqual([...answer], [0x08, 0x01], 'SERVING');

  const gw = await startGateway(t, {
    backends: [node.address],
    args: ['--backend-tls-ca', p.ca.cert, '--backend-tls-cert', intruder.cert, '--backend-tls-key', intruder.key,
      '--backend-tls-server-name', 'localhost', '--retry-attempts', '1'],
  });
  const res = await request(gw.port, 'GET', '/v1/ids?count=1');
  assert.equal(res.status, 502, res.body);
  assert.equal(res.json.type, 'urn:idgen:problem:backend-refused');
  assert.match(res.json.detail, /gateway-2\) is not among this node's --tls-allowed-clients/);
});

test('--tls-allowed-clients without mutual TLS, or empty entries, exit 2', async (t) => {
  const p = pki(t);
  const dir = tempDir(t);
  for (const [args, pattern] of [
    [['--tls-cert', p.server.cert, '--tls-key', p.server.key, '--tls-allowed-clients', 'gw'], /needs mutual TLS/],
    [[...tlsArgs(p), '--tls-allowed-clients', 'a,,b'], /--tls-allowed-clients "a,,b": expected a comma-separated list/],
  ]) {
    const r = await runIdgen(['serve', '--admin-listen', '127.0.0.1:0', '--state-dir', dir, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
});

test('the admin port of a TLS node is HTTPS with the same client authentication', async (t) => {
  const p = pki(t);
  const node = await startNode(t, { stateDir: tempDir(t), args: tlsArgs(p), adminTls: p.adminTls });
  const ok = await httpGet(node.adminPort, '/health', 2000, p.adminTls);
  assert.equal(ok.status, 200);
  await assert.rejects(httpGet(node.adminPort, '/health', 2000), 'plain HTTP is not answered');
  await assert.rejects(httpGet(node.adminPort, '/health', 2000, { ca: pem(p.ca.cert) }), 'no client certificate');
  await assert.rejects(
    httpGet(node.adminPort, '/health', 2000, { ca: pem(p.ca.cert), cert: pem(p.stranger.cert), key: pem(p.stranger.key) }),
    'a certificate from another CA',
  );
});

function tlsHandshake(port, opts) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts });
    s.setTimeout(3000, () => s.destroy(new Error('TLS handshake timed out')));
    s.once('secureConnect', () => {
      const info = { alpn: s.alpnProtocol, protocol: s.getProtocol() };
      s.end();
      resolve(info);
    });
    s.once('error', reject);
  });
}

test('gateway HTTPS: TLS 1.2+, ALPN http/1.1, IDs over HTTPS, plain HTTP refused', async (t) => {
  const p = pki(t);
  const node = await startNode(t, { stateDir: tempDir(t) });
  const gw = await startGateway(t, {
    backends: [node.address],
    args: ['--tls-cert', p.server.cert, '--tls-key', p.server.key],
    tls: { ca: pem(p.ca.cert) },
  });
  const res = await httpGet(gw.port, '/v1/ids?count=2', 3000, { ca: pem(p.ca.cert) });
  assert.equal(res.status, 200, res.body);
  assert.equal(res.json.ids.length, 2);
  // curl, as SECURITY.md shows it: the run's CA, nothing insecure.
  const curl = await runProcess('curl', ['-sS', '--cacert', p.ca.cert, `https://localhost:${gw.port}/v1/ids?count=2`]);
  assert.equal(curl.code, 0, curl.stderr);
  assert.equal(JSON.parse(curl.stdout).ids.length, 2);
  const untrusted = await runProcess('curl', ['-sS', `https://localhost:${gw.port}/v1/ids?count=2`]);
  assert.notEqual(untrusted.code, 0, 'curl without the CA refuses the certificate');
  const h = await tlsHandshake(gw.port, { ca: pem(p.ca.cert), ALPNProtocols: ['h2', 'http/1.1'] });
  assert.equal(h.alpn, 'http/1.1');
  assert.match(h.protocol, /^TLSv1\.[23]$/);
  await assert.rejects(
    // The client lowers its own floor (OpenSSL 3 refuses 1.1 at its default level), so a
    // refusal here is the server's.
    tlsHandshake(gw.port, { ca: pem(p.ca.cert), minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
    'TLS 1.1 is refused',
  );
  await assert.rejects(httpGet(gw.port, '/alive', 2000), 'plain HTTP is not answered');
  const metrics = await httpGet(gw.port, '/metrics', 3000, { ca: pem(p.ca.cert) });
  assert.match(metrics.body, /^idgen_tls_cert_not_after_seconds\{listener="http"\} \d+$/m);
});

test('gateway HTTPS with client certificates required refuses clients without one', async (t) => {
  const p = pki(t);
  const node = await startNode(t, { stateDir: tempDir(t) });
  const gw = await startGateway(t, {
    backends: [node.address],
    args: ['--tls-cert', p.server.cert, '--tls-key', p.server.key, '--tls-client-ca', p.ca.cert],
    tls: p.adminTls,
  });
  assert.equal((await httpGet(gw.port, '/v1/ids?count=1', 3000, p.adminTls)).status, 200);
  await assert.rejects(httpGet(gw.port, '/v1/ids?count=1', 3000, { ca: pem(p.ca.cert) }));
});

test('IDGEN_SKIP_KEY_PERMISSION_CHECK=1 accepts a key file others may read', async (t) => {
  const p = pki(t);
  const shared = path.join(p.dir, 'shared.key');
  copyFileSync(p.server.key, shared);
  chmodSync(shared, 0o644);
  const node = await startNode(t, {
    stateDir: tempDir(t),
    args: ['--tls-cert', p.server.cert, '--tls-key', shared],
    env: { IDGEN_SKIP_KEY_PERMISSION_CHECK: '1' },
    adminTls: { ca: pem(p.ca.cert) },
  });
  const res = await nextIds(client(t, node.address, grpc.credentials.createSsl(pem(p.ca.cert))));
  assert.equal(res.ids.length, 2);
});

test('idgen bench calls a mutual-TLS node with --tls-*; without a client certificate it fails', async (t) => {
  const p = pki(t);
  const node = await startNode(t, { stateDir: tempDir(t), args: tlsArgs(p), adminTls: p.adminTls });
  const bench = (extra) =>
    runIdgen(['bench', '--target', node.address, '--mode', 'batch', '--count', '100', '--concurrency', '2',
      '--duration', '1', '--warmup', '0', '--timeout', '2', '--json', '--tls-ca', p.ca.cert,
      '--tls-server-name', 'localhost', ...extra], { timeoutMs: 30000 });
  const ok = await bench(['--tls-cert', p.client.cert, '--tls-key', p.client.key]);
  assert.equal(ok.code, 0, ok.stderr);
  const report = JSON.parse(ok.stdout);
  assert.ok(report.ids > 0 && report.duplicates === 0, ok.stdout);
  const refused = await bench([]);
  assert.notEqual(refused.code, 0, 'no client certificate: the node never answers');
  const bad = await runIdgen(['bench', '--target', node.address, '--tls-cert', p.client.cert]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--tls-cert, --tls-key and --tls-server-name need --tls-ca/);
});

test('the TLS settings from IDGEN_TLS_* variables alone: client auth, CRL directory, allowed clients', async (t) => {
  const dir = tempDir(t, 'idgen-tls-env-');
  const ca = caDatabase(dir, makeCa(dir));
  const server = makeLeaf(dir, ca, 'server');
  const good = issue(dir, ca, 'good', { cn: 'gateway-1' });
  const revoked = issue(dir, ca, 'revoked', { cn: 'gateway-1' });
  const other = issue(dir, ca, 'other', { cn: 'gateway-9' });
  revoke(ca, revoked);
  const crlDir = path.join(dir, 'crl');
  publishCrl(ca, crlDir);
  const node = await startNode(t, {
    stateDir: tempDir(t),
    env: {
      IDGEN_TLS_CERT: server.cert,
      IDGEN_TLS_KEY: server.key,
      IDGEN_TLS_CLIENT_CA: ca.cert,
      IDGEN_TLS_CLIENT_AUTH: 'require',
      IDGEN_TLS_CRL_DIR: crlDir,
      IDGEN_TLS_ALLOWED_CLIENTS: 'gateway-1',
    },
    adminTls: { ca: pem(ca.cert), cert: pem(good.cert), key: pem(good.key) },
  });
  const creds = (c) => grpc.credentials.createSsl(pem(ca.cert), pem(c.key), pem(c.cert));
  assert.equal((await nextIds(client(t, node.address, creds(good)))).ids.length, 2);
  await assert.rejects(nextIds(client(t, node.address, grpc.credentials.createSsl(pem(ca.cert)))),
    'no certificate: refused (IDGEN_TLS_CLIENT_AUTH=require)');
  await assert.rejects(nextIds(client(t, node.address, creds(revoked))), 'revoked: refused (IDGEN_TLS_CRL_DIR)');
  await assert.rejects(nextIds(client(t, node.address, creds(other))), (err) => {
    assert.equal(err.code, grpc.status.PERMISSION_DENIED, 'IDGEN_TLS_ALLOWED_CLIENTS');
    return true;
  });
  // A bad value in a variable is refused like the flag.
  const bad = await runIdgen(['serve', '--state-dir', tempDir(t)], {
    env: { IDGEN_TLS_CERT: server.cert, IDGEN_TLS_KEY: server.key, IDGEN_TLS_CLIENT_AUTH: 'sometimes' },
  });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--tls-client-auth|IDGEN_TLS_CLIENT_AUTH/);
});

test('--auth-keys with "tls_identity": a client certificate named by an entry needs no key; others need one', async (t) => {
  const p = pki(t);
  const keys = path.join(p.dir, 'keys.json');
  writeFileSync(keys, JSON.stringify({
    keys: [{ name: 'gw', tls_identity: 'gateway-1', scopes: ['ids:generate'], namespaces: ['*'] }],
  }));
  chmodSync(keys, 0o600);
  const intruder = makeLeaf(p.dir, p.ca, 'intruder', { cn: 'gateway-2', kind: 'client' });
  const node = await startNode(t, { stateDir: tempDir(t), args: [...tlsArgs(p), '--auth-keys', keys], adminTls: p.adminTls });
  const named = client(t, node.address, grpc.credentials.createSsl(pem(p.ca.cert), pem(p.client.key), pem(p.client.cert)));
  assert.equal((await nextIds(named)).ids.length, 2, 'gateway-1: the entry "gw", no key sent');
  await assert.rejects(unary(named, 'GetInfo', {}), (err) => {
    assert.equal(err.code, grpc.status.PERMISSION_DENIED, 'the entry has no "info" scope');
    return true;
  });
  const unnamed = client(t, node.address, grpc.credentials.createSsl(pem(p.ca.cert), pem(intruder.key), pem(intruder.cert)));
  await assert.rejects(nextIds(unnamed), (err) => {
    assert.equal(err.code, grpc.status.UNAUTHENTICATED, 'gateway-2 is named by no entry and sent no key');
    return true;
  });
  const metrics = await httpGet(node.adminPort, '/metrics', 3000, p.adminTls);
  assert.match(metrics.body, /^idgen_ids_issued_by_caller_total\{caller="gw"\} 2$/m);
});
