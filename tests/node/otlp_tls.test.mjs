// Copyright idgen authors.
//
// OTLP export over TLS from a live node and gateway, to collectors the test
// serves over https (lib/otlp_receiver.mjs on Node's https and grpc-js),
// with one PKI made by the openssl command:
//   - OTLP/HTTP to a collector that requires client certificates: the node
//     and the gateway present theirs (OTEL_EXPORTER_OTLP_CLIENT_*), trust
//     the collector through OTEL_EXPORTER_OTLP_CERTIFICATE, and the spans and
//     metrics arrive with the OTEL_EXPORTER_OTLP_HEADERS fields;
//   - OTLP/gRPC over TLS with the per-signal CA variable;
//   - a collector whose certificate the node does not trust receives
//     nothing, and the node logs why, without the header values;
//   - with IDGEN_OTLP_CRL_DIR, a collector whose certificate is revoked
//     receives nothing over OTLP/HTTP or OTLP/gRPC (and without it, the
//     same collector receives);
//   - a collector whose certificate has expired, or is not yet valid,
//     receives nothing over either protocol;
//   - bad values (unreadable file, cert without key, malformed headers)
//     stop serve and gateway with exit 2 naming the variable.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { after } from 'node:test';

import { grpcClients, runIdgen, startNode, tempDir, unary, waitUntil } from './lib/harness.mjs';
import { asn1Time, caDatabase, issue, makeCa, makeLeaf, pem, publishCrl, revoke } from './lib/certs.mjs';
import { request, runGateway, startGateway } from './lib/gateway_harness.mjs';
import { startOtlpReceiver } from './lib/otlp_receiver.mjs';

const SECRET = 'k3y-9f1c-never-logged';

// One PKI for the file: the collectors' CA and the clients' certificates
// (same CA), and a CA nobody trusts.
const PKI_DIR = mkdtempSync(path.join(os.tmpdir(), 'idgen-otlp-tls-'));
after(() => rmSync(PKI_DIR, { recursive: true, force: true }));
let shared;
function pki() {
  if (shared) return shared;
  const dir = PKI_DIR;
  const ca = makeCa(dir);
  const collector = makeLeaf(dir, ca, 'collector');
  const client = makeLeaf(dir, ca, 'idgen', { kind: 'client' });
  const rogueCa = makeCa(dir, 'rogue-ca', 'rogue CA');
  const rogue = makeLeaf(dir, rogueCa, 'rogue');
  shared = { dir, ca, collector, client, rogue };
  return shared;
}

function fastExport(extra = {}) {
  return {
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
    OTEL_LOGS_EXPORTER: 'none',
    ...extra,
  };
}

test('OTLP/HTTP over mutual TLS: node and gateway export with client certificates and headers', async (t) => {
  const p = pki();
  const receiver = await startOtlpReceiver(t, 'http/protobuf', {
    tls: { cert: pem(p.collector.cert), key: pem(p.collector.key), ca: pem(p.ca.cert) },
  });
  const env = fastExport({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_CERTIFICATE: p.ca.cert,
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: p.client.cert,
    OTEL_EXPORTER_OTLP_CLIENT_KEY: p.client.key,
    OTEL_EXPORTER_OTLP_HEADERS: `x-otlp-api-key=${SECRET},x-tenant=blue%20team`,
  });
  const node = await startNode(t, { stateDir: tempDir(t), env });
  const gw = await startGateway(t, { backends: [node.address], env });
  const { idgen } = grpcClients(t, node.address);
  await unary(idgen, 'NextId', { namespace: 'default' });
  const res = await request(gw.port, 'GET', '/v1/ids?count=2');
  assert.ok(res.status < 300, `gateway answered ${res.status}: ${res.body}`);

  await waitUntil(() => receiver.spans.find((s) => s.name === 'idgen.v1.IdGenerator/NextId'), {
    what: `node span over https (stderr: ${node.stderr}; tls errors: ${receiver.tlsErrors})`,
  });
  await waitUntil(() => receiver.spans.find((s) => s.resource['service.name'] === 'idgen-gateway'), {
    what: `gateway span over https (stderr: ${gw.stderr})`,
  });
  await waitUntil(() => receiver.latest('idgen.ids.issued'), { what: 'node metrics over https' });
  for (const signal of ['traces', 'metrics']) {
    assert.ok(receiver.requests.some((r) => r.signal === signal), `no ${signal} export`);
  }
  for (const r of receiver.requests) {
    assert.equal(r.headers['x-otlp-api-key'], SECRET, `${r.signal} headers`);
    assert.equal(r.headers['x-tenant'], 'blue team');
  }
  assert.ok(!node.stderr.includes(SECRET) && !gw.stderr.includes(SECRET), 'a header value was logged');
});

