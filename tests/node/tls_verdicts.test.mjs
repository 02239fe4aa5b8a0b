// Copyright idgen authors.
//
// Who gets through a TLS listener, cell by cell, judged by independent
// clients (@grpc/grpc-js for gRPC, Node's https for the admin port and the
// gateway). One PKI (openssl, lib/certs.mjs) and one set of processes for
// the whole file:
//   * a node per --tls-client-auth mode (none, request, require), each
//     called with no client certificate, one from the client CA, a
//     self-signed one, one from another CA, and one from the client CA with
//     the wrong key (a key file that claims the certificate's public key but
//     signs with another: certs.mjs wrongKeyFor);
//   * the `require` node also has --tls-crl-dir: expired, not-yet-valid and
//     revoked client certificates are refused on gRPC and on the admin port;
//   * a gateway with HTTPS, client certificates required and a CRL
//     directory, calling that node with --backend-tls-crl-dir; and one
//     calling a node whose own certificate is revoked, which it refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { mkdirSync } from 'node:fs';

import {
  grpc, httpGet, idgenServiceDefinition, plaintextExchange, runIdgen, sleep, startNode, tempDir, unary, waitUntil,
} from './lib/harness.mjs';
import {
  asn1Time, caDatabase, issue, makeCa, makeLeaf, makeSelfSigned, pem, publishCrl, revoke, wrongKeyFor,
} from './lib/certs.mjs';
import { sampleValue } from './lib/prometheus.mjs';
import { request, runGateway, startGateway } from './lib/gateway_harness.mjs';

function pki(t) {
  const dir = tempDir(t, 'idgen-tls-verdicts-');
  const ca = caDatabase(dir, makeCa(dir));
  const other = makeCa(dir, 'other-ca', 'someone else');
  const p = {
    dir,
    ca,
    other,
    server: makeLeaf(dir, ca, 'server'),
    client: issue(dir, ca, 'client', { cn: 'gateway-1' }),
    selfSigned: makeSelfSigned(dir, 'self-signed'),
    stranger: makeLeaf(dir, other, 'stranger', { kind: 'client' }),
    expired: issue(dir, ca, 'expired', { startdate: asn1Time(-3), enddate: asn1Time(-2) }),
    notYetValid: issue(dir, ca, 'not-yet-valid', { startdate: asn1Time(1), enddate: asn1Time(2) }),
    revoked: issue(dir, ca, 'revoked'),
    revokedServer: issue(dir, ca, 'revoked-server', { kind: 'server' }),
    crlDir: path.join(dir, 'crl'),
  };
  p.wrongKey = wrongKeyFor(dir, p.client.cert, 'client-wrong');
  revoke(ca, p.revoked);
  revoke(ca, p.revokedServer);
  publishCrl(ca, p.crlDir);
  return p;
}

const withCert = (p, c) => ({ ca: pem(p.ca.cert), cert: pem(c.cert), key: pem(c.key) });

async function nextIds(t, address, creds) {
  const Client = grpc.makeGenericClientConstructor(idgenServiceDefinition());
  const c = new Client(address, creds, { 'grpc.ssl_target_name_override': 'localhost' });
  t.after(() => c.close());
  return unary(c, 'NextIds', { count: 2 }, { deadlineMs: 3000 });
}

async function assertGrpcVerdict(t, address, creds, allowed, what) {
  if (allowed) {
    assert.equal((await nextIds(t, address, creds)).ids.length, 2, what);
    return;
  }
  await assert.rejects(nextIds(t, address, creds), (err) => {
    assert.equal(err.code, grpc.status.UNAVAILABLE, `${what}: ${err.message}`);
    return true;
  }, what);
}

