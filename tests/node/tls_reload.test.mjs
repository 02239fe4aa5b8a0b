// Copyright idgen authors.
//
// Certificate rotation without a restart, as an operator does it: the
// node's and the gateway's --tls-cert/--tls-key live in a directory reached
// through a symlink (as Kubernetes mounts secrets), and a rotation swaps the
// symlink by an atomic rename. One PKI and three processes for the file:
//   * node A (--tls-reload-seconds 1): a broken key is refused, the old
//     certificate stays, the failure is counted and logged; then a renewal
//     reaches new handshakes on the gRPC and admin ports while an open
//     StreamIds stream and a stream of unary calls keep working;
//   * node B and the gateway (--tls-reload-seconds 3600): SIGHUP reloads at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';

import { deadline, grpc, httpGet, idgenServiceDefinition, sleep, startNode, tempDir, unary, waitUntil } from './lib/harness.mjs';
import { caDatabase, issue, makeCa, makeLeaf, pem, publishCrl, revoke } from './lib/certs.mjs';
import { startGateway } from './lib/gateway_harness.mjs';
import { sampleValue } from './lib/prometheus.mjs';

// A directory of versions and a `name` symlink to the current one.
function liveFiles(dir, name, leaf) {
  let version = 0;
  const link = path.join(dir, name);
  const files = { cert: path.join(link, 'server.pem'), key: path.join(link, 'server.key') };
  const swap = ({ cert, key, keyText }) => {
    const v = `${name}-v${++version}`;
    mkdirSync(path.join(dir, v));
    copyFileSync(cert, path.join(dir, v, 'server.pem'));
    if (keyText !== undefined) writeFileSync(path.join(dir, v, 'server.key'), keyText);
    else copyFileSync(key, path.join(dir, v, 'server.key'));
    chmodSync(path.join(dir, v, 'server.key'), 0o600);
    symlinkSync(v, `${link}.new`);
    renameSync(`${link}.new`, link);
  };
  swap(leaf);
  return { ...files, swap };
}

// The serial number of the certificate a new handshake with `port` shows.
function servedSerial(port, p, alpn = 'h2') {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      ca: pem(p.ca.cert),
      cert: pem(p.client.cert),
      key: pem(p.client.key),
      servername: 'localhost',
      ALPNProtocols: [alpn],
    });
    s.setTimeout(3000, () => s.destroy(new Error('TLS handshake timed out')));
    s.once('secureConnect', () => {
      const serial = s.getPeerCertificate().serialNumber.toUpperCase();
      s.end();
      resolve(serial);
    });
    s.once('error', reject);
  });
}

async function metric(port, p, name, labels) {
  const res = await httpGet(port, '/metrics', 2000, { ca: pem(p.ca.cert), cert: pem(p.client.cert), key: pem(p.client.key) });
  assert.equal(res.status, 200);
  return sampleValue(res.body, name, labels);
}

const reloads = (port, p, listener, result) =>
  metric(port, p, 'idgen_tls_reloads_total', { listener, result });

function grpcClient(t, address, p) {
  const Client = grpc.makeGenericClientConstructor(idgenServiceDefinition());
  const c = new Client(address, grpc.credentials.createSsl(pem(p.ca.cert), pem(p.client.key), pem(p.client.cert)), {
    'grpc.ssl_target_name_override': 'localhost',
  });
  t.after(() => c.close());
  return c;
}

// A StreamIds stream held open: ask() sends one request and resolves to its
// response; every stream error is kept in `errors`.
function openStream(c) {
  const call = c.StreamIds({ deadline: deadline(60000) });
  const waiting = [];
  const errors = [];
  call.on('data', (res) => waiting.shift()?.resolve(res));
  call.on('error', (err) => {
    errors.push(err);
    for (const w of waiting.splice(0)) w.reject(err);
  });
  return {
    errors,
    ask: () => new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      call.write({ count: 3 });
    }),
    close: () => new Promise((resolve) => {
      call.on('end', resolve);
      call.on('status', resolve);
      call.end();
    }),
  };
}

const serialIs = (port, p, serial, alpn) => async () => (await servedSerial(port, p, alpn)) === serial;