test('OTLP/gRPC over TLS with the per-signal CA variable', async (t) => {
  const p = pki();
  const receiver = await startOtlpReceiver(t, 'grpc', {
    tls: { cert: pem(p.collector.cert), key: pem(p.collector.key) },
  });
  const node = await startNode(t, {
    stateDir: tempDir(t),
    env: fastExport({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      // The general one names a CA that would refuse the collector: the
      // per-signal variables win.
      OTEL_EXPORTER_OTLP_CERTIFICATE: p.rogue.cert,
      OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: p.ca.cert,
      OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: p.ca.cert,
    }),
  });
  const { idgen } = grpcClients(t, node.address);
  await unary(idgen, 'NextId', { namespace: 'default' });
  await waitUntil(() => receiver.spans.find((s) => s.name === 'idgen.v1.IdGenerator/NextId'), {
    what: `span over gRPC+TLS (stderr: ${node.stderr})`,
  });
  await waitUntil(() => receiver.latest('idgen.ids.issued'), { what: 'metrics over gRPC+TLS' });
});

test('a collector the node does not trust receives nothing, and the node says why', async (t) => {
  const p = pki();
  const receiver = await startOtlpReceiver(t, 'http/protobuf', {
    tls: { cert: pem(p.rogue.cert), key: pem(p.rogue.key) },
  });
  const node = await startNode(t, {
    stateDir: tempDir(t),
    env: fastExport({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_CERTIFICATE: p.ca.cert,
      OTEL_EXPORTER_OTLP_HEADERS: `x-otlp-api-key=${SECRET}`,
    }),
  });
  const { idgen } = grpcClients(t, node.address);
  await unary(idgen, 'NextId', { namespace: 'default' });
  const line = await waitUntil(
    () => node.stderr.split('\n').find((l) => /metrics export failed/.test(l)),
    { what: `an export failure in the log (stderr: ${node.stderr})` },
  );
  assert.match(line, /certificate was not accepted/);
  assert.match(line, /does not chain to the CA in/);
  assert.equal(receiver.requests.length, 0, 'nothing may arrive');
  assert.ok(!node.stderr.includes(SECRET), 'a header value was logged');
  assert.equal((await node.health()).status, 200, 'the node serves on');
});

test('IDGEN_OTLP_CRL_DIR: a collector with a revoked certificate receives nothing, over HTTP and gRPC', async (t) => {
  const dir = tempDir(t, 'idgen-otlp-crl-');
  const ca = caDatabase(dir, makeCa(dir));
  const collector = issue(dir, ca, 'collector-revoked', { kind: 'server' });
  revoke(ca, collector);
  const crlDir = path.join(dir, 'crl');
  publishCrl(ca, crlDir);
  const tls = { cert: pem(collector.cert), key: pem(collector.key) };
  for (const protocol of ['http/protobuf', 'grpc']) {
    const receiver = await startOtlpReceiver(t, protocol, { tls });
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_CERTIFICATE: ca.cert };
    const node = await startNode(t, { stateDir: tempDir(t), env: fastExport({ ...base, IDGEN_OTLP_CRL_DIR: crlDir }) });
    const { idgen } = grpcClients(t, node.address);
    await unary(idgen, 'NextId', { namespace: 'default' });
    const line = await waitUntil(
      () => node.stderr.split('\n').find((l) => /metrics export failed/.test(l)),
      { what: `${protocol}: an export failure in the log (stderr: ${node.stderr})` },
    );
    if (protocol === 'http/protobuf') assert.match(line, /certificate revoked/);
    assert.equal(receiver.requests.length, 0, `${protocol}: nothing may arrive`);
    await node.stop();
    // The same collector and CA without the CRLs: the revocation was the refusal.
    const trusting = await startNode(t, { stateDir: tempDir(t), env: fastExport(base) });
    await waitUntil(() => receiver.requests.length > 0, { what: `an export without the CRLs (stderr: ${trusting.stderr})` });
  }
});