test('TLS verdicts: client certificates per mode, expiry and revocation on gRPC, admin and gateway HTTPS', async (t) => {
  const p = pki(t);
  const modes = ['none', 'request', 'require'];
  const nodes = Object.fromEntries(
    await Promise.all(
      modes.map(async (mode) => [
        mode,
        await startNode(t, {
          stateDir: tempDir(t),
          args: ['--tls-cert', p.server.cert, '--tls-key', p.server.key, '--tls-client-ca', p.ca.cert,
            '--tls-client-auth', mode, ...(mode === 'require' ? ['--tls-crl-dir', p.crlDir] : [])],
          adminTls: mode === 'none' ? { ca: pem(p.ca.cert) } : withCert(p, p.client),
        }),
      ]),
    ),
  );

  const clients = {
    'no client certificate': grpc.credentials.createSsl(pem(p.ca.cert)),
    'a certificate from the client CA': grpc.credentials.createSsl(pem(p.ca.cert), pem(p.client.key), pem(p.client.cert)),
    'a self-signed certificate': grpc.credentials.createSsl(pem(p.ca.cert), pem(p.selfSigned.key), pem(p.selfSigned.cert)),
    'a certificate from another CA': grpc.credentials.createSsl(pem(p.ca.cert), pem(p.stranger.key), pem(p.stranger.cert)),
    'a certificate from the client CA with the wrong key':
      grpc.credentials.createSsl(pem(p.ca.cert), pem(p.wrongKey), pem(p.client.cert)),
  };
  // true: IDs are served; false: the handshake is refused (UNAVAILABLE).
  const expected = {
    none: [true, true, true, true, true], // no certificate is asked for, so none is sent or judged
    request: [true, true, false, false, false], // asked for, verified (signature too) when sent
    require: [false, true, false, false, false],
  };
  for (const mode of modes) {
    for (const [i, [what, creds]] of Object.entries(clients).entries()) {
      const allowed = expected[mode][i];
      await t.test(`${mode} x ${what}: ${allowed ? 'served' : 'refused'}`, async (st) => {
        await assertGrpcVerdict(st, nodes[mode].address, creds, allowed, `${mode} x ${what}`);
      });
    }
  }

  // gRPC refuses these handshakes inside its transport; the node counts them
  // from gRPC's log. Each refused verdict is at least one failed handshake
  // (the client retries until its deadline); `none` refused nothing.
  await t.test('refused handshakes are counted in idgen_grpc_rejected_total', async () => {
    const failed = async (mode) => {
      const res = await httpGet(nodes[mode].adminPort, '/metrics', 2000,
        mode === 'none' ? { ca: pem(p.ca.cert) } : withCert(p, p.client));
      const value = sampleValue(res.body, 'idgen_grpc_rejected_total', { reason: 'handshake_failed' });
      assert.ok(value !== undefined, `${mode}: no handshake_failed series on /metrics`);
      return value;
    };
    assert.equal(await failed('none'), 0, 'none: every handshake succeeded');
    const refused = expected.require.filter((allowed) => !allowed).length;
    const counted = await failed('require');
    assert.ok(counted >= refused, `require: ${counted} failed handshakes counted for ${refused} refused clients`);
  });

  const node = nodes.require;
  await t.test('plaintext to the TLS port, and a client trusting another CA, are refused', async (st) => {
    await assertGrpcVerdict(st, node.address, grpc.credentials.createInsecure(), false, 'plaintext');
    await assertGrpcVerdict(
      st,
      node.address,
      grpc.credentials.createSsl(pem(p.other.cert), pem(p.client.key), pem(p.client.cert)),
      false,
      'trusting another CA',
    );
  });

  const bad = { expired: p.expired, 'not yet valid': p.notYetValid, revoked: p.revoked };
  await t.test('gRPC with a CRL directory: expired, not-yet-valid and revoked client certificates are refused', async (st) => {
    for (const [what, c] of Object.entries(bad)) {
      await assertGrpcVerdict(st, node.address, grpc.credentials.createSsl(pem(p.ca.cert), pem(c.key), pem(c.cert)), false, what);
    }
    const ok = grpc.credentials.createSsl(pem(p.ca.cert), pem(p.client.key), pem(p.client.cert));
    await assertGrpcVerdict(st, node.address, ok, true, 'a valid certificate from the same CA');
  });

  await t.test('the admin port refuses the same certificates', async () => {
    for (const [what, c] of Object.entries(bad)) {
      await assert.rejects(httpGet(node.adminPort, '/health', 2000, withCert(p, c)), what);
    }
    assert.equal((await httpGet(node.adminPort, '/health', 2000, withCert(p, p.client))).status, 200);
  });

  await t.test('gateway HTTPS requiring client certificates, with CRLs on both sides', async (st) => {
    const gw = await startGateway(st, {
      backends: [node.address],
      args: ['--tls-cert', p.server.cert, '--tls-key', p.server.key, '--tls-client-ca', p.ca.cert,
        '--tls-crl-dir', p.crlDir, '--backend-tls-ca', p.ca.cert, '--backend-tls-cert', p.client.cert,
        '--backend-tls-key', p.client.key, '--backend-tls-server-name', 'localhost',
        '--backend-tls-crl-dir', p.crlDir],
      tls: withCert(p, p.client),
    });
    const res = await httpGet(gw.port, '/v1/ids?count=2', 3000, withCert(p, p.client));
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.ids.length, 2);
    // An answer over 16 KiB arrives whole over TLS.
    const big = await httpGet(gw.port, '/v1/ids?count=1000', 3000, withCert(p, p.client));
    assert.equal(big.json?.ids?.length, 1000, `${big.status}, ${big.body.length} bytes`);
    for (const [what, c] of Object.entries({ ...bad, 'a self-signed certificate': p.selfSigned })) {
      await assert.rejects(httpGet(gw.port, '/v1/ids?count=1', 2000, withCert(p, c)), what);
    }
    await assert.rejects(httpGet(gw.port, '/v1/ids?count=1', 2000, { ca: pem(p.ca.cert) }), 'no client certificate');
  });

  await t.test('--backend-tls-crl-dir: a node presenting a revoked certificate is refused', async (st) => {
    const revokedNode = await startNode(st, {
      stateDir: tempDir(st),
      args: ['--tls-cert', p.revokedServer.cert, '--tls-key', p.revokedServer.key],
      adminTls: { ca: pem(p.ca.cert) },
    });
    const gw = await startGateway(st, {
      backends: [revokedNode.address],
      args: ['--health-check', 'false', '--backend-tls-ca', p.ca.cert, '--backend-tls-server-name', 'localhost',
        '--backend-tls-crl-dir', p.crlDir],
    });
    const res = await request(gw.port, 'GET', '/v1/ids?count=1');
    assert.equal(res.status, 503, res.body);
    assert.match(res.headers['content-type'], /application\/problem\+json/);
  });

  await t.test('CRL flags that cannot work exit 2 naming them', async () => {
    const empty = path.join(p.dir, 'empty-crl');
    mkdirSync(empty);
    const serve = (args) => runIdgen(['serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0',
      '--state-dir', path.join(p.dir, 'unused'), '--tls-cert', p.server.cert, '--tls-key', p.server.key, ...args]);
    for (const [run, pattern] of [
      [serve(['--tls-client-ca', p.ca.cert, '--tls-crl-dir', empty]), /--tls-crl-dir ".*empty-crl": no hashed CRL file in it/],
      [serve(['--tls-crl-dir', p.crlDir]), /--tls-crl-dir needs client certificates/],
      [runGateway(['--listen', '127.0.0.1:0', '--backends', '127.0.0.1:1', '--backend-tls-crl-dir', p.crlDir]),
        /--backend-tls-crl-dir needs --backend-tls-ca/],
      [runGateway(['--listen', '127.0.0.1:0', '--backends', '127.0.0.1:1', '--backend-tls-ca', p.ca.cert,
        '--backend-tls-crl-dir', empty]), /--backend-tls-crl-dir ".*empty-crl": no hashed CRL file in it/],
    ]) {
      const r = await run;
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
    }
  });
});