test('certificate rotation: renewal under load, a broken key refused, SIGHUP on node and gateway', async (t) => {
  const dir = tempDir(t, 'idgen-tls-reload-');
  const ca = makeCa(dir);
  const p = {
    ca,
    client: makeLeaf(dir, ca, 'client', { cn: 'gateway-1', kind: 'client' }),
    first: makeLeaf(dir, ca, 'first'),
    renewed: makeLeaf(dir, ca, 'renewed', { days: 3 }),
  };
  const adminTls = { ca: pem(ca.cert), cert: pem(p.client.cert), key: pem(p.client.key) };
  const liveA = liveFiles(dir, 'node-a', p.first);
  const liveB = liveFiles(dir, 'node-b', p.first);
  const liveGw = liveFiles(dir, 'gateway', p.first);
  const tlsArgs = (live, seconds) =>
    ['--tls-cert', live.cert, '--tls-key', live.key, '--tls-client-ca', ca.cert, '--tls-reload-seconds', String(seconds)];
  const [nodeA, nodeB] = await Promise.all([
    startNode(t, { stateDir: tempDir(t), args: tlsArgs(liveA, 1), adminTls }),
    startNode(t, { stateDir: tempDir(t), args: tlsArgs(liveB, 3600), adminTls }),
  ]);
  const first = p.first.serial.toUpperCase();
  const renewed = p.renewed.serial.toUpperCase();

  await t.test('a broken key keeps the served certificate, is counted and logged naming the file', async (st) => {
    assert.equal(await servedSerial(nodeA.grpcPort, p), first);
    const failuresBefore = await reloads(nodeA.adminPort, p, 'grpc', 'failure');
    const garbage = '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n';
    liveA.swap({ cert: p.renewed.cert, keyText: garbage });
    await waitUntil(async () => (await reloads(nodeA.adminPort, p, 'grpc', 'failure')) === failuresBefore + 1, {
      pollMs: 250,
      polls: 20,
      what: 'the failed reload counted',
    });
    assert.match(nodeA.stderr, /TLS reload for the grpc and admin listeners failed: --tls-key \\?"[^"\\]*node-a\/server\.key\\?"/);
    assert.doesNotMatch(nodeA.stderr, /bm90IGEga2V5/, 'no key material in the log');
    // gRPC would have taken the broken pair from the files (and refused every
    // handshake); it only ever sees checked sets.
    await sleep(1500); // past gRPC's own 1 s look at its files
    assert.equal(await servedSerial(nodeA.grpcPort, p), first);
    assert.equal(await servedSerial(nodeA.adminPort, p), first);
    const c = grpcClient(st, nodeA.address, p);
    assert.equal((await unary(c, 'NextIds', { count: 1 }, { deadlineMs: 3000 })).ids.length, 1);
  });

  await t.test('a renewal reaches new handshakes within 5 s; open streams and calls keep working', async (st) => {
    const c = grpcClient(st, nodeA.address, p);
    const stream = openStream(c);
    assert.equal((await stream.ask()).ids.length, 3);
    let calls = 0;
    const failures = [];
    let load = true;
    const loader = (async () => {
      for (let i = 0; load && i < 2000; i++) {
        try {
          await unary(c, 'NextIds', { count: 1 }, { deadlineMs: 3000 });
          calls++;
        } catch (err) {
          failures.push(err.message);
        }
        await sleep(10);
      }
    })();
    liveA.swap(p.renewed);
    for (const port of [nodeA.grpcPort, nodeA.adminPort]) {
      await waitUntil(serialIs(port, p, renewed), { pollMs: 250, polls: 20, what: `the renewed certificate on port ${port}` });
    }
    load = false;
    await loader;
    assert.equal((await stream.ask()).ids.length, 3, 'the stream opened before the renewal still answers');
    await stream.close();
    assert.deepEqual(stream.errors, []);
    assert.deepEqual(failures, [], 'no call failed during the renewal');
    assert.ok(calls > 0);
    assert.match(nodeA.stderr, new RegExp(`TLS certificate reloaded for the grpc and admin listeners: serial ${renewed}`));
  });

  await t.test('SIGHUP reloads at once with a long --tls-reload-seconds (node and gateway)', async (st) => {
    const gw = await startGateway(st, {
      backends: [nodeA.address],
      args: [...tlsArgs(liveGw, 3600), '--backend-tls-ca', ca.cert, '--backend-tls-cert', p.client.cert,
        '--backend-tls-key', p.client.key, '--backend-tls-server-name', 'localhost'],
      tls: adminTls,
    });
    liveB.swap(p.renewed);
    liveGw.swap(p.renewed);
    await sleep(1500); // the files changed, the interval has not passed
    assert.equal(await servedSerial(nodeB.grpcPort, p), first, 'not before the interval or SIGHUP');
    assert.equal(await servedSerial(gw.port, p, 'http/1.1'), first, 'not before the interval or SIGHUP');
    process.kill(nodeB.pid, 'SIGHUP');
    process.kill(gw.pid, 'SIGHUP');
    await waitUntil(serialIs(nodeB.grpcPort, p, renewed), { pollMs: 250, polls: 12, what: 'node B after SIGHUP' });
    await waitUntil(serialIs(gw.port, p, renewed, 'http/1.1'), { pollMs: 250, polls: 12, what: 'the gateway after SIGHUP' });
    assert.equal(await reloads(gw.port, p, 'http', 'success'), 1);
    assert.equal(await reloads(nodeB.adminPort, p, 'admin', 'success'), 1);
    const notAfter = await metric(nodeB.adminPort, p, 'idgen_tls_cert_not_after_seconds', { listener: 'grpc' });
    assert.ok(notAfter - Date.now() / 1000 > 2 * 86400, 'the expiry gauge shows the renewed (3-day) certificate');
    assert.equal((await httpGet(gw.port, '/v1/ids?count=2', 3000, adminTls)).status, 200, 'still serving');
    assert.equal(nodeB.exit, undefined, 'SIGHUP does not stop the node');
  });
});

