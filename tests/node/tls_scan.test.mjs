// Copyright idgen authors.
//
// Debian's sslscan (scripts/deps/apt-packages.txt) against the HTTPS
// listeners on 127.0.0.1: the node's admin port and the gateway's HTTP port,
// each serving a certificate from a CA made by the test. From its XML report
// (--xml=-): no protocol below TLS 1.2 is accepted, TLS 1.2 is, and every
// accepted cipher suite is an AEAD one (GCM, ChaCha20-Poly1305, CCM).
import assert from 'node:assert/strict';
import test from 'node:test';

import { runProcess, startNode, tempDir } from './lib/harness.mjs';
import { makeCa, makeLeaf, pem } from './lib/certs.mjs';
import { startGateway } from './lib/gateway_harness.mjs';

const AEAD = /(GCM|CHACHA20|CCM)/;

function attrs(tag) {
  const out = {};
  for (const m of tag.matchAll(/(\w+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

async function scan(port) {
  const r = await runProcess('sslscan', ['--xml=-', '--no-colour', `127.0.0.1:${port}`], { timeoutMs: 60000 });
  assert.equal(r.code, 0, `sslscan failed (is it installed? scripts/setup.sh): ${r.stderr}`);
  const xml = r.stdout;
  const protocols = [...xml.matchAll(/<protocol [^>]*>/g)].map((m) => attrs(m[0]));
  const ciphers = [...xml.matchAll(/<cipher [^>]*>/g)].map((m) => attrs(m[0]));
  return { xml, protocols, ciphers };
}

function assertModernTls({ xml, protocols, ciphers }, what) {
  const enabled = protocols.filter((p) => p.enabled === '1').map((p) => `${p.type}${p.version}`);
  assert.ok(protocols.length >= 5, `${what}: no protocol list in the report:\n${xml}`);
  assert.ok(enabled.includes('tls1.2'), `${what}: TLS 1.2 must be accepted; enabled: ${enabled}`);
  for (const old of ['ssl2', 'ssl3', 'tls1.0', 'tls1.1']) {
    assert.ok(!enabled.includes(old), `${what}: ${old} is accepted`);
  }
  assert.ok(ciphers.length > 0, `${what}: no accepted cipher suite in the report:\n${xml}`);
  for (const c of ciphers) {
    assert.match(c.sslversion, /^TLSv1\.[23]$/, `${what}: ${c.cipher} over ${c.sslversion}`);
    assert.match(c.cipher, AEAD, `${what}: ${c.cipher} (${c.sslversion}) is not an AEAD suite`);
  }
}

test('sslscan: the node admin port and the gateway accept TLS >= 1.2 with AEAD suites only', async (t) => {
  const dir = tempDir(t, 'idgen-tls-scan-');
  const ca = makeCa(dir);
  const server = makeLeaf(dir, ca, 'server');
  const node = await startNode(t, {
    stateDir: tempDir(t),
    args: ['--tls-cert', server.cert, '--tls-key', server.key],
    adminTls: { ca: pem(ca.cert) },
  });
  const gw = await startGateway(t, {
    backends: [node.address],
    args: ['--tls-cert', server.cert, '--tls-key', server.key, '--backend-tls-ca', ca.cert],
    tls: { ca: pem(ca.cert) },
  });
  assertModernTls(await scan(node.adminPort), 'node admin port');
  assertModernTls(await scan(gw.port), 'gateway');
});