// Each failed handshake makes gRPC log one error line: a client failing
// handshake after handshake must not fill the node's log. Every failure is
// counted; its line is either logged or counted as dropped; and at most 50
// lines a second reach the log.
test('a flood of failed handshakes: every one counted, at most 50 log lines a second', async (t) => {
  const p = pki(t);
  const node = await startNode(t, {
    stateDir: tempDir(t),
    args: ['--tls-cert', p.server.cert, '--tls-key', p.server.key],
    adminTls: { ca: pem(p.ca.cert) },
  });
  const metrics = async () => (await httpGet(node.adminPort, '/metrics', 2000, { ca: pem(p.ca.cert) })).body;
  const failedNow = (m) => sampleValue(m, 'idgen_grpc_rejected_total', { reason: 'handshake_failed' });
  const logged = () => node.stderr.split('\n').filter((l) => l.includes('Handshake failed with fatal error')).length;
  const before = await metrics();
  const [failed0, dropped0, logged0] = [failedNow(before), sampleValue(before, 'idgen_grpc_log_dropped_total'), logged()];
  assert.equal(dropped0, 0, 'nothing dropped before the flood');
  const flood = 400;
  const start = Date.now();
  for (let batch = 0; batch < flood / 50; batch++) {
    await Promise.all(Array.from({ length: 50 }, () => plaintextExchange(node.grpcPort)));
  }
  const seconds = (Date.now() - start) / 1000;
  const after = await waitUntil(async () => {
    const m = await metrics();
    return failedNow(m) - failed0 >= flood && m;
  }, { what: `${flood} failed handshakes counted` });
  await sleep(300); // the last log lines through the pipe
  const failed = failedNow(after) - failed0;
  const dropped = sampleValue(after, 'idgen_grpc_log_dropped_total') - dropped0;
  const lines = logged() - logged0;
  t.diagnostic(`${failed} failed handshakes in ${seconds} s: ${lines} lines logged, ${dropped} dropped`);
  assert.ok(lines + dropped >= failed, `${failed} failures, ${lines} lines logged, ${dropped} dropped`);
  assert.ok(lines <= 50 * (Math.ceil(seconds) + 2), `${lines} lines logged in a ${seconds} s flood`);
  assert.ok(dropped > 0, `nothing dropped of ${failed} lines in ${seconds} s`);
});