test('a collector with an expired or a not-yet-valid certificate receives nothing, over HTTP and gRPC', async (t) => {
  const dir = tempDir(t, 'idgen-otlp-expiry-');
  const ca = caDatabase(dir, makeCa(dir));
  const certs = {
    expired: issue(dir, ca, 'collector-expired', { kind: 'server', startdate: asn1Time(-3), enddate: asn1Time(-2) }),
    'not yet valid': issue(dir, ca, 'collector-future', { kind: 'server', startdate: asn1Time(1), enddate: asn1Time(2) }),
  };
  for (const [what, cert] of Object.entries(certs)) {
    for (const protocol of ['http/protobuf', 'grpc']) {
      const receiver = await startOtlpReceiver(t, protocol, { tls: { cert: pem(cert.cert), key: pem(cert.key) } });
      const node = await startNode(t, {
        stateDir: tempDir(t),
        env: fastExport({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_EXPORTER_OTLP_CERTIFICATE: ca.cert }),
      });
      const { idgen } = grpcClients(t, node.address);
      await unary(idgen, 'NextId', { namespace: 'default' });
      const line = await waitUntil(
        () => node.stderr.split('\n').find((l) => /metrics export failed/.test(l)),
        { what: `${what}, ${protocol}: an export failure in the log (stderr: ${node.stderr})` },
      );
      if (protocol === 'http/protobuf') assert.match(line, what === 'expired' ? /certificate has expired/ : /certificate is not yet valid/);
      assert.equal(receiver.requests.length, 0, `${what}, ${protocol}: nothing may arrive`);
      await node.stop();
    }
  }
});

test('bad OTLP TLS and header values stop serve and gateway with exit 2 naming the variable', async (t) => {
  const p = pki();
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://127.0.0.1:1', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
  const serve = (env) =>
    runIdgen(['serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--state-dir', tempDir(t)], {
      env: { ...base, ...env },
    });
  const cases = [
    [{ OTEL_EXPORTER_OTLP_CERTIFICATE: `${p.dir}/missing.pem` }, /OTEL_EXPORTER_OTLP_CERTIFICATE="[^"]*missing\.pem"/],
    [{ OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: p.client.cert }, /OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is set but OTEL_EXPORTER_OTLP_CLIENT_KEY/],
    [{ OTEL_EXPORTER_OTLP_TRACES_HEADERS: `x-otlp-api-key:${SECRET}` }, /OTEL_EXPORTER_OTLP_TRACES_HEADERS: item 1 is not key=value/],
  ];
  for (const [env, pattern] of cases) {
    const r = await serve(env);
    assert.equal(r.code, 2, `${JSON.stringify(env)}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.ok(!r.stderr.includes(SECRET), 'a header value was shown');
  }
  const gw = await runGateway(['--listen', '127.0.0.1:0', '--backends', '127.0.0.1:1'], {
    env: { ...base, OTEL_EXPORTER_OTLP_HEADERS: `x-otlp-api-key=%zz${SECRET}` },
  });
  assert.equal(gw.code, 2, gw.stderr);
  assert.match(gw.stderr, /idgen gateway: OTEL_EXPORTER_OTLP_HEADERS: item 1/);
  assert.ok(!gw.stderr.includes(SECRET), 'a header value was shown');
});
