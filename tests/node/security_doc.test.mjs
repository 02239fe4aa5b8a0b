// Copyright idgen authors.
//
// docs/SECURITY.md as written: the PKI block of "Making a PKI with openssl"
// runs unchanged in an empty directory, and what it makes serves IDs over
// mutual TLS between a gateway and a node (the node's certificate names
// node-1.idgen.internal, which the gateway checks instead of the loopback
// address it dials).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { runProcess, startNode, tempDir } from './lib/harness.mjs';
import { request, startGateway } from './lib/gateway_harness.mjs';

const DOC = fileURLToPath(new URL('../../docs/SECURITY.md', import.meta.url));

function pkiBlock() {
  const text = readFileSync(DOC, 'utf8');
  const section = text.slice(text.indexOf('### Making a PKI with openssl'));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'SECURITY.md has a sh block under "Making a PKI with openssl"');
  return m[1];
}

test('SECURITY.md: the openssl PKI commands work as written and secure a gateway and a node', async (t) => {
  const dir = tempDir(t, 'idgen-pki-doc-');
  const r = await runProcess('bash', ['-euo', 'pipefail', '-c', pkiBlock()], { cwd: dir, timeoutMs: 60000 });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /node-1\.pem: OK/);
  for (const key of ['ca.key', 'node-1.key', 'gateway-1.key']) {
    assert.equal(statSync(path.join(dir, key)).mode & 0o777, 0o600, key);
  }
  const f = (name) => path.join(dir, name);
  const node = await startNode(t, {
    stateDir: path.join(dir, 'state'),
    args: ['--tls-cert', f('node-1.pem'), '--tls-key', f('node-1.key'), '--tls-client-ca', f('ca.pem'),
      '--tls-allowed-clients', 'gateway-1'],
    adminTls: {
      ca: readFileSync(f('ca.pem')),
      cert: readFileSync(f('gateway-1.pem')),
      key: readFileSync(f('gateway-1.key')),
      servername: 'node-1.idgen.internal',
    },
  });
  const gw = await startGateway(t, {
    backends: [node.address],
    args: ['--backend-tls-ca', f('ca.pem'), '--backend-tls-cert', f('gateway-1.pem'),
      '--backend-tls-key', f('gateway-1.key'), '--backend-tls-server-name', 'node-1.idgen.internal'],
  });
  const res = await request(gw.port, 'GET', '/v1/ids?count=3');
  assert.equal(res.status, 200, res.body);
  assert.equal(res.json.ids.length, 3);
  // node-2's certificate is from the same CA but not on the allow list.
  const refused = await startGateway(t, {
    backends: [node.address],
    args: ['--backend-tls-ca', f('ca.pem'), '--backend-tls-cert', f('node-2.pem'),
      '--backend-tls-key', f('node-2.key'), '--backend-tls-server-name', 'node-1.idgen.internal'],
  });
  const no = await request(refused.port, 'GET', '/v1/ids?count=1');
  assert.equal(no.status, 502, no.body);
  assert.match(no.body, /backend-refused/);
});