test('a new CRL revokes a client within 5 s, and a new client CA admits its clients, without a restart', async (t) => {
  const dir = tempDir(t, 'idgen-tls-crl-reload-');
  const ca = caDatabase(dir, makeCa(dir));
  const server = makeLeaf(dir, ca, 'server');
  const client = issue(dir, ca, 'client', { cn: 'client-1' });
  const crlDir = path.join(dir, 'crl');
  publishCrl(ca, crlDir);
  // The client CA file: this CA at first, then a bundle with a second CA.
  const clientCa = path.join(dir, 'client-ca.pem');
  copyFileSync(ca.cert, clientCa);
  const ca2 = makeCa(dir, 'ca2', 'second CA');
  const client2 = makeLeaf(dir, ca2, 'client2', { cn: 'client-2', kind: 'client' });
  const node = await startNode(t, {
    stateDir: tempDir(t),
    args: ['--tls-cert', server.cert, '--tls-key', server.key, '--tls-client-ca', clientCa,
      '--tls-crl-dir', crlDir, '--tls-reload-seconds', '1'],
    adminTls: { ca: pem(ca.cert), cert: pem(client.cert), key: pem(client.key) },
  });
  const call = async (who) => {
    const c = grpcClient(t, node.address, { ca, client: who });
    try {
      return (await unary(c, 'NextIds', { count: 1 }, { deadlineMs: 2000 })).ids.length === 1;
    } catch {
      return false;
    } finally {
      c.close();
    }
  };
  assert.equal(await call(client), true, 'client-1 before the revocation');
  assert.equal(await call(client2), false, 'client-2: its CA is not trusted yet');

  revoke(ca, client);
  publishCrl(ca, crlDir);
  await waitUntil(async () => !(await call(client)), { pollMs: 250, polls: 20, what: 'client-1 refused within 5 s of the new CRL' });

  writeFileSync(clientCa, `${readFileSync(ca.cert, 'utf8')}${readFileSync(ca2.cert, 'utf8')}`);
  await waitUntil(() => call(client2), { pollMs: 250, polls: 20, what: 'client-2 admitted within 5 s of the new CA bundle' });
  assert.equal(node.exit, undefined, 'no restart');
});
